import type { RunResult } from '../result.ts';

/** A consumer of run results. Every hook is optional; none may reach back into the runner. */
export interface Sink {
  readonly name: string;
  onResult?(result: RunResult): void | Promise<void>;
  /** Flush and let go of resources at shutdown. */
  close?(): void | Promise<void>;
}

export interface SinkLog {
  error(fields: object, message: string): void;
}

/**
 * Calls every sink, each isolated from the others: one that throws or rejects is logged and
 * never stops the rest or the run loop.
 */
export class SinkFanout {
  constructor(
    private readonly sinks: readonly Sink[],
    private readonly log: SinkLog,
  ) {}

  async onResult(result: RunResult): Promise<void> {
    await Promise.all(this.sinks.map((sink) => this.#call(sink, 'onResult', () => sink.onResult?.(result))));
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => this.#call(sink, 'close', () => sink.close?.())));
  }

  async #call(sink: Sink, hook: string, fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.log.error({ sink: sink.name, hook, err: error instanceof Error ? error.message : String(error) }, `sink ${sink.name} failed`);
    }
  }
}
