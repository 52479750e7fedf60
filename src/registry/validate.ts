import path from 'node:path';
import cron from 'node-cron';
import { parseDuration } from '../duration.ts';
import type { Journey, JourneyDefinition } from '../journey.ts';
import { originOf, originProblem } from '../origins.ts';
import type { Problem } from '../problem.ts';
import { NAME_PATTERN } from './name-pattern.ts';
import { validateSession } from './validate-session.ts';
import { readJourneySource, strictProblems } from './strict-source.ts';
import { validateThresholds } from './validate-thresholds.ts';

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_RETRIES = 1;
const MAX_RETRIES = 5;
/** A journey that needs more than an hour is not a probe; and Node's timers overflow past 24 days. */
const MAX_TIMEOUT_MS = 3_600_000;

/** Checks one definition and returns it normalised, or every problem found in it. */
export function validateJourney(journey: Journey, file: string, source = path.resolve(file)): { definition?: JourneyDefinition; problems: Problem[] } {
  const { options } = journey;
  if (typeof options !== 'object' || options === null) {
    return {
      problems: [
        {
          where: file,
          field: 'options',
          message: 'journey() got no options object',
          fix: "call journey({ name: 'checkout', schedule: '*/5 * * * *' }, async ({ page, step }) => { ... })",
        },
      ],
    };
  }
  const problems: Problem[] = [];
  const line = journey.declaredAt ? /:(\d+)$/.exec(journey.declaredAt)?.[1] : undefined;
  const declaredAt = line ? `${file}:${line}` : file;
  const problem = (field: string, message: string, fix: string) => problems.push({ where: declaredAt, field, message, fix });

  if (typeof options.name !== 'string' || !NAME_PATTERN.test(options.name)) {
    problem(
      'name',
      `${JSON.stringify(options.name)} is not a valid journey name`,
      "use lower-case letters, digits and single dashes, e.g. 'checkout' or 'search-products'",
    );
  }
  if (typeof options.schedule !== 'string') {
    problem('schedule', 'is missing', "give a node-cron expression, e.g. '*/5 * * * *' (every five minutes)");
  } else {
    const check = cron.validateDetailed(options.schedule);
    if (!check.valid) {
      const detail = check.errors.map((e) => `${e.field}${e.value === undefined ? '' : ` '${e.value}'`}: ${e.message}`).join(', ');
      problem(
        'schedule',
        `'${options.schedule}' is not a valid cron expression${detail ? ` (${detail})` : ''}`,
        "use 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. '*/30 * * * * *'",
      );
    }
  }
  const timezone = options.timezone ?? 'UTC';
  if (!isTimeZone(timezone)) {
    problem('timezone', `'${timezone}' is not a known time zone`, "use an IANA name such as 'UTC' or 'Europe/Berlin', or leave it out for UTC");
  }
  const parsedTimeout = options.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(options.timeout);
  const timeoutMs = parsedTimeout !== undefined && parsedTimeout <= MAX_TIMEOUT_MS ? parsedTimeout : undefined;
  if (parsedTimeout === undefined) {
    problem('timeout', `${JSON.stringify(options.timeout)} is not a duration`, "write it like '60s', '2m' or '500ms'");
  } else if (timeoutMs === undefined) {
    problem('timeout', `${JSON.stringify(options.timeout)} is longer than an hour`, 'keep a journey under an hour; split longer flows into several journeys');
  }
  const stepTimeoutMs = options.stepTimeout === undefined ? timeoutMs : parseDuration(options.stepTimeout);
  if (options.stepTimeout !== undefined && stepTimeoutMs === undefined) {
    problem('stepTimeout', `${JSON.stringify(options.stepTimeout)} is not a duration`, "write it like '20s', or leave it out to use the run timeout");
  }
  const retries = options.retries ?? DEFAULT_RETRIES;
  if (!Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) {
    problem('retries', `${JSON.stringify(options.retries)} is not a retry count`, `use a whole number from 0 to ${MAX_RETRIES}`);
  }
  const tags = options.tags ?? [];
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string')) {
    problem('tags', 'must be a list of strings', "write it like ['shop', 'critical']");
  }
  const origins = options.origins ?? [];
  if (!Array.isArray(origins)) {
    problem('origins', 'must be a list of origins', "write it like ['https://api.shop.example.com', 'https://*.shop.example.com']");
  } else {
    for (const entry of origins) {
      const wrong = originProblem(entry);
      if (wrong) problem('origins', wrong, "give scheme and host (and port), e.g. 'https://api.shop.example.com' or 'https://*.shop.example.com'");
    }
  }
  const thresholds = validateThresholds(options.thresholds, problem);
  const session = validateSession(options.session, problem);
  const scanned = readJourneySource(source, line === undefined ? undefined : Number(line));
  problems.push(...strictProblems(options, options.name, scanned, (at) => (at === undefined ? declaredAt : `${file}:${at}`)));
  if (typeof journey.body !== 'function') {
    problem('body', 'is not a function', 'pass an async function as the second argument of journey()');
  }
  if (problems.length > 0 || timeoutMs === undefined || stepTimeoutMs === undefined) return { problems };

  return {
    problems,
    definition: {
      name: options.name,
      schedule: options.schedule,
      timezone,
      timeoutMs,
      stepTimeoutMs: Math.min(stepTimeoutMs, timeoutMs),
      retries,
      tags: Object.freeze([...tags]),
      origins: Object.freeze(origins.map((entry) => (entry.includes('*') ? entry.trim().replace(/\/$/, '').toLowerCase() : originOf(entry)!))),
      ...(thresholds ? { thresholds } : {}),
      ...(session ? { session } : {}),
      file,
      source,
      declaredAt,
    },
  };
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
