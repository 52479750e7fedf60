import type { RunResult } from '../result.ts';

/**
 * When a sink hears of a result, first to last. Metrics first, so /metrics never lags what
 * anything else shows; the store before the log, so the run page a heartbeat line links to exists
 * when the line is written; pushes last, as they leave the machine; a test's or bench's own sink
 * after everything pulse does.
 */
export const SINK_STAGES = ['metrics', 'store', 'log', 'push', 'observer'] as const;
export type SinkStage = (typeof SINK_STAGES)[number];

/** A consumer of run results. None may reach back into the runner or the store. */
export interface Sink {
  readonly name: string;
  readonly stage: SinkStage;
  onResult(result: RunResult): void | Promise<void>;
  /** Flush and let go of resources at shutdown. */
  close?(): void | Promise<void>;
}

export interface SinkLog {
  error(fields: object, message: string): void;
}

/**
 * Gives every result to every sink in the order of their stages (in the order added within one
 * stage), each isolated from the others: one that throws or rejects is logged and never stops the
 * rest or the run loop. Synchronous sinks run at once, in order; only promises are awaited.
 */
export class SinkFanout {
  readonly #sinks: Sink[] = [];
  readonly #log: SinkLog;

  constructor(log: SinkLog, sinks: readonly Sink[] = []) {
    this.#log = log;
    this.add(...sinks);
  }

  add(...sinks: Sink[]): void {
    this.#sinks.push(...sinks);
    // Stable: sinks of one stage keep the order they were added in.
    this.#sinks.sort((a, b) => SINK_STAGES.indexOf(a.stage) - SINK_STAGES.indexOf(b.stage));
  }

  /** The sinks in the order they hear of a result. */
  get names(): string[] {
    return this.#sinks.map((sink) => sink.name);
  }

  onResult(result: RunResult): Promise<void> {
    return this.#all('onResult', (sink) => sink.onResult(result));
  }

  close(): Promise<void> {
    return this.#all('close', (sink) => sink.close?.());
  }

  async #all(hook: 'onResult' | 'close', call: (sink: Sink) => void | Promise<void>): Promise<void> {
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
