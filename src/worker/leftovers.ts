// What an attempt leaves in its worker for the next one: memory it keeps or went over the cap
// with, timers and other live handles, changed built-ins. Checked at the end of every attempt,
// before the worker reports it, so that it is charged to the run that left it and the worker is
// replaced before it takes another. Cheap readings first: a full garbage collection runs only when
// the cheap reading is over the allowance, or between runs when half of it has piled up since the
// last one (see docs/isolation.md for what the check costs).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Leftover } from '../worker-protocol.ts';
import { GlobalsGuard } from './globals-guard.ts';

/** What a run may keep beyond the worker's floor, as a share of its cap: the next run needs the rest. */
const KEPT_SHARE_OF_CAP = 1 / 8;

// A collector of pulse's own, not a global a journey could call or replace.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${Math.round(bytes / MIB)} MiB`;

export interface LeftoverCheckOptions {
  /** The worker's memory cap (PULSE_WORKER_MEMORY). */
  capBytes: number;
}

/** Live handles by kind, e.g. { Timeout: 2, TCPSocketWrap: 1 }. */
type HandleCounts = Map<string, number>;

export class LeftoverCheck {
  readonly #capBytes: number;
  readonly #keptAllowanceBytes: number;
  readonly #globals = new GlobalsGuard();
  /** What the warm worker holds after a collection, before any attempt. */
  readonly #floorBytes: number;
  /** What the worker held right after the last full collection pulse made (its floor at first). */
  #liveBytes: number;
  #handlesAtStart: HandleCounts = new Map();
  #heldAtStart = 0;
  #collections = 0;

  constructor({ capBytes }: LeftoverCheckOptions) {
    this.#capBytes = capBytes;
    this.#keptAllowanceBytes = Math.floor(capBytes * KEPT_SHARE_OF_CAP);
    collect();
    this.#floorBytes = held();
    this.#liveBytes = this.#floorBytes;
  }

  /** At the start of an attempt: the handles pulse itself holds then (its IPC, its browser's pipe). */
  begin(): void {
    this.#handlesAtStart = handleCounts();
    this.#heldAtStart = held();
  }

