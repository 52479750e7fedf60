// The step() a journey calls: each step timed against its budget, its requests and web vitals read
// after it passed, and reported as it ends. The first failure decides; later steps are skipped.
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright';
import type { StepFn } from '../journey.ts';
import type { Redactor } from '../redact.ts';
import type { StepNetwork, StepResult } from '../result.ts';
import type { BodyClock } from './body.ts';
import { BudgetExceededError, StepSkippedError } from './classify.ts';
import { Deadline } from './deadline.ts';
import type { RequestWatch } from './requests.ts';
import type { VitalsReader } from './vitals.ts';

/** Streamed to the daemon as they happen, so a worker that dies still leaves its steps behind. */
export interface StepEvents {
  stepStarted(name: string): void;
  stepEnded(step: StepResult): void;
}

/** The step that decides the attempt, and what it failed with. */
export interface FailedStep {
  name: string;
  error: unknown;
}

/**
 * Where the attempt's steps stand: all passed so far; one failed, so later ones are skipped; or the
 * attempt ended, so none starts and those still running are not recorded (the failed one stays known).
 */
type StepsState = { kind: 'passing' } | { kind: 'failing'; failed: FailedStep } | { kind: 'ended'; failed: FailedStep | undefined };

/** Steps as the journey runs them: the first failure decides, later steps are skipped. */
export class StepLog {
  readonly steps: StepResult[] = [];
  /** When each recorded step ended (monotonic), to find the step a budget ran out in. */
  readonly #ends: number[] = [];
  #state: StepsState = { kind: 'passing' };
  /** The steps running now, in the order they started: one inside another (test.step() nesting), or side by side. */
  readonly #running: { name: string; started: number }[] = [];

  constructor(private readonly events: StepEvents) {}

  get failed(): FailedStep | undefined {
    return this.#state.kind === 'passing' ? undefined : this.#state.failed;
  }

  get ended(): boolean {
    return this.#state.kind === 'ended';
  }

  /** The name of the step running now: the innermost, or the last one started when a journey runs steps side by side. */
  get running(): string | undefined {
    return this.#running.at(-1)?.name;
  }

