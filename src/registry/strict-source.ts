// What journey() and step() do not take, and step names written twice: refused at validate time,
// each at the line it is written on, with the closest name pulse knows.
import { readFileSync } from 'node:fs';
import { closest, distance } from 'fastest-levenshtein';
import type { JourneyOptions } from '../journey.ts';
import type { Problem } from '../problem.ts';
import { scanJourneySource, type JourneySource } from './journey-source.ts';

// Every option of JourneyOptions, written out: one added there and not here fails the type check.
const EVERY_OPTION: Record<keyof JourneyOptions, true> = {
  name: true,
  schedule: true,
  timezone: true,
  timeout: true,
  stepTimeout: true,
  retries: true,
  tags: true,
  origins: true,
  thresholds: true,
  session: true,
};
const JOURNEY_OPTION_KEYS: readonly string[] = Object.keys(EVERY_OPTION);

/** What people write for an option under another name. */
const MEANT: Readonly<Record<string, string>> = {
  retry: 'retries',
  attempts: 'retries',
  cron: 'schedule',
  interval: 'schedule',
  every: 'schedule',
  tz: 'timezone',
  timeZone: 'timezone',
  tag: 'tags',
  origin: 'origins',
  threshold: 'thresholds',
  budget: 'timeout',
};

/** The option someone most likely meant by `key`, if any is close. */
export function meantOption(key: string, known: readonly string[] = JOURNEY_OPTION_KEYS): string | undefined {
  const alias = MEANT[key] ?? known.find((name) => name.toLowerCase() === key.toLowerCase().replace(/[-_]/g, ''));
  if (alias && known.includes(alias)) return alias;
  const near = closest(key, [...known]);
  return distance(key, near) <= Math.max(2, Math.floor(key.length / 3)) ? near : undefined;
}

/** The journey file's text read for what it says, or undefined when it cannot be read (problems then point at the journey() line). */
export function readJourneySource(source: string, journeyLine: number | undefined): JourneySource | undefined {
  try {
    return scanJourneySource(readFileSync(source, 'utf8'), journeyLine);
  } catch {
    return undefined;
  }
}

/**
 * Unknown keys in the options given to journey() (as the definition holds them, so options built in
 * code count too), options given to step(), and literal step names used twice in the file.
 */
export function strictProblems(options: object, name: string, scanned: JourneySource | undefined, where: (line?: number) => string): Problem[] {
  const problems: Problem[] = [];
  const journeyName = typeof name === 'string' ? `journey '${name}'` : 'this journey';
  for (const key of Object.keys(options)) {
    if (JOURNEY_OPTION_KEYS.includes(key)) continue;
    const meant = meantOption(key);
    const line = scanned?.journeyOptions?.find((written) => written.name === key)?.line;
    problems.push({
      where: where(line),
      field: key,
      message: `unknown option \`${key}\` in ${journeyName}${meant ? `: did you mean \`${meant}\`?` : ''}`,
      fix: meant ? `rename it to ${meant}` : `remove it; journey() takes ${JOURNEY_OPTION_KEYS.join(', ')}`,
    });
  }
  const seen = new Map<string, number>();
  for (const step of scanned?.steps ?? []) {
    for (const key of step.options ?? []) {
      const meant = key.name === 'timeout' ? 'stepTimeout' : meantOption(key.name);
      problems.push({
        where: where(key.line),
        field: `step('${step.name}')`,
        message: `unknown option \`${key.name}\`: step() takes a name and a function, no options`,
        fix: meant ? `set ${meant} in the options of journey() instead (it applies to every step)` : 'remove the third argument of step()',
      });
    }
    const first = seen.get(step.name);
    if (first === undefined) {
      seen.set(step.name, step.line);
      continue;
    }
    problems.push({
      where: where(step.line),
      field: `step('${step.name}')`,
      message: `the step name '${step.name}' is already used at line ${first} of ${journeyName}: both would be timed as one step in /metrics, the waterfall and thresholds`,
      fix: `give each step a name of its own, e.g. '${step.name} again'`,
    });
  }
  return problems;
}
