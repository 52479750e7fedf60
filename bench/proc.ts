// What the kernel knows about processes: CPU ticks, memory and ancestry, read from /proc.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { CLK_TCK, allStats, browserTree, readStat } from '../src/process-tree.ts';
import path from 'node:path';

// The kernel's counters of one process and of a browser's tree are read the way pulse reads them for
// its own per-journey figures (src/process-tree.ts), so the two can be compared.
export { CLK_TCK, allStats, browserTree, readStat, treeCpuSeconds, type ProcStat } from '../src/process-tree.ts';

export function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** This process's CPU seconds (all threads), microsecond resolution. */
export function nodeCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** CPU seconds of this process's children that have been waited for (spawned processes, closed browsers). */
export function reapedChildrenCpuSeconds(): number {
  const self = readStat('self');
  return self ? (self.cutime + self.cstime) / CLK_TCK : 0;
}

/** The main process of each Chromium this process launched (not their helpers). */
export function childBrowserMains(parent = process.pid, stats = allStats()): number[] {
  return stats.filter((s) => s.ppid === parent && isBrowserMain(readCmdline(s.pid))).map((s) => s.pid);
}

export function isBrowserMain(cmdline: string): boolean {
  return /chrom/i.test(cmdline) && cmdline.includes('--remote-debugging-pipe') && !cmdline.includes('--type=');
}

/** Proportional set size of one process in bytes (its share of pages it shares), from smaps_rollup. */
export function pssBytes(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = /^Pss:\s+(\d+) kB/m.exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resident set size of this process in bytes, as the kernel counts it. */
export function selfRssBytes(): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
  } catch {
    return process.memoryUsage().rss;
  }
}

/**
 * A CPU-accounting cgroup, where the kernel can give one: everything forked inside stays
 * inside, re-parented or not, so it checks the /proc arithmetic. Needs root and cgroup v1
 * cpuacct or a cgroup v2 root; undefined elsewhere.
 */
export class CpuCgroup {
  private constructor(
    readonly dir: string,
    private readonly kind: 'v1' | 'v2',
  ) {}

  static create(name: string): CpuCgroup | undefined {
    const candidates: [string, 'v1' | 'v2'][] = [
      ['/sys/fs/cgroup/cpuacct', 'v1'],
      ['/sys/fs/cgroup/unified', 'v2'],
      ['/sys/fs/cgroup', 'v2'],
    ];
    for (const [root, kind] of candidates) {
      const probe = kind === 'v1' ? path.join(root, 'cpuacct.usage') : path.join(root, 'cgroup.procs');
      if (!existsSync(probe)) continue;
      const dir = path.join(root, name);
      try {
        mkdirSync(dir, { recursive: true });
        const group = new CpuCgroup(dir, kind);
        if (group.usageSeconds() === undefined) {
          group.destroy();
          continue;
        }
        return group;
      } catch {
        continue;
      }
    }
    return undefined;
  }

  /** Moves a process in; what it forks from then on is born inside. */
  add(pid: number): boolean {
    try {
      writeFileSync(path.join(this.dir, 'cgroup.procs'), String(pid));
      return true;
    } catch {
      return false;
    }
  }

  usageSeconds(): number | undefined {
    try {
      if (this.kind === 'v1') return Number(readFileSync(path.join(this.dir, 'cpuacct.usage'), 'utf8').trim()) / 1e9;
      const match = /^usage_usec (\d+)/m.exec(readFileSync(path.join(this.dir, 'cpu.stat'), 'utf8'));
      return match ? Number(match[1]) / 1e6 : undefined;
    } catch {
      return undefined;
    }
  }

  /** The command prefix that puts a spawned process in this group before it execs. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] } {
    return { command: '/bin/sh', args: ['-c', `echo $$ > '${path.join(this.dir, 'cgroup.procs')}' && exec "$@"`, 'sh', command, ...args] };
  }

  /** Removes the group; only possible once it is empty. */
  destroy(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // Still has members (a process that outlived us); the kernel keeps it, harmless.
    }
  }
}

/** Resident set size of any process in bytes (VmRSS), or 0 when it is gone. */
export function rssBytesOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The browser trees below a process: their process count and PSS sum. */
export function browserFootprint(parent: number): { mains: number; processes: number; pssBytes: number } {
  const stats = allStats();
  // pulse's browsers are children of its journey workers, children of the daemon.
  const hosts = stats.filter((stat) => stat.ppid === parent).map((stat) => stat.pid);
  const mains = [parent, ...hosts].flatMap((pid) => childBrowserMains(pid, stats));
  let processes = 0;
  let pss = 0;
  for (const main of mains) {
    for (const proc of browserTree(main, stats)) {
      processes += 1;
      pss += pssBytes(proc.pid);
    }
  }
  return { mains: mains.length, processes, pssBytes: pss };
}

/** Share of all CPU time the machine spent busy over a short interval, from /proc/stat. */
export async function machineBusy(ms = 2_000): Promise<number> {
  const read = () => {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (line[3] ?? 0) + (line[4] ?? 0);
    return { idle, total: line.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = read();
  const total = b.total - a.total;
  return total > 0 ? 1 - (b.idle - a.idle) / total : 0;
}

/** Resident and proportional memory of one process, or of a browser's whole tree. */
export interface Footprint {
  rssBytes: number;
  pssBytes: number;
}

/** What each part of a running pulse holds: the daemon, each journey worker, each worker's browser tree. */
export interface SlotFootprints {
  daemon: Footprint;
  workers: { worker: Footprint; browser: Footprint & { processes: number } }[];
}

export function slotFootprints(daemonPid: number): SlotFootprints {
  const stats = allStats();
  const one = (pid: number): Footprint => ({ rssBytes: rssBytesOf(pid), pssBytes: pssBytes(pid) });
  const workers = stats.filter((stat) => stat.ppid === daemonPid && readCmdline(stat.pid).includes('pulse-worker.js'));
  return {
    daemon: one(daemonPid),
    workers: workers.map((worker) => {
      const tree = childBrowserMains(worker.pid, stats).flatMap((main) => browserTree(main, stats));
      return {
        worker: one(worker.pid),
        browser: {
          rssBytes: tree.reduce((sum, proc) => sum + rssBytesOf(proc.pid), 0),
          pssBytes: tree.reduce((sum, proc) => sum + pssBytes(proc.pid), 0),
          processes: tree.length,
        },
      };
    }),
  };
}