  /** Throws instead when the step may not run: the attempt ended, or an earlier step failed (then it is recorded as skipped). */
  admit(name: string): void {
    if (this.#state.kind === 'ended') throw new StepSkippedError(`step '${name}' not run: the attempt has ended`);
    if (this.#state.kind === 'failing') {
      this.#record({ name, status: 'skipped', durationMs: 0 });
      throw new StepSkippedError(`step '${name}' skipped: step '${this.#state.failed.name}' failed`);
    }
  }

  /** The step starts now; returns when, on the monotonic clock. */
  start(name: string): number {
    const started = performance.now();
    this.#running.push({ name, started });
    this.events.stepStarted(name);
    return started;
  }

  /** The step that started at `started` ended, however it did. */
  settle(started: number): void {
    const index = this.#running.findLastIndex((step) => step.started === started);
    if (index >= 0) this.#running.splice(index, 1);
  }

  /** Recorded unless the attempt has ended. */
  passed(step: StepResult): void {
    if (this.#state.kind !== 'ended') this.#record(step);
  }

  /** The first step that throws or runs out of time is recorded and decides; unless the attempt has ended. */
  threw(name: string, started: number, error: unknown): void {
    if (this.#state.kind !== 'passing') return;
    this.#record({ name, status: 'failed', durationMs: performance.now() - started });
    this.#fail({ name, error });
  }

  /** The attempt's outcome is being decided: what steps still do is no longer recorded. */
  end(): void {
    this.#state = { kind: 'ended', failed: this.failed };
  }

  /** The named step failed, though it returned: what it did is found out only after it, and outranks what broke next. */
  failNamed(name: string, error: unknown): void {
    const index = this.steps.findLastIndex((step) => step.name === name && step.status === 'passed');
    if (index < 0) return;
    this.steps[index] = { ...this.steps[index]!, status: 'failed' };
    this.#fail({ name, error });
  }

  /** The first step still running at `deadline` failed, though it returned: it overran the budget. */
  failAt(deadline: number, error: unknown): void {
    const index = this.#ends.findIndex((end, i) => end > deadline && this.steps[i]!.status === 'passed');
    if (index < 0 || this.failed) return;
    const step = this.steps[index]!;
    this.steps[index] = { ...step, status: 'failed' };
    this.#fail({ name: step.name, error });
  }

  /** The step that was running when the budget ran out counts as the failed one. */
  cutOff(error: unknown): void {
    const running = this.#running.at(-1);
    if (this.failed || !running) return;
    this.#record({ name: running.name, status: 'failed', durationMs: performance.now() - running.started });
    this.#fail({ name: running.name, error });
  }

  #fail(failed: FailedStep): void {
    this.#state = this.#state.kind === 'ended' ? { kind: 'ended', failed } : { kind: 'failing', failed };
  }

  #record(step: StepResult): void {
    this.steps.push(step);
    this.#ends.push(performance.now());
    this.events.stepEnded(step);
  }
}

export interface StepOptions {
  log: StepLog;
  stepTimeoutMs: number;
  clock: BodyClock;
  /** Step names and what a step saw are shown redacted, like everything an attempt reports. */
  redact: Redactor;
  /** The requests of the step in progress: the watch forgets the last step's when told one begins. */
  network: Pick<RequestWatch, 'beginStep' | 'stepNetwork'>;
  /** Web vitals, read after each step that passed; undefined when they are not collected. */
  vitals: { reader: Pick<VitalsReader, 'begin' | 'take'>; page: Page } | undefined;
  /** The browser calls the journey is waiting in, named when a step runs out of time. */
  callsInFlight: () => string[] | undefined;
}

/** The `step()` a journey's body is given. */
export function stepFunction({ log, stepTimeoutMs, clock, redact, network, vitals, callsInFlight }: StepOptions): StepFn {
  return async (name, body, ...extra: unknown[]) => {
    const shown = redact(String(name));
    log.admit(shown);
    // A step inside (or beside) a running one leaves the requests and web vitals to that one: both
    // are counted from a step's start, and one step's start must not cut the other's short.
    const outer = log.running === undefined;
    if (outer) {
      network.beginStep();
      vitals?.reader.begin();
    }
    const started = log.start(shown);
    const budget = new Deadline(stepTimeoutMs, () => new BudgetExceededError('step', stepTimeoutMs, callsInFlight()));
    try {
      // Not type-checked at run time: an options object would otherwise be ignored without a word.
      if (extra.length > 0)
        throw new TypeError(`step('${shown}') takes a name and a function, no options; set stepTimeout in the options of journey() instead`);
      const value = await Promise.race([Promise.resolve().then(body), budget.expired]);
      const durationMs = performance.now() - started;
      if (log.ended) return value;
      // Its timer could not fire (the step kept the event loop to itself), but the step budget decides all
      // the same; past the run's budget too, the run's verdict (the journey hogged its worker) says more.
      if (durationMs > stepTimeoutMs && !clock.overBudget()) throw new BudgetExceededError('step', stepTimeoutMs, callsInFlight());
      if (!outer) {
        log.passed({ name: shown, status: 'passed', durationMs });
        return value;
      }
      // Read after the step's time is taken: measuring is pulse's cost, not the step's. A body past
      // its budget without the timer firing kept the event loop to itself: no read, so it ends at
      // once and is judged for that.
      const felt = vitals && !clock.overBudget() && durationMs <= stepTimeoutMs ? await clock.excluding(() => vitals.reader.take(vitals.page)) : undefined;
      const { requests, failed, slowest } = network.stepNetwork();
      const stepNetwork: StepNetwork = {
        requests,
        bytes: felt?.bytes ?? 0,
        failed,
        ...(slowest ? { slowest: { key: redact(slowest.key), ms: slowest.ms } } : {}),
      };
      const views = felt?.views.map((view) => ({ ...view, url: redact(view.url) }));
      log.passed({ name: shown, status: 'passed', durationMs, network: stepNetwork, ...(views ? { vitals: views } : {}) });
      return value;
    } catch (error) {
      log.threw(shown, started, error);
      throw error;
    } finally {
      log.settle(started);
      budget.cancel();
    }
  };
}
