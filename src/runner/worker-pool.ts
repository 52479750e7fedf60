import type { AttemptRequest } from './protocol.ts';
import { JourneyWorker, type LoadOutcome, type WorkerAttemptOutcome, type WorkerEndReason, type WorkerHooks } from './journey-worker.ts';

export interface WorkerPoolOptions {
  /** One worker per concurrency slot. */
  size: number;
  memoryLimitBytes: number;
  hooks?: WorkerHooks;
  /** A worker was ended and will be replaced, with why and the attempt it was running. */
  onReplaced?: (event: { reason: WorkerEndReason; message: string; pid: number; journey?: string; runId?: string }) => void;
  cwd?: string;
}

export interface PooledOutcome extends WorkerAttemptOutcome {
  /** The process that ran the attempt, for logs. */
  workerPid: number;
}

/**
 * A warm set of journey workers, reused across attempts of any journey and replaced when one
 * misbehaves. Journey code never runs in the process that holds the pool.
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #idle: JourneyWorker[] = [];
  readonly #all = new Set<JourneyWorker>();
  readonly #waiting: ((worker: JourneyWorker) => void)[] = [];
  /** Workers being started, so the pool never holds more than its size. */
  #starting = 0;
  #closed = false;

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
  }

  /** Starts every worker; resolves when they are warm. A worker that cannot start is tried again on first use. */
  async warm(): Promise<void> {
    const missing = this.#options.size - this.#all.size - this.#starting;
    await Promise.allSettled(Array.from({ length: missing }, () => this.#spawn()));
  }

  get size(): number {
    return this.#all.size;
  }

  /** Process ids of the live workers. */
  get pids(): number[] {
    return [...this.#all].map((worker) => worker.pid);
  }

  /** Runs one attempt in the next free worker; never rejects unless no worker can be started at all. */
  async attempt(request: AttemptRequest): Promise<PooledOutcome> {
    const worker = await this.#acquire();
    const outcome = await worker.attempt(request);
    const workerPid = worker.pid;
    // After a prober error (a crashed renderer, a lost connection) the next attempt starts clean too.
    const ended = outcome.ended ?? (outcome.result.status === 'error' ? { reason: 'error' as const, message: outcome.result.error?.message ?? 'prober error' } : undefined);
    if (ended || !worker.alive) {
      this.#retire(worker, ended ?? { reason: 'exit', message: 'the worker ended' }, request);
    } else {
      this.#release(worker);
    }
    return { ...outcome, workerPid };
  }

  /** Imports and validates one journey file in the next free worker; a worker that overruns the deadline is replaced. */
  async load(file: string, shown: string, deadlineMs: number): Promise<LoadOutcome> {
    const worker = await this.#acquire();
    const outcome = await worker.load(file, shown, deadlineMs);
    if ('timedOut' in outcome || 'died' in outcome || !worker.alive) {
      this.#retire(worker, { reason: 'load', message: 'timedOut' in outcome ? `loading ${shown} took longer than ${deadlineMs} ms` : `loading ${shown} ended the worker` });
    } else {
      this.#release(worker);
    }
    return outcome;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#all].map((worker) => worker.close()));
    this.#all.clear();
    this.#idle.length = 0;
  }

  async #acquire(): Promise<JourneyWorker> {
    if (this.#closed) throw new Error('worker pool is closed');
    while (this.#idle.length > 0) {
      const worker = this.#idle.pop()!;
      if (worker.alive) return worker;
      this.#retire(worker, { reason: 'exit', message: 'the worker ended while idle' });
    }
    if (this.#all.size + this.#starting < this.#options.size) {
      await this.#spawn();
      return this.#acquire();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async #spawn(): Promise<void> {
    this.#starting += 1;
    try {
      const worker = await JourneyWorker.start({ memoryLimitBytes: this.#options.memoryLimitBytes, hooks: this.#options.hooks, cwd: this.#options.cwd });
      if (this.#closed) {
        await worker.close();
        return;
      }
      this.#all.add(worker);
      this.#release(worker);
    } finally {
      this.#starting -= 1;
    }
  }

  #release(worker: JourneyWorker): void {
    const next = this.#waiting.shift();
    if (next) next(worker);
    else this.#idle.push(worker);
  }

  /** Ends a worker for good and starts its replacement in the background. */
  #retire(worker: JourneyWorker, why: { reason: WorkerEndReason; message: string }, request?: AttemptRequest): void {
    worker.kill(why);
    this.#all.delete(worker);
    this.#options.onReplaced?.({ ...why, pid: worker.pid, journey: request?.journey.name, runId: request?.runId });
    if (!this.#closed) this.#replace();
  }

  /** A waiting attempt gets the replacement; otherwise it waits warm in the pool. */
  #replace(): void {
    this.#spawn().catch(() => {
      // Attempts already waiting must not wait forever; a later attempt starts its own try.
      if (!this.#closed && this.#waiting.length > 0) setTimeout(() => this.#replace(), 1_000).unref();
    });
  }
}