  /**
   * Between attempts, once the last one is reported: when the worker holds more than half the
   * allowance beyond what it held after the last collection, that garbage of earlier runs is
   * collected now. Otherwise it counts at the next attempt's start as memory earlier runs kept, and
   * a run that keeps more than the allowance could be taken for one of many small keepers (the
   * worker "worn", no run charged). V8 would collect it soon itself; costs nothing when under.
   */
  tidy(): void {
    if (held() <= this.#liveBytes + this.#keptAllowanceBytes / 2) return;
    this.#collect();
  }

  /** How many full collections pulse made (at the end of a run, or between runs): the costly path. */
  get collections(): number {
    return this.#collections;
  }

  /** Runs pulse's own work inside an attempt (a browser launched afresh): the handles it opens are not the attempt's. */
  async pulseOpens<T>(work: () => Promise<T>): Promise<T> {
    const before = handleCounts();
    try {
      return await work();
    } finally {
      for (const [kind, count] of handleCounts()) {
        const more = count - (before.get(kind) ?? 0);
        if (more > 0) this.#handlesAtStart.set(kind, (this.#handlesAtStart.get(kind) ?? 0) + more);
      }
    }
  }

  /**
   * Before `end`: file-system requests begun during the attempt and still in flight get a moment
   * to end (Playwright's clean-up of a closed context, an evidence write; Node.js 24 shows them a
   * turn later than 20). One that does not end by then (a read of a pipe nobody writes) is left
   * running, and `end` finds it. Costs nothing when none is in flight.
   */
  async settleFileRequests(ms = FILE_SETTLE_MS): Promise<void> {
    const deadline = performance.now() + ms;
    while (this.#fileRequestsAdded() > 0 && performance.now() < deadline) await sleep(5);
  }

  #fileRequestsAdded(): number {
    let added = 0;
    for (const [kind, count] of handleCounts()) if (FILE_REQUEST.test(kind)) added += Math.max(0, count - (this.#handlesAtStart.get(kind) ?? 0));
    return added;
  }

  /**
   * At the end of an attempt, once pulse has closed its context: what the attempt left, and
   * `worn` when the worker holds too much without this attempt having kept much of it (earlier
   * runs kept a little each): the worker is replaced then too, and no run is charged. Handles are
   * looked at when `handles` (after a success: a failed or crashed attempt may leave pulse's own
   * deadlines and the browser's abandoned calls pending; what its code left that strikes later is
   * charged to it all the same, by where it came from).
   */
  end({ handles }: { handles: boolean }): { found: Leftover[]; worn?: string } {
    const found: Leftover[] = [];
    const peakBytes = process.resourceUsage().maxRSS * 1024;
    if (peakBytes > this.#capBytes)
      found.push({
        kind: 'memory',
        message: `its worker went up to ${mib(peakBytes)} resident during the run, over its cap of ${mib(this.#capBytes)} (PULSE_WORKER_MEMORY)`,
      });
    const kept = this.#kept();
    const worn =
      kept && kept.byThisRun < this.#keptAllowanceBytes / 2
        ? `the worker holds ${mib(kept.held - this.#floorBytes)} more than when it started, kept a little at a time by several runs; a fresh one takes its place`
        : undefined;
    if (kept && !worn)
      found.push({
        kind: 'memory',
        message: `it kept ${mib(kept.byThisRun)} after its run ended (in module variables or globals); a run may leave at most ${mib(this.#keptAllowanceBytes)} of its worker's ${mib(this.#capBytes)} cap (PULSE_WORKER_MEMORY)`,
      });
    const extra = handles ? extraHandles(this.#handlesAtStart, handleCounts()) : [];
    if (extra.length > 0)
      found.push({ kind: 'handles', message: `it left ${extra.join(', ')} running after its run ended (a timer, interval, socket or server it did not stop)` });
    const changed = this.#globals.changed();
    if (changed.length > 0)
      found.push({
        kind: 'globals',
        message: `the journey replaced or changed built-ins or globals it shares with pulse and later runs: ${changed.slice(0, 8).join(', ')}${changed.length > 8 ? ` and ${changed.length - 8} more` : ''}`,
      });
    return worn ? { found, worn } : { found };
  }

  /** Over the allowance after a collection: what the worker holds, and at least how much of it this run kept; undefined when within it. */
  #kept(): { held: number; byThisRun: number } | undefined {
    const limit = this.#floorBytes + this.#keptAllowanceBytes;
    if (held() <= limit) return undefined;
    const now = this.#collect();
    if (now <= limit) return undefined;
    // What the worker held at the start is an upper bound of what earlier runs kept: the rest is this run's.
    return { held: now, byThisRun: Math.max(0, now - Math.min(this.#heldAtStart, limit)) };
  }

  /** A full collection: what the worker holds after it. */
  #collect(): number {
    collect();
    this.#collections += 1;
    this.#liveBytes = held();
    return this.#liveBytes;
  }
}

/** The JavaScript heap in use and the memory outside it that objects hold (Buffers, ArrayBuffers). */
function held(): number {
  const { used_heap_size, external_memory } = getHeapStatistics();
  return used_heap_size + external_memory;
}

function handleCounts(): HandleCounts {
  const counts: HandleCounts = new Map();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** A file-system request in flight (a read, a write, a stat), by its kind. */
const FILE_REQUEST = /^FSReq/;
/** How long an attempt's file requests get to end before the check counts them: waited only while one is in flight, so only a request that never ends costs it all. */
const FILE_SETTLE_MS = 1_000;

/** e.g. ['2 Timeout', '1 TCPSocketWrap']: kinds there are more of now than at the start. */
function extraHandles(before: HandleCounts, now: HandleCounts): string[] {
  const extra: string[] = [];
  for (const [kind, count] of now) {
    const more = count - (before.get(kind) ?? 0);
    if (more > 0) extra.push(`${more} ${kind}`);
  }
  return extra;
}
