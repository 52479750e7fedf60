import { readFileSync, readdirSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

/** Every process on the machine, read from /proc. */
export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({ pid: Number(entry), ppid, cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** All descendants of pid (children, their children, ...). */
export function descendants(pid: number, all = listProcesses()): ProcInfo[] {
  const found: ProcInfo[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const proc of all) {
      if (proc.ppid === parent) {
        found.push(proc);
        queue.push(proc.pid);
      }
    }
  }
  return found;
}

/**
 * The main Chromium process(es) below pid: the ones Playwright launched, not their helpers. A helper
 * the browser has forked but not yet exec'd still has the browser's command line: a process whose
 * parent looks like a main is such a fork, not a main.
 */
export function browserMains(pid: number): ProcInfo[] {
  const looksMain = descendants(pid).filter((p) => /chrom/.test(p.cmdline) && p.cmdline.includes('--remote-debugging-pipe') && !p.cmdline.includes('--type='));
  const pids = new Set(looksMain.map((p) => p.pid));
  return looksMain.filter((p) => !pids.has(p.ppid));
}
