// A journey's thresholds as plain data, the judging of a successful run against them (what turns
// a heartbeat `degraded`: still a success, the value was delivered) and how a breach reads.
// Shared by the registry (it validates them), the runner (it judges), the sinks and the UI.
import { closest, distance } from 'fastest-levenshtein';
import type { AttemptResult, Breach, PageVitals, StepResult, ThresholdMetric } from './result.ts';
import { THRESHOLD_METRICS } from './result.ts';
import { worstVitals, type WorstVitals } from './web-vitals.ts';

/** Limits by metric: milliseconds, a layout shift score for `cls`. */
export type Limits = Readonly<Partial<Record<ThresholdMetric, number>>>;

/** A journey's thresholds as validated: plain data, so they travel with its definition. */
export interface ThresholdLimits {
  /** The whole run: the successful attempt's duration, and the worst page view of any step. */
  run: Limits;
  /** Per step name, in the order written. A list, not a record: step names are free text. */
  steps: readonly { name: string; limits: Limits }[];
}

export interface Judgement {
  /** Run breaches first, then each step's in the order the steps ran. */
  breaches: Breach[];
  /** Step thresholds whose step did not run in the judged attempt. */
  unmatched: string[];
}

type Figures = Partial<Record<ThresholdMetric, number>>;

/** Compares the deciding attempt of a successful run with the limits; a figure not measured breaks nothing. */
function judgeRun(thresholds: ThresholdLimits, attempt: Pick<AttemptResult, 'durationMs' | 'steps'>): Judgement {
  const breaches: Breach[] = [];
  const views = attempt.steps.flatMap((step) => step.vitals ?? []);
  breaches.push(...compare(thresholds.run, runFigures(attempt.durationMs, views)));

  const ran = attempt.steps.filter((step) => step.status === 'passed');
  const order = [...new Set(ran.map((step) => step.name))];
  const unmatched: string[] = [];
  const stepBreaches = new Map<string, Breach[]>();
  for (const { name, limits } of thresholds.steps) {
    const same = ran.filter((step) => step.name === name);
    if (same.length === 0) {
      unmatched.push(name);
      continue;
    }
    stepBreaches.set(
      name,
      compare(limits, stepFigures(same)).map((breach) => ({ step: name, ...breach })),
    );
  }
  for (const name of order) breaches.push(...(stepBreaches.get(name) ?? []));
  return { breaches, unmatched };
}

/** The whole run: its duration, and the worst of every page view. */
function runFigures(durationMs: number, views: readonly PageVitals[]): Figures {
  return { duration: durationMs, ...vitalFigures(worstVitals(views)) };
}

/**
 * One step (every run of a step name, should a journey repeat it): its longest duration; TTFB, FCP
 * and LCP of the pages it loaded itself, so that a step acting on a page an earlier step loaded is
 * not blamed for that load; INP and CLS of every page it loaded or acted on.
 */
function stepFigures(steps: readonly StepResult[]): Figures {
  const views = steps.flatMap((step) => step.vitals ?? []);
  const loaded = vitalFigures(worstVitals(views.filter((view) => !view.continued)));
  const all = vitalFigures(worstVitals(views));
  return {
    duration: Math.max(...steps.map((step) => step.durationMs)),
    ...(loaded.ttfb !== undefined ? { ttfb: loaded.ttfb } : {}),
    ...(loaded.fcp !== undefined ? { fcp: loaded.fcp } : {}),
    ...(loaded.lcp !== undefined ? { lcp: loaded.lcp } : {}),
    ...(all.inp !== undefined ? { inp: all.inp } : {}),
    ...(all.cls !== undefined ? { cls: all.cls } : {}),
  };
}

function vitalFigures(worst: WorstVitals): Figures {
  const figures: Figures = {};
  if (worst.ttfbMs !== undefined) figures.ttfb = worst.ttfbMs;
  if (worst.fcpMs !== undefined) figures.fcp = worst.fcpMs;
  if (worst.lcpMs !== undefined) figures.lcp = worst.lcpMs;
  if (worst.inpMs !== undefined) figures.inp = worst.inpMs;
  if (worst.cls !== undefined) figures.cls = worst.cls;
  return figures;
}

/** Whole milliseconds and four places of CLS, as pulse reports them; a figure at its limit keeps it. */
function compare(limits: Limits, figures: Figures): Omit<Breach, 'step'>[] {
  const breaches: Omit<Breach, 'step'>[] = [];
  for (const metric of THRESHOLD_METRICS) {
    const limit = limits[metric];
    const measured = figures[metric];
    if (limit === undefined || measured === undefined) continue;
    const actual = metric === 'cls' ? Math.round(measured * 10_000) / 10_000 : Math.round(measured);
    if (actual > limit) breaches.push({ metric, limit, actual });
  }
  return breaches;
}

/** One line per breach: "'add to cart' duration 2412 ms over 2000 ms", "run cls 0.31 over 0.1". */
export function describeBreach(breach: Breach): string {
  const figure = (value: number) => (breach.metric === 'cls' ? String(value) : `${value} ms`);
  return `${breach.step === undefined ? 'run' : `'${breach.step}'`} ${breach.metric} ${figure(breach.actual)} over ${figure(breach.limit)}`;
}

/** Every metric a journey's thresholds judge, so that its counters can start at 0. */
export function judgedMetrics(thresholds: ThresholdLimits): ThresholdMetric[] {
  const used = new Set<ThresholdMetric>();
  for (const limits of [thresholds.run, ...thresholds.steps.map((step) => step.limits)]) {
    for (const metric of THRESHOLD_METRICS) if (limits[metric] !== undefined) used.add(metric);
  }
  return THRESHOLD_METRICS.filter((metric) => used.has(metric));
}

export interface ThresholdLog {
  warn(fields: object, message: string): void;
}

/**
 * Judges the runs of one runner, and says once per journey and step name when a step threshold
 * matched no step of a successful run: a renamed step or a typo would otherwise go unjudged silently.
 */
export class ThresholdJudge {
  readonly #told = new Set<string>();

  judge(
    journey: { name: string; thresholds?: ThresholdLimits },
    attempt: Pick<AttemptResult, 'status' | 'durationMs' | 'steps'>,
    log?: ThresholdLog,
  ): Breach[] | undefined {
    if (!journey.thresholds || attempt.status !== 'success') return undefined;
    const { breaches, unmatched } = judgeRun(journey.thresholds, attempt);
    for (const step of unmatched) {
      const key = `${journey.name}\u0000${step}`;
      if (this.#told.has(key)) continue;
      this.#told.add(key);
      const names = [...new Set(attempt.steps.map((s) => s.name))];
      const near = names.length > 0 ? closest(step, names) : undefined;
      const suggestion = near !== undefined && distance(step, near) <= Math.max(2, Math.floor(step.length / 3)) ? near : undefined;
      log?.warn(
        { event: 'threshold_unmatched', journey: journey.name, step, steps: names, ...(suggestion ? { suggestion } : {}) },
        `thresholds.steps['${step}'] of ${journey.name} matched no step of a successful run${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; it is not judged until a step of that name runs`,
      );
    }
    return breaches.length > 0 ? breaches : undefined;
  }
}
