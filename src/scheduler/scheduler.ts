import cron, { type Logger as CronLogger } from 'node-cron';
import type { JourneyDefinition } from '../journey.ts';
import type { SkipReason } from '../events.ts';
import { jitterMs } from './jitter.ts';
import { intervalSeconds } from './schedule.ts';
import { Slots } from './slots.ts';

/** Pulse's own work (the control journey) takes its turn at the slots beside the journeys. */
const OWN_WORK = Symbol('pulse own work');

export interface PlannedRun {
  journey: JourneyDefinition;
  /** Tick time plus the journey's jitter: when the run should start. */
  plannedAt: Date;
  /** Set for runs asked for now: their id is known before they start, and who asked. */
  manual?: { runId: string; by: string };
}

/** What became of a request to run a journey now. */
export type TriggerOutcome = { started: true } | { started: false; reason: 'unknown' | 'busy' | 'stopping' };

export interface SchedulerEvents {
  /** Runs one journey to its end (runner plus sinks); must not throw. */
  execute(plan: PlannedRun): Promise<void>;
  skipped(journey: string, reason: SkipReason): void;
  /** Seconds from the planned start to the real start. */
  lag(seconds: number): void;
}

export interface SchedulerOptions {
  journeys: readonly JourneyDefinition[];
  concurrency: number;
  events: SchedulerEvents;
  /** Replaces every journey's own schedule, e.g. for the demo. */
  scheduleOverride?: string;
  /** Where node-cron's own messages go, so that every line pulse writes stays JSON; a pino logger fits. */
  log?: SchedulerLog;
  /** A paused journey's ticks are skipped and counted as `paused`. */
  isPaused?: (journey: JourneyDefinition) => boolean;
  /** Where ticks, the time and the jitter waits come from; node-cron and the real clock unless a test holds its own. */
  clock?: SchedulerClock;
}

/** The scheduler's time: cron ticks, the time now, and timers. */
export interface SchedulerClock {
  /** Calls onTick at each time the schedule names, and onMissed for a tick that could not fire in time. */
  every(
    schedule: string,
    options: { name: string; timezone?: string; logger: CronLogger },
    onTick: (tick: Date) => void,
    onMissed: () => void,
  ): { stop(): unknown };
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** node-cron and the wall clock. */
export const realClock: SchedulerClock = {
  every(schedule, options, onTick, onMissed) {
    const task = cron.createTask(schedule, (context) => onTick(context.date), {
      ...options,
      // Overlap is decided by the scheduler, per journey, so that it is counted; node-cron must always call it.
      noOverlap: false,
    });
    task.on('execution:missed', onMissed);
    void task.start();
    return { stop: () => task.destroy() };
  },
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface SchedulerLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/**
 * node-cron per journey, a deterministic jitter, never two runs of one journey at once, and a
 * global cap on concurrent runs; a run that cannot get a slot within its interval is dropped, and a
 * freed slot goes to the journey that has waited longest since its last run (slots.ts).
 */
export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #slots: Slots;
  readonly #clock: SchedulerClock;
  readonly #tasks: { stop(): unknown }[] = [];
  /** Journeys with a run planned, waiting or in flight. */
  readonly #busy = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Jitter waits before a run, with the journey each is for. */
  readonly #timers = new Map<unknown, string>();
  #stopping = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#slots = new Slots(options.concurrency);
    this.#clock = options.clock ?? realClock;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  start(): void {
    const logger = cronLogger(this.#options.log);
    for (const journey of this.#options.journeys) {
      const schedule = this.#options.scheduleOverride ?? journey.schedule;
      const interval = intervalSeconds(schedule, journey.timezone);
      const jitter = jitterMs(journey.name, interval);
      const task = this.#clock.every(
        schedule,
        { name: journey.name, timezone: journey.timezone, logger },
        (tick) => this.#tick(journey, tick, jitter, interval),
        // A tick node-cron could not fire in time (the process was starved) is a skipped run, counted, not a stray line.
        () => this.#options.events.skipped(journey.name, 'missed'),
      );
      this.#tasks.push(task);
    }
  }

