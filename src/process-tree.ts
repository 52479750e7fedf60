// What the kernel knows of a journey worker and its browser: CPU ticks and resident memory, read
// from /proc. A worker launches its own Chromium, which starts detached (a session of its own) and
// re-parents its helpers, so the browser is found by session, not by ancestry alone. Linux only;
// elsewhere every reading is undefined and nothing is attributed.
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of utime/stime; USER_HZ is 100 on every Linux pulse runs on. */
export const CLK_TCK = 100;
/** Bytes of a memory page in rssPages. */
export const PAGE_BYTES = 4096;

export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
  /** R, S, D, ... as ps shows it; Z once it has ended and waits to be reaped. */
  state: string;
  /** Ticks of this process (all threads). */
  utime: number;
  stime: number;
  /** Ticks of children it has waited for (and, through them, their reaped descendants). */
  cutime: number;
  cstime: number;
  /** Start time after boot, in ticks: tells a reused pid apart. */
  starttime: number;
  rssPages: number;
}

/** /proc/<pid>/stat, or undefined when the process is gone (or there is no /proc). */
export function readStat(pid: number | 'self'): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); field n is fields[n - 3].
  const field = (n: number) => Number(fields[n - 3]);
  return {
    pid: Number(text.slice(0, text.indexOf(' '))),
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    state: fields[0] ?? '',
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
    starttime: field(22),
    rssPages: field(24),
  };
}

/** Every process's stat, in one pass over /proc; empty where there is none. */
export function allStats(): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    const stat = readStat(Number(entry));
    if (stat) out.push(stat);
  }
  return out;
}

/**
 * The processes of one Chromium: every member of its session (zygotes, renderers, GPU, network,
 * re-parented or not), plus descendants by ppid in case the session was not its own.
 */
export function browserTree(mainPid: number, stats: readonly ProcStat[] = allStats()): ProcStat[] {
  const main = stats.find((s) => s.pid === mainPid);
  if (!main) return [];
  const inTree = new Set<number>([mainPid]);
  if (main.session === mainPid) for (const s of stats) if (s.session === mainPid) inTree.add(s.pid);
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of stats) {
      if (!inTree.has(s.pid) && inTree.has(s.ppid)) {
        inTree.add(s.pid);
        grew = true;
      }
    }
  }
  return stats.filter((s) => inTree.has(s.pid));
}

/**
 * The processes of the group or session `leader` leads that have not ended yet: a process killed
 * with SIGKILL takes a moment to go (its memory is torn down), and one that has gone and waits to
 * be reaped (a zombie) holds nothing.
 */
export function stillRunning(leader: number, stats: readonly ProcStat[] = allStats()): ProcStat[] {
  return stats.filter((s) => (s.pgrp === leader || s.session === leader) && s.state !== 'Z' && s.state !== 'X');
}

/** Waits until nothing of `leader`'s group or session runs any more, or `timeoutMs` has passed; whether it is all gone. */
export async function allEnded(leader: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (stillRunning(leader).length > 0) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/**
 * CPU seconds of a set of processes so far: each one's own ticks plus those of the children it
 * reaped (a closed context's renderer ends up in its zygote's cutime, a reaped browser in its worker's).
 */
export function treeCpuSeconds(tree: readonly ProcStat[]): number {
  let ticks = 0;
  for (const s of tree) ticks += s.utime + s.stime + s.cutime + s.cstime;
  return ticks / CLK_TCK;
}

/** Resident bytes of a set of processes, summed (pages they share are counted in each). */
export function treeRssBytes(tree: readonly ProcStat[]): number {
  let pages = 0;
  for (const s of tree) pages += s.rssPages;
  return pages * PAGE_BYTES;
}

/** A journey worker and its browser, as one reading: CPU so far and memory now. */
export interface SlotReading {
  /** The worker's own ticks, not what it reaped: a browser it reaps mid-run would bring its whole life along. */
  workerCpuSeconds: number;
  browserCpuSeconds: number;
  /** Worker and browser together. */
  rssBytes: number;
  /** The worker process alone, for its memory cap. */
  workerRssBytes: number;
}

/**
 * Reads one worker and its browser's tree, again and again, without reading every process on the
 * machine each time: a process once found outside the tree stays outside (a process joins a
 * session, or becomes a descendant, only as a new pid), so only the tree and new pids are read.
 * A pid reused between two readings by a process of the tree would be missed: that takes the
 * kernel wrapping around its pid range between two readings, seconds apart.
 */
export class SlotReader {
  readonly #workerPid: number;
  readonly #outside = new Set<number>();
  #browserPid: number | undefined;

  constructor(workerPid: number) {
    this.#workerPid = workerPid;
  }

  /** Undefined when the worker is gone or /proc is not there. */
  read(browserPid: number | undefined): SlotReading | undefined {
    if (browserPid !== this.#browserPid) {
      // Another browser: what was outside the last one may be inside this one.
      this.#outside.clear();
      this.#browserPid = browserPid;
    }
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return undefined;
    }
    const live = new Set<number>();
    const stats: ProcStat[] = [];
    for (const entry of entries) {
      const first = entry.charCodeAt(0);
      if (first < 48 || first > 57) continue;
      const pid = Number(entry);
      live.add(pid);
      if (this.#outside.has(pid)) continue;
      const stat = readStat(pid);
      if (stat) stats.push(stat);
    }
    for (const pid of this.#outside) if (!live.has(pid)) this.#outside.delete(pid);
    const worker = stats.find((s) => s.pid === this.#workerPid);
    if (!worker) return undefined;
    const browser = browserPid === undefined ? [] : browserTree(browserPid, stats).filter((s) => s.pid !== this.#workerPid);
    const inside = new Set([this.#workerPid, ...browser.map((s) => s.pid)]);
    for (const s of stats) if (!inside.has(s.pid)) this.#outside.add(s.pid);
    return slotReading(worker, browser);
  }
}

/** One reading of a worker's process and its browser's tree (without the worker). */
export function slotReading(worker: ProcStat, browser: readonly ProcStat[]): SlotReading {
  return {
    workerCpuSeconds: (worker.utime + worker.stime) / CLK_TCK,
    browserCpuSeconds: treeCpuSeconds(browser),
    rssBytes: treeRssBytes([worker, ...browser]),
    workerRssBytes: worker.rssPages * PAGE_BYTES,
  };
}
