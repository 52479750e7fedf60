import type { ControlLoop } from './control/control-loop.ts';
import type { ProberEvents, SkipReason } from './events.ts';
import type { Logger } from './logger.ts';
import type { RunNowOutcome } from './operations/operations.ts';
import type { RunTrigger } from './result.ts';
import { newRunId, type Runner } from './runner/runner.ts';
import type { PlannedRun, Scheduler, SchedulerEvents } from './scheduler/scheduler.ts';
import type { SinkFanout } from './sinks/sink.ts';
import type { RunWriter } from './store/run-writer.ts';

export interface DispatcherOptions {
  runner: Runner;
  sinks: SinkFanout;
  events: ProberEvents;
  /** Where a run is marked in flight as it starts, so that a crash leaves it recorded. */
  store: Pick<RunWriter, 'runStarted'>;
  location: string;
  log: Logger;
}

/**
 * The daemon's run loop: runs what the scheduler plans (or on-call asks for) on the runner, gives
 * each result to the sinks, and knows which run of each journey is in flight.
 */
export class Dispatcher {
  readonly #options: DispatcherOptions;
  /** The run of each journey in flight, so that a second "run now" can say where to watch. */
  readonly #running = new Map<string, string>();
  /** Set once the grace period ran out: results still coming in then are not the target's. */
  #graceOver = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  schedulerEvents(): SchedulerEvents {
    return {
      execute: (plan) => this.#execute(plan),
      skipped: (journey, reason) => this.#skipped(journey, reason),
      lag: (seconds) => this.#options.events.emit({ kind: 'lag', seconds }),
    };
  }

  /** A run now, through the scheduler's slots; its id, or why not and which run is in the way. */
  trigger(scheduler: Pick<Scheduler, 'trigger'>, name: string, by: string): RunNowOutcome {
    const runId = newRunId();
    const outcome = scheduler.trigger(name, { runId, by });
    if (outcome.started) {
      this.#running.set(name, runId);
      return { runId };
    }
    const inWay = outcome.reason === 'busy' ? this.#running.get(name) : undefined;
    return { error: outcome.reason, ...(inWay ? { runId: inWay } : {}) };
  }

  /** No new runs; the ones in flight (the control run included) get the grace period to end. */
  async drain({ scheduler, controlLoop, graceMs }: { scheduler: Scheduler; controlLoop: ControlLoop | undefined; graceMs: number }): Promise<void> {
    const graceEnds = Date.now() + graceMs;
    const controlStopped = controlLoop?.stop();
    const { unfinished } = await scheduler.stop(graceMs);
    // A control run in flight gets what is left of the grace period; closing the workers ends it after that.
    let graceTimer: NodeJS.Timeout | undefined;
    await Promise.race([controlStopped, new Promise((resolve) => (graceTimer = setTimeout(resolve, Math.max(0, graceEnds - Date.now()))))]);
    clearTimeout(graceTimer);
    if (unfinished > 0) {
      this.#graceOver = true;
      this.#options.log.warn({ event: 'grace_period_over', unfinished }, `${unfinished} runs did not finish within the grace period`);
    }
  }

  async #execute({ journey, manual }: PlannedRun): Promise<void> {
    const { runner, sinks, store, location, log } = this.#options;
    const runId = manual?.runId ?? newRunId();
    const trigger: RunTrigger = manual ? { kind: 'manual', by: manual.by } : { kind: 'schedule' };
    const runLog = log.child({ journey: journey.name, runId });
    runLog.debug({ event: 'run_started', trigger: trigger.kind }, `run of ${journey.name} started`);
    store.runStarted({ runId, journey: journey.name, location, startedAt: new Date().toISOString() });
    this.#running.set(journey.name, runId);
    try {
      const result = await runner.run(journey, { runId, log: runLog, trigger });
      if (this.#graceOver) {
        // Cut off by the shutdown, not broken: say so, and tell no sink that the target failed.
        this.#options.events.emit({ kind: 'skipped', journey: journey.name, reason: 'shutdown' });
        runLog.warn({ event: 'run_abandoned', status: result.status }, 'run cut off by the shutdown; not recorded');
        return;
      }
      await sinks.onResult(result);
    } catch (error) {
      runLog.error({ event: 'run_crashed', err: error instanceof Error ? error.stack : String(error) }, 'run could not be completed');
    } finally {
      this.#running.delete(journey.name);
    }
  }

  #skipped(journey: string, reason: SkipReason): void {
    // A run asked for now that never got a slot is not in flight any more.
    if (reason === 'saturated' || reason === 'shutdown') this.#running.delete(journey);
    this.#options.events.emit({ kind: 'skipped', journey, reason });
  }
}
