import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../errors.ts';
// delivered: the endpoint took it; failed: every attempt failed; dropped: never sent, because
// the queue was full (the oldest item goes) or because close() ran out of time.
import type { DeliveryOutcome } from '../events.ts';

export interface DeliveryLog {
  warn(fields: object, message: string): void;
}

/** How hard a push sink tries; every field has a default fit for production. */
export interface DeliveryTuning {
  /** Items waiting at most; when full the oldest is dropped. Default 1,000. */
  capacity: number;
  /** Tries after the first failed one. Default 3. */
  retries: number;
  /** Wait before the first retry, doubled for each next one (1 s, 2 s, 4 s), ±20% jitter. Default 1 s. */
  backoffMs: number;
  /** Longest wait between tries. Default 4 s. */
  maxBackoffMs: number;
  /** Budget of one request. Default 5 s. */
  timeoutMs: number;
  /** How long close() keeps delivering before it gives up on the rest. Default 5 s. */
  closeDeadlineMs: number;
}

const DEFAULT_TUNING: DeliveryTuning = {
  capacity: 1_000,
  retries: 3,
  backoffMs: 1_000,
  maxBackoffMs: 4_000,
  timeoutMs: 5_000,
  closeDeadlineMs: 5_000,
};

export interface DeliveryQueueOptions<T> {
  /** The sink's name, handed to onOutcome and put on log lines. */
  sink: string;
  /** One try; throws (or rejects) when the endpoint did not take it. Must honour the signal. */
  send: (item: T, signal: AbortSignal) => Promise<void>;
  tuning?: Partial<DeliveryTuning>;
  /** Counts every item's fate, e.g. into pulse_push_deliveries_total{sink,outcome}. */
  onOutcome?: (sink: string, outcome: DeliveryOutcome) => void;
  log?: DeliveryLog;
  /** Fields naming an item on log lines, e.g. its journey and runId. */
  describe?: (item: T) => object;
  /** For jitter; Math.random unless a test pins it. */
  random?: () => number;
}

/**
 * A bounded FIFO with one sender: enqueue() returns at once, so a slow or failing endpoint never
 * delays a run; each item is tried with a timeout and retried with backoff, then given up.
 */
export class DeliveryQueue<T> {
  readonly #options: DeliveryQueueOptions<T>;
  readonly #tuning: DeliveryTuning;
  readonly #items: T[] = [];
  /** Aborted when close() runs out of time: cuts the request and the backoff in flight. */
  readonly #giveUp = new AbortController();
  #worker: Promise<void> = Promise.resolve();
  #running = false;
  #closed = false;

  constructor(options: DeliveryQueueOptions<T>) {
    this.#options = options;
    this.#tuning = { ...DEFAULT_TUNING, ...options.tuning };
  }

  /** Items waiting, the one being sent not included. */
  get size(): number {
    return this.#items.length;
  }

  /** Never blocks and never throws; after close() items are dropped. */
  enqueue(item: T): void {
    if (this.#closed) {
      this.#outcome('dropped', item, 'queue closed');
      return;
    }
    this.#items.push(item);
    while (this.#items.length > this.#tuning.capacity) this.#outcome('dropped', this.#items.shift()!, 'queue full');
    if (!this.#running) {
      this.#running = true;
      this.#worker = this.#drain();
    }
  }

  /** Resolves once everything enqueued so far has been delivered or given up. */
  async idle(): Promise<void> {
    while (this.#running) await this.#worker;
  }

  /** Stops taking items and delivers what waits, within the deadline; what is left then is dropped. */
  async close(deadlineMs = this.#tuning.closeDeadlineMs): Promise<void> {
    this.#closed = true;
    const timer = setTimeout(() => this.#giveUp.abort(), deadlineMs);
    try {
      await this.idle();
    } finally {
      clearTimeout(timer);
    }
  }

  async #drain(): Promise<void> {
    try {
      for (let item = this.#items.shift(); item !== undefined; item = this.#items.shift()) {
        if (this.#giveUp.signal.aborted) this.#outcome('dropped', item, 'close deadline passed');
        else await this.#deliver(item);
      }
    } finally {
      // In the same synchronous stretch as the loop's end, so an item enqueued later starts a new drain.
      this.#running = false;
    }
  }

  async #deliver(item: T): Promise<void> {
    const { retries, timeoutMs } = this.#tuning;
    let lastError = '';
    let attempts = 0;
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      if (attempt > 0) {
        try {
          await sleep(this.#backoff(attempt), undefined, { signal: this.#giveUp.signal });
        } catch {
          break;
        }
      }
      attempts += 1;
      try {
        await this.#options.send(item, AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#giveUp.signal]));
        this.#outcome('delivered', item);
        return;
      } catch (error) {
        lastError = describeFailure(error, timeoutMs);
        if (this.#giveUp.signal.aborted) break;
      }
    }
    const why = this.#giveUp.signal.aborted ? `close deadline passed (${lastError})` : lastError;
    this.#outcome('failed', item, why, { attempts });
  }

  #backoff(retry: number): number {
    const { backoffMs, maxBackoffMs } = this.#tuning;
    const jitter = 0.8 + 0.4 * (this.#options.random ?? Math.random)();
    return Math.min(maxBackoffMs, backoffMs * 2 ** (retry - 1) * jitter);
  }

  #outcome(outcome: DeliveryOutcome, item: T, why?: string, extra: object = {}): void {
    const sink = this.#options.sink;
    // A broken counter or logger must not stop deliveries, nor reject the drain.
    try {
      this.#options.onOutcome?.(sink, outcome);
      if (outcome !== 'delivered') {
        this.#options.log?.warn({ event: 'push_failed', sink, outcome, why, ...this.#options.describe?.(item), ...extra }, `${sink}: push ${outcome}: ${why}`);
      }
    } catch {
      // Nothing left to report it to.
    }
  }
}

/** A request cut off by its own timeout says so in the sink's words; any other failure is described as everywhere else. */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || (error.name === 'AbortError' && /timeout/i.test(String(error.cause)))))
    return `no answer within ${timeoutMs} ms`;
  return describeError(error).message;
}
