// A step name a journey ran more than once in one attempt (a step() in a loop or a helper, whose
// name no scan of the file can see): its timings share one series in /metrics and one row in the
// waterfall's thresholds. Not a failure; said once per journey and name, like an unmatched threshold.
import type { StepResult } from '../result.ts';

export interface RepeatedStepsLog {
  warn(fields: object, message: string): void;
}

export class RepeatedSteps {
  readonly #told = new Set<string>();

  /** Logs each name in `steps` used more than once, the first time this journey repeats it. */
  check(journey: string, steps: readonly StepResult[], log: RepeatedStepsLog | undefined): void {
    const counts = new Map<string, number>();
    for (const step of steps) if (step.status !== 'skipped') counts.set(step.name, (counts.get(step.name) ?? 0) + 1);
    for (const [step, times] of counts) {
      const key = `${journey}\u0000${step}`;
      if (times < 2 || this.#told.has(key)) continue;
      this.#told.add(key);
      log?.warn(
        { event: 'step_name_repeated', journey, step, times },
        `step '${step}' ran ${times} times in one run of ${journey}: its timings are one series in /metrics and one name to thresholds; give each its own name, e.g. with the item it works on ('${step} 1')`,
      );
    }
  }
}
