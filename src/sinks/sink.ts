import type { RunResult } from '../result.ts';
import type { WorkerEndReason } from '../worker-protocol.ts';
import type { SkipReason } from '../scheduler/skip-reason.ts';
import type { StoreProblem } from '../store/database.ts';
import type { DeliveryOutcome } from './delivery-queue.ts';

/** Everything a sink can hear of, from a run's result to the prober's own events. */
export interface SinkHooks {
  onResult(result: RunResult): void | Promise<void>;
  /** A planned run did not start. */
  onSkip(journey: string, reason: SkipReason): void;
  /** A planned run started this many seconds after its planned time. */
  onLag(seconds: number): void;
  /** The browser had to be relaunched. */
  onBrowserRestart(): void;
  /** A journey worker was ended and replaced. */
  onWorkerReplaced(reason: WorkerEndReason): void;
  /** The run store failed at something, or was started afresh. */
  onStoreProblem(problem: StoreProblem): void;
  /** What became of one push of a push sink. */
  onPushOutcome(sink: string, outcome: DeliveryOutcome): void;
  /** Flush and let go of resources at shutdown. */
  close(): void | Promise<void>;
}

/** A consumer of what pulse does. Every hook is optional; none may reach back into the runner. */
export type Sink = { readonly name: string } & Partial<SinkHooks>;

export interface SinkLog {
  error(fields: object, message: string): void;
}

/**
 * Calls every sink's hook, each isolated from the others: one that throws or rejects is logged
 * and never stops the rest or the run loop. Every hook goes through the same wrapper.
 */
export class SinkFanout implements Required<SinkHooks> {
  readonly name = 'fanout';

  readonly #sinks: Sink[];
  readonly #log: SinkLog;

  constructor(log: SinkLog, sinks: readonly Sink[] = []) {
    this.#log = log;
    this.#sinks = [...sinks];
  }

  /** Adds sinks, called after those already there. */
  add(...sinks: Sink[]): void {
    this.#sinks.push(...sinks);
  }

  onResult(result: RunResult): Promise<void> {
    return this.#all('onResult', (sink) => sink.onResult?.(result));
  }

  onSkip(journey: string, reason: SkipReason): void {
    void this.#all('onSkip', (sink) => sink.onSkip?.(journey, reason));
  }

  onLag(seconds: number): void {
    void this.#all('onLag', (sink) => sink.onLag?.(seconds));
  }

  onBrowserRestart(): void {
    void this.#all('onBrowserRestart', (sink) => sink.onBrowserRestart?.());
  }

  onWorkerReplaced(reason: WorkerEndReason): void {
    void this.#all('onWorkerReplaced', (sink) => sink.onWorkerReplaced?.(reason));
  }

  onStoreProblem(problem: StoreProblem): void {
    void this.#all('onStoreProblem', (sink) => sink.onStoreProblem?.(problem));
  }

  onPushOutcome(sink: string, outcome: DeliveryOutcome): void {
    void this.#all('onPushOutcome', (each) => each.onPushOutcome?.(sink, outcome));
  }

  close(): Promise<void> {
    return this.#all('close', (sink) => sink.close?.());
  }

  /** Synchronous hooks run at once, in order; only what a sink returns as a promise is awaited. */
  async #all(hook: keyof SinkHooks, call: (sink: Sink) => void | Promise<void>): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const sink of this.#sinks) {
      try {
        const returned = call(sink);
        if (returned) pending.push(returned.catch((error: unknown) => this.#failed(sink, hook, error)));
      } catch (error) {
        this.#failed(sink, hook, error);
      }
    }
    await Promise.all(pending);
  }

  #failed(sink: Sink, hook: string, error: unknown): void {
    this.#log.error({ sink: sink.name, hook, err: error instanceof Error ? error.message : String(error) }, `sink ${sink.name} failed`);
  }
}
