import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../result.ts';
import type { JourneyDefinition } from '../journey.ts';
import { newRunId, type RunPlan, type Runner, type RunnerLog } from '../runner/runner.ts';

const here = fileURLToPath(import.meta.url);
/** The built-in control journey beside this file: control.journey.ts in a checkout, .js in a build. */
export const CONTROL_JOURNEY_FILE = path.join(path.dirname(here), `control.journey${path.extname(here)}`);

/** Where the control journey gets its run slot: the scheduler's, so it counts against the concurrency cap. */
export interface SlotSource {
  withSlot(deadlineMs: number, work: () => Promise<void>): Promise<'done' | 'saturated' | 'stopping'>;
}

export interface ControlLoopOptions {
  journey: JourneyDefinition;
  intervalMs: number;
  /** The journeys' own runner: the same workers and browsers. */
  runner: Runner;
  /** What the control runs set for themselves: a base URL pointing at pulse itself, no trace. */
  plan: RunPlan;
  slots: SlotSource;
  log: RunnerLog & { child(bindings: object): RunnerLog };
  onResult: (result: RunResult) => void;
}

/**
 * Runs the control journey every interval, one run at a time, through the same run slots as the
 * journeys. Its results go to prober health and the log only: no sink, so it is never a journey
 * of the user's (overview, metrics, run store).
 */
export class ControlLoop {
  readonly #options: ControlLoopOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopping = false;

  constructor(options: ControlLoopOptions) {
    this.#options = options;
  }

  /** The first run comes one interval after the start, so it does not compete with the journeys' first runs. */
  start(): void {
    this.#next(this.#options.intervalMs);
  }

  /** No new runs; resolves when the one in flight (if any) has ended. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #next(delayMs: number): void {
    if (this.#stopping) return;
    this.#timer = setTimeout(() => {
      const started = performance.now();
      this.#running = this.#tick().finally(() => {
        this.#running = undefined;
        this.#next(Math.max(0, this.#options.intervalMs - (performance.now() - started)));
      });
    }, delayMs);
  }

  async #tick(): Promise<void> {
    const { journey, runner, slots, intervalMs } = this.#options;
    const runId = newRunId();
    const log = this.#options.log.child({ journey: journey.name, runId });
    let result: RunResult | undefined;
    try {
      const outcome = await slots.withSlot(intervalMs, async () => {
        result = await runner.run(journey, { runId, log, plan: this.#options.plan });
      });
      if (outcome === 'saturated') {
        // Prober health sees the control result age; too many of these in a row fail its check.
        log.warn({ event: 'control_skipped', reason: 'saturated' }, 'control journey skipped: no free run slot within its interval');
      }
    } catch (error) {
      log.warn({ event: 'control_failed', status: 'error', err: error instanceof Error ? error.message : String(error) }, 'control journey could not be run');
      return;
    }
    // A run cut short by the shutdown says nothing about pulse's health.
    if (!result || this.#stopping) return;
    if (result.status === 'success') {
      log.debug?.({ event: 'control_passed', durationMs: Math.round(result.durationMs), attempts: result.attempts }, 'control journey passed');
    } else {
      log.warn(
        {
          event: 'control_failed',
          status: result.status,
          step: result.error?.step,
          reason: result.error?.reason,
          cause: result.cause,
          err: result.error?.message,
          attempts: result.attempts,
          artifacts: result.artifacts,
        },
        `control journey ${result.status}: pulse itself may be sick`,
      );
    }
    this.#options.onResult(result);
  }
}
