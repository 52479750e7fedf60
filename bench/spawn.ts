// One run as a cron job does it: start a process, wait for it to end, count the CPU of the whole tree.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLK_TCK, CpuCgroup, allStats, readStat, reapedChildrenCpuSeconds, type ProcStat } from './proc.ts';

export interface SpawnSample {
  ok: boolean;
  error?: string;
  wallMs: number;
  /**
   * CPU of the spawned tree: the growth of this process's cutime+cstime once the child has been
   * waited for (a child's counters carry every descendant it, or they, waited for), plus the
   * processes that left the tree before they ended (Chromium's zygotes are re-parented to init
   * when the browser main exits, and init reaps them), as last seen while polling /proc.
   */
  cpuS: number;
  /** The part of cpuS from re-parented processes. */
  orphanCpuS: number;
  /** The same tree's CPU from a cgroup, which also holds re-parented descendants; a check on cpuS. */
  cgroupCpuS: number | undefined;
}

export interface SpawnOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Output that must appear for the run to count as a success, besides exit code 0. */
  successPattern?: RegExp;
  cgroup?: CpuCgroup | undefined;
  timeoutMs?: number;
}

/** This process's environment without pulse's settings and Node.js's test and option variables: what a spawned run starts from. */
export function inheritedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('PULSE_') && key !== 'NODE_TEST_CONTEXT' && key !== 'NODE_OPTIONS') env[key] = value;
  return env;
}

export async function spawnMeasured(options: SpawnOptions): Promise<SpawnSample> {
  const { cgroup } = options;
  const launch = cgroup ? cgroup.wrap(options.command, options.args) : { command: options.command, args: [...options.args] };
  const cgroup0 = cgroup?.usageSeconds();
  const cpu0 = reapedChildrenCpuSeconds();
  const started = performance.now();
  const child = spawn(launch.command, launch.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const watcher = new TreeWatcher(child.pid!);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  const wallMs = performance.now() - started;
  // Node reaps the child before 'exit' is emitted, so its counters are in ours by now.
  const reapedS = reapedChildrenCpuSeconds() - cpu0;
  const orphanCpuS = await watcher.finish();
  let cgroupCpuS: number | undefined;
  if (cgroup && cgroup0 !== undefined) {
    await waitEmpty(cgroup);
    const cgroup1 = cgroup.usageSeconds();
    cgroupCpuS = cgroup1 === undefined ? undefined : cgroup1 - cgroup0;
  }
  const ok = code === 0 && (options.successPattern ? options.successPattern.test(output) : true);
  return { ok, ...(ok ? {} : { error: `exit ${code}: ${output.slice(-800)}` }), wallMs, cpuS: reapedS + orphanCpuS, orphanCpuS, cgroupCpuS };
}

interface Member {
  pid: number;
  /** Own ticks and reaped children's ticks, as last seen. */
  ticks: number;
  childTicks: number;
  /** Seen with a parent outside the tree: whoever reaps it, it is not us. */
  orphan: boolean;
  alive: boolean;
}

/**
 * Follows a spawned process tree in /proc: every descendant, and every process in the session
 * of a descendant that leads its own session (Chromium), keyed by pid and start time.
 */
class TreeWatcher {
  readonly #members = new Map<string, Member>();
  readonly #livePids = new Map<number, string>();
  readonly #sessions = new Set<number>();
  readonly #root: number;
  readonly #fast: NodeJS.Timeout;
  readonly #slow: NodeJS.Timeout;

  constructor(root: number) {
    this.#root = root;
    this.#scan();
    // Re-reading known members is cheap; discovering new ones means reading all of /proc.
    this.#fast = setInterval(() => this.#poll(), 20);
    this.#slow = setInterval(() => this.#scan(), 100);
  }

  #update(stat: ProcStat, key: string): void {
    const member = this.#members.get(key) ?? { pid: stat.pid, ticks: 0, childTicks: 0, orphan: false, alive: true };
    member.ticks = stat.utime + stat.stime;
    member.childTicks = stat.cutime + stat.cstime;
    if (stat.pid !== this.#root && !this.#livePids.has(stat.ppid)) member.orphan = true;
    this.#members.set(key, member);
  }

  #scan(): void {
    const stats = allStats();
    let grew = true;
    while (grew) {
      grew = false;
      for (const stat of stats) {
        if (this.#livePids.has(stat.pid)) continue;
        const member = stat.pid === this.#root || this.#livePids.has(stat.ppid) || this.#sessions.has(stat.session);
        if (!member) continue;
        this.#livePids.set(stat.pid, `${stat.pid}:${stat.starttime}`);
        if (stat.session === stat.pid) this.#sessions.add(stat.pid);
        grew = true;
      }
    }
    for (const stat of stats) {
      const key = this.#livePids.get(stat.pid);
      if (key === `${stat.pid}:${stat.starttime}`) this.#update(stat, key);
    }
  }

  #poll(): void {
    for (const [pid, key] of [...this.#livePids]) {
      const stat = readStat(pid);
      if (!stat || `${stat.pid}:${stat.starttime}` !== key) {
        this.#livePids.delete(pid);
        const member = this.#members.get(key);
        if (member) member.alive = false;
        continue;
      }
      this.#update(stat, key);
    }
  }

  /** Waits (at most 3 s) for re-parented stragglers to end, then returns their CPU seconds. */
  async finish(): Promise<number> {
    clearInterval(this.#slow);
    for (let i = 0; i < 150; i += 1) {
      this.#poll();
      if (![...this.#members.values()].some((m) => m.orphan && m.alive)) break;
      await sleep(20);
    }
    clearInterval(this.#fast);
    let ticks = 0;
    for (const member of this.#members.values()) if (member.orphan) ticks += member.ticks + member.childTicks;
    return ticks / CLK_TCK;
  }
}

/** Waits (at most 3 s) for stragglers of a spawned tree to end, so the cgroup's total is final. */
async function waitEmpty(cgroup: CpuCgroup): Promise<void> {
  const procs = path.join(cgroup.dir, 'cgroup.procs');
  for (let i = 0; i < 60; i += 1) {
    try {
      if (readFileSync(procs, 'utf8').trim() === '') return;
    } catch {
      return;
    }
    await sleep(50);
  }
}
