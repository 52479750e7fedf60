// Driving a journey's body: its own clock, the run budget it races, and how it ended.
import { performance } from 'node:perf_hooks';
import type { JourneyBody, JourneyContext } from '../journey.ts';
import { describeError } from '../errors.ts';
import { BudgetExceededError, JourneyFaultError } from './classify.ts';
import { Deadline } from './deadline.ts';
import type { JourneyWatch } from './journey-watch.ts';
import type { StepLog } from './steps.ts';

const CLOSED_TARGET = /Target page, context or browser has been closed|Browser (has been )?closed|Target closed|browser has disconnected/i;

/** The body's own time: from its start, less what pulse spends reading web vitals between steps. */
export class BodyClock {
  #started = Number.POSITIVE_INFINITY;
  #pulseMs = 0;

  /** `budgetMs`: the run budget. */
  constructor(readonly budgetMs: number) {}

  start(): void {
    this.#started = performance.now();
  }

  /** When the run budget ran out or runs out (monotonic). */
  get budgetEnd(): number {
    return this.#started + this.budgetMs;
  }

  /** How long the body has run, pulse's own work between steps left out. */
  elapsed(): number {
    return performance.now() - this.#started - this.#pulseMs;
  }

  /** The run is past its budget already, pulse's work included (the journey blocked the timers). */
  overBudget(): boolean {
    return performance.now() - this.#started > this.budgetMs;
  }

  /** Runs pulse's own work between steps: not the journey's time, so not in its duration. */
  async excluding<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.#pulseMs += performance.now() - started;
    }
  }
}

/** The body returned, or something broke it: it threw, or the run budget, a renderer crash or a fault of journey code came first. */
export type BodyEnd = { kind: 'returned' } | { kind: 'broke'; error: unknown };

export interface BodyRun {
  end: BodyEnd;
  /** The run budget's timer fired before the race was over. */
  budgetFired: boolean;
}

export interface RunBodyOptions {
  body: JourneyBody;
  /** What the body is given: the page, its context, step() and the params. */
  lent: JourneyContext;
  clock: BodyClock;
  watch: JourneyWatch;
  /** Rejects when journey code misbehaves outside the chain the attempt awaits (a throw in a timer, process.exit). */
  fault: Promise<never> | undefined;
}

/** Runs the body against the run budget, a renderer crash and faults of journey code: whichever ends first ends it. */
export async function runBody({ body, lent, clock, watch, fault }: RunBodyOptions): Promise<BodyRun> {
  const budget = new Deadline(clock.budgetMs, () => new BudgetExceededError('run', clock.budgetMs, watch.callsInFlight()));
  clock.start();
  const bodyRun = Promise.resolve().then(() => body(lent));
  // The body may go on in the background after a timeout until the context closes; its end is of no interest.
  bodyRun.catch(() => undefined);
  try {
    await Promise.race([bodyRun, budget.expired, watch.crashed, ...(fault ? [fault] : [])]);
    return { end: { kind: 'returned' }, budgetFired: budget.fired };
  } catch (error) {
    return { end: { kind: 'broke', error }, budgetFired: budget.fired };
  } finally {
    budget.cancel();
  }
}

export interface FindEndOptions {
  ran: BodyRun;
  /** The body's duration as reported. */
  durationMs: number;
  clock: BodyClock;
  log: StepLog;
  watch: JourneyWatch;
}

/**
 * How the body ended, with what pulse finds out only after it: a body that kept its worker past
 * the budget, or closed what it was lent, broke by its own code's doing, whatever it returned;
 * the step it did that in is marked failed.
 */
export async function findEnd({ ran, durationMs, clock, log, watch }: FindEndOptions): Promise<BodyEnd> {
  let end = ran.end;
  // A body that ends after its budget without the budget's timer firing kept the event loop to itself.
  if (end.kind === 'returned' && durationMs > clock.budgetMs && !ran.budgetFired) {
    const fault = new JourneyFaultError(
      `journey code kept its worker busy for ${Math.round(durationMs)} ms, past the run budget of ${clock.budgetMs} ms (a synchronous loop or a blocking call?)`,
    );
    end = { kind: 'broke', error: fault };
    log.failAt(clock.budgetEnd, fault);
  }
  // A closed target often fails the step a moment before the connection reports why: give it that moment.
  if (end.kind === 'broke' && !watch.browserLost && !watch.closed && CLOSED_TARGET.test(describeError(log.failed?.error ?? end.error).message))
    await watch.disconnected(1_000);
  if (watch.closed) {
    const fault = new JourneyFaultError(`the journey called ${watch.closed.call}: pulse owns the browser and the context; a journey must leave them open`);
    end = { kind: 'broke', error: fault };
    if (watch.closed.inStep) log.failNamed(watch.closed.inStep, fault);
  }
  return end;
}
