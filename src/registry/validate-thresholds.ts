// The `thresholds` option of a journey: checked field by field, every problem named by its path
// (thresholds.steps['add to cart'].lcp) with the fix, and normalised to milliseconds.
import { closest, distance } from 'fastest-levenshtein';
import { parseDuration } from '../duration.ts';
import type { ThresholdMetric } from '../result.ts';
import { THRESHOLD_METRICS } from '../result.ts';
import type { Limits, ThresholdLimits } from '../thresholds.ts';

export type ProblemReport = (field: string, message: string, fix: string) => void;

const EXAMPLE = "thresholds: { duration: '20s', lcp: '2.5s', cls: 0.1, steps: { 'add to cart': { duration: '2s' } } }";
const RUN_KEYS = [...THRESHOLD_METRICS, 'steps'] as const;

/** An example of each duration, as the web-vitals guidance would set it. */
const EXAMPLE_MS: Record<Exclude<ThresholdMetric, 'cls'>, string> = { duration: "'20s'", ttfb: "'800ms'", fcp: "'1.8s'", lcp: "'2.5s'", inp: "'200ms'" };

/** The normalised thresholds, or undefined when none are set; problems go to `report`. */
export function validateThresholds(value: unknown, report: ProblemReport): ThresholdLimits | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    report('thresholds', `must be an object, not ${describe(value)}`, `write it like ${EXAMPLE}`);
    return undefined;
  }
  const run = limitsOf(value, 'thresholds', RUN_KEYS, report);
  const steps: { name: string; limits: Limits }[] = [];
  const given = value.steps;
  if (given !== undefined && !isPlainObject(given)) {
    report(
      'thresholds.steps',
      `must be an object of step names, not ${describe(given)}`,
      "write it like steps: { 'add to cart': { duration: '2s' } }, each key a step name as passed to step()",
    );
  } else if (given) {
    for (const [name, limits] of Object.entries(given)) {
      const field = `thresholds.steps[${quote(name)}]`;
      if (name.trim() === '') {
        report(field, 'an empty name is no step', "use the name passed to step(), e.g. 'add to cart'");
        continue;
      }
      if (!isPlainObject(limits)) {
        report(field, `must be an object of thresholds, not ${describe(limits)}`, `write it like ${quote(name)}: { duration: '2s', lcp: '3s' }`);
        continue;
      }
      steps.push({ name, limits: limitsOf(limits, field, THRESHOLD_METRICS, report) });
    }
  }
  const empty = Object.keys(run).length === 0 && steps.every((step) => Object.keys(step.limits).length === 0);
  return empty ? undefined : { run, steps };
}

/** The known limits of one object; unknown keys and bad values are reported. */
function limitsOf(value: Record<string, unknown>, at: string, known: readonly string[], report: ProblemReport): Limits {
  const limits: Partial<Record<ThresholdMetric, number>> = {};
  for (const [key, given] of Object.entries(value)) {
    if (!known.includes(key)) {
      unknownKey(key, given, at, known, report);
      continue;
    }
    if (key === 'steps') continue;
    const metric = key as ThresholdMetric;
    const field = `${at}.${metric}`;
    if (metric === 'cls') {
      if (typeof given !== 'number' || !Number.isFinite(given) || given < 0) {
        report(field, `${describe(given)} is not a layout shift score`, 'give a number of 0 or more, e.g. 0.1 (good) or 0.25 (poor)');
      } else limits.cls = given;
      continue;
    }
    const ms = typeof given === 'string' || typeof given === 'number' ? parseDuration(given) : undefined;
    if (ms === undefined) {
      report(field, `${describe(given)} is not a duration`, `write it like ${EXAMPLE_MS[metric]}, or as a number of milliseconds above 0`);
    } else limits[metric] = ms;
  }
  return limits;
}

function unknownKey(key: string, given: unknown, at: string, known: readonly string[], report: ProblemReport): void {
  const field = `${at}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${quote(key)}]`}`;
  const near = closest(key.toLowerCase(), [...known]);
  const suggestion = distance(key.toLowerCase(), near) <= 2 ? near : undefined;
  const list = known.join(', ');
  // An object under an unknown key at the top is most likely a step written without `steps`.
  if (!suggestion && at === 'thresholds' && isPlainObject(given)) {
    report(field, 'is not a threshold', `put per-step thresholds under steps, e.g. steps: { ${quote(key)}: { duration: '2s' } }; the thresholds are ${list}`);
    return;
  }
  report(field, `is not a threshold${suggestion ? ` (did you mean ${suggestion}?)` : ''}`, suggestion ? `rename it to ${suggestion}` : `use one of ${list}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'a list';
  return JSON.stringify(value) ?? typeof value;
}

function quote(name: string): string {
  return `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
