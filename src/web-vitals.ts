// The web vitals pulse reports, and the worst of them over several page views: what a step, or a
// whole run, made the user feel. Shared by the heartbeat log, the metrics, the UI and thresholds.
import type { PageVitals, StepResult } from './result.ts';

/** Vitals measured in milliseconds, in the order a page load goes through them. */
export const TIMED_VITALS = ['ttfb', 'fcp', 'lcp', 'inp'] as const;
export type TimedVital = (typeof TIMED_VITALS)[number];

export interface WorstVitals {
  ttfbMs?: number;
  fcpMs?: number;
  lcpMs?: number;
  inpMs?: number;
  cls?: number;
}

const FIELD = { ttfb: 'ttfbMs', fcp: 'fcpMs', lcp: 'lcpMs', inp: 'inpMs' } as const satisfies Record<TimedVital, keyof PageVitals>;

/** The largest of each figure over the views; a figure no view has stays absent. */
export function worstVitals(views: readonly PageVitals[]): WorstVitals {
  const worst: WorstVitals = {};
  for (const view of views) {
    for (const vital of TIMED_VITALS) {
      const value = view[FIELD[vital]];
      if (typeof value === 'number') worst[FIELD[vital]] = Math.max(worst[FIELD[vital]] ?? 0, value);
    }
    worst.cls = Math.max(worst.cls ?? 0, view.cls);
  }
  return worst;
}

/** The worst over every step of a run. */
export function runVitals(steps: readonly Pick<StepResult, 'vitals'>[]): WorstVitals {
  return worstVitals(steps.flatMap((step) => step.vitals ?? []));
}

/** Bytes over the wire of every step of a run. */
export function runBytes(steps: readonly Pick<StepResult, 'network'>[]): number {
  return steps.reduce((sum, step) => sum + (step.network?.bytes ?? 0), 0);
}
