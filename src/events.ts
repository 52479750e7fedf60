// The prober's events: what happens around the runs rather than in them. The second contract
// beside result.ts: the scheduler, the workers, the store and the push sinks emit; pulse's health,
// its metrics and its log listen. A run's result never travels here, and no event is a result.
import type { LeftoverKind, WorkerEndReason } from './worker-protocol.ts';

/** Why the scheduler let a planned run go: it is counted, never silently dropped. */
export type SkipReason = 'overlap' | 'saturated' | 'shutdown' | 'missed' | 'paused';
export const SKIP_REASONS: readonly SkipReason[] = ['overlap', 'saturated', 'shutdown', 'missed', 'paused'];

/** What the store was doing when it failed: a bounded label. */
export type StoreOperation = 'open' | 'write' | 'read' | 'retention' | 'missing';
export const STORE_OPERATIONS: readonly StoreOperation[] = ['open', 'write', 'read', 'retention', 'missing'];

/**
 * Why the run store cannot keep history as it should, as a bounded label: the data folder is
 * read-only, full, not this user's to write, failing at the device; the store fell back to memory,
 * lost its lock, or keeps failing for a reason not known. Probing goes on in every case: pulse is
 * degraded, not down.
 */
export type StoreCondition = 'read_only' | 'full' | 'not_permitted' | 'io_error' | 'in_memory' | 'lock_lost' | 'failing';
export const STORE_CONDITIONS: readonly StoreCondition[] = ['read_only', 'full', 'not_permitted', 'io_error', 'in_memory', 'lock_lost', 'failing'];

/** A store condition in plain words naming the data folder, and what mends it. */
export interface StoreDiagnosis {
  condition: StoreCondition;
  /** e.g. "the data folder /var/lib/pulse is read-only". */
  message: string;
  fix: string;
}

export interface StoreProblem {
  operation: StoreOperation;
  message: string;
  at: string;
  /** The store was started afresh; where the damaged file was kept, when there was one. */
  reset?: { setAside: string | undefined };
  /** What the data folder says about it, when it says something (read-only, full, not permitted). */
  diagnosis?: StoreDiagnosis;
}

/** What became of one push of a push sink. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'dropped';

export type ProberEvent =
  /** A planned run did not start. */
  | { kind: 'skipped'; journey: string; reason: SkipReason }
  /** A planned run started this many seconds after its planned time. */
  | { kind: 'lag'; seconds: number }
  /** A worker's browser was lost or stopped answering, and is being replaced. */
  | { kind: 'browser-relaunched'; reason: 'lost' | 'unresponsive' }
  /** A journey worker was ended and replaced; `message` is already redacted. */
  | { kind: 'worker-replaced'; reason: WorkerEndReason; pid: number | undefined; journey: string | undefined; runId: string | undefined; message: string }
  /**
   * A run left something in its worker for the runs after it: charged to its journey (undefined
   * when it cannot be told); `message` is already redacted. The worker is replaced.
   */
  | { kind: 'worker-leftover'; leftover: LeftoverKind; journey: string | undefined; runId: string | undefined; message: string }
  /** The run store failed at something, or was started afresh. */
  | { kind: 'store-problem'; problem: StoreProblem }
  /** One push of a push sink ended so. */
  | { kind: 'pushed'; sink: string; outcome: DeliveryOutcome };

export interface Listener {
  readonly name: string;
  hear(event: ProberEvent): void;
}

export interface ListenerLog {
  error(fields: object, message: string): void;
}

/**
 * Hands every event to every listener, in the order they subscribed, each isolated from the
 * others: one that throws is logged and never stops the rest or whoever emitted.
 */
export class ProberEvents {
  readonly #listeners: Listener[] = [];
  readonly #log: ListenerLog;

  constructor(log: ListenerLog) {
    this.#log = log;
  }

  subscribe(...listeners: Listener[]): void {
    this.#listeners.push(...listeners);
  }

  emit(event: ProberEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener.hear(event);
      } catch (error) {
        this.#log.error(
          { listener: listener.name, kind: event.kind, err: error instanceof Error ? error.message : String(error) },
          `listener ${listener.name} failed on ${event.kind}`,
        );
      }
    }
  }
}