  /**
   * Runs a journey now, through the same concurrency cap, never beside a run of itself in
   * flight; a pause does not hold it (on-call asked for this run).
   */
  trigger(name: string, manual: { runId: string; by: string }): TriggerOutcome {
    if (this.#stopping) return { started: false, reason: 'stopping' };
    const journey = this.#options.journeys.find((j) => j.name === name);
    if (!journey) return { started: false, reason: 'unknown' };
    if (this.#busy.has(name)) return { started: false, reason: 'busy' };
    this.#busy.add(name);
    const schedule = this.#options.scheduleOverride ?? journey.schedule;
    this.#begin(journey, new Date(this.#clock.now()), intervalSeconds(schedule, journey.timezone), manual);
    return { started: true };
  }

  /**
   * Runs work of pulse's own (the control journey) under the same concurrency cap as the
   * journeys. Resolves 'done', or 'saturated' when no slot came within deadlineMs, or 'stopping'.
   */
  async withSlot(deadlineMs: number, work: () => Promise<void>): Promise<'done' | 'saturated' | 'stopping'> {
    if (this.#stopping) return 'stopping';
    const granted = await this.#slots.acquire(OWN_WORK, { deadlineMs });
    if (!granted) return this.#stopping ? 'stopping' : 'saturated';
    try {
      if (this.#stopping) return 'stopping';
      await work();
      return 'done';
    } finally {
      this.#slots.release();
    }
  }

  #tick(journey: JourneyDefinition, tick: Date, jitter: number, interval: number): void {
    if (this.#stopping) return;
    if (this.#options.isPaused?.(journey)) {
      this.#options.events.skipped(journey.name, 'paused');
      return;
    }
    if (this.#busy.has(journey.name)) {
      this.#options.events.skipped(journey.name, 'overlap');
      return;
    }
    this.#busy.add(journey.name);
    const plannedAt = new Date(tick.getTime() + jitter);
    const wait = plannedAt.getTime() - this.#clock.now();
    if (wait <= 0) return this.#begin(journey, plannedAt, interval);
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      this.#begin(journey, plannedAt, interval);
    }, wait);
    this.#timers.set(timer, journey.name);
  }

  #begin(journey: JourneyDefinition, plannedAt: Date, interval: number, manual?: PlannedRun['manual']): void {
    const run = this.#run(journey, plannedAt, interval, manual).finally(() => {
      this.#inFlight.delete(run);
      this.#busy.delete(journey.name);
    });
    this.#inFlight.add(run);
    // execute() reports its own failures; this only keeps a stray rejection from ending the process.
    run.catch(() => undefined);
  }

  async #run(journey: JourneyDefinition, plannedAt: Date, interval: number, manual?: PlannedRun['manual']): Promise<void> {
    if (this.#stopping) {
      this.#options.events.skipped(journey.name, 'shutdown');
      return;
    }
    // A run still waiting for a slot when its next tick is due is no longer worth starting.
    const deadline = Math.max(0, plannedAt.getTime() + interval * 1000 - this.#clock.now());
    const granted = await this.#slots.acquire(journey.name, { deadlineMs: deadline, asked: manual !== undefined });
    if (!granted) {
      this.#options.events.skipped(journey.name, this.#stopping ? 'shutdown' : 'saturated');
      return;
    }
    try {
      if (this.#stopping) {
        this.#options.events.skipped(journey.name, 'shutdown');
        return;
      }
      // A run asked for now has no planned second to be late for.
      if (!manual) this.#options.events.lag((this.#clock.now() - plannedAt.getTime()) / 1000);
      await this.#options.events.execute({ journey, plannedAt, ...(manual ? { manual } : {}) });
    } finally {
      this.#slots.release();
    }
  }

  /** Stops planning; waiting runs are skipped as shutdown; resolves when in-flight runs end or the grace period is over. */
  async stop(graceMs: number): Promise<{ unfinished: number }> {
    this.#stopping = true;
    for (const task of this.#tasks) await task.stop();
    for (const [timer, journey] of this.#timers) {
      this.#clock.clearTimeout(timer);
      this.#options.events.skipped(journey, 'shutdown');
    }
    this.#timers.clear();
    this.#slots.cancelAll();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([Promise.allSettled([...this.#inFlight]).then(() => 'done' as const), grace]);
    clearTimeout(timer);
    return { unfinished: outcome === 'timeout' ? this.#inFlight.size : 0 };
  }
}

/** node-cron's logger interface, onto pulse's structured log (or silence in tests that pass none). */
function cronLogger(log: SchedulerLog | undefined): CronLogger {
  const text = (message: string | Error) => (message instanceof Error ? message.message : message);
  return {
    info: (message) => log?.debug({ event: 'cron' }, message),
    debug: (message) => log?.debug({ event: 'cron' }, text(message)),
    warn: (message) => log?.warn({ event: 'cron' }, message),
    error: (message, err) => log?.error({ event: 'cron', err: err?.message }, text(message)),
  };
}
