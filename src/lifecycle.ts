export interface LifecycleLog {
  error(fields: object, message: string): void;
}

interface Stopper {
  name: string;
  stop: () => void | Promise<void>;
}

/**
 * Parts started one after another and stopped in the reverse order, by one path whether the start
 * failed half-way or the process is stopping: each part is stopped only if it was started, after
 * everything started after it. A part that fails to stop is logged, the rest still stop, and the
 * stop then fails with every such error.
 */
export class Lifecycle {
  readonly #log: LifecycleLog;
  readonly #started: Stopper[] = [];
  #stopping: Promise<void> | undefined;

  constructor(log: LifecycleLog) {
    this.#log = log;
  }

  /** Starts a part; once it is up, `stop` is what ends it. */
  async start<T>(name: string, start: () => T | Promise<T>, stop?: (part: T) => void | Promise<void>): Promise<T> {
    if (this.#stopping) throw new Error(`${name} not started: stopping`);
    const part = await start();
    if (stop) this.#started.push({ name, stop: () => stop(part) });
    return part;
  }

  /** A part built without starting anything, that still needs ending at its place in the order. */
  add(name: string, stop: () => void | Promise<void>): void {
    this.#started.push({ name, stop });
  }

  /** The started parts, in start order. */
  get parts(): string[] {
    return this.#started.map((part) => part.name);
  }

  stop(): Promise<void> {
    return (this.#stopping ??= this.#stopAll());
  }

  async #stopAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const part of [...this.#started].reverse()) {
      try {
        await part.stop();
      } catch (error) {
        errors.push(error);
        this.#log.error(
          { event: 'stop_failed', part: part.name, err: error instanceof Error ? error.message : String(error) },
          `${part.name} did not stop cleanly`,
        );
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} parts did not stop cleanly`);
  }
}
