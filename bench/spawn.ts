// One run as a cron job does it: start a process, wait for it to end, count the CPU of the whole tree.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CpuCgroup, reapedChildrenCpuSeconds } from './proc.ts';

export interface SpawnSample {
  ok: boolean;
  error?: string;
  wallMs: number;
  /**
   * CPU of the spawned tree: the growth of this process's cutime+cstime once the child has been
   * waited for. A child's counters carry every descendant it (or they) waited for.
   */
  cpuS: number;
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

export async function spawnMeasured(options: SpawnOptions): Promise<SpawnSample> {
  const { cgroup } = options;
  const launch = cgroup ? cgroup.wrap(options.command, options.args) : { command: options.command, args: [...options.args] };
  const cgroup0 = cgroup?.usageSeconds();
  const cpu0 = reapedChildrenCpuSeconds();
  const started = performance.now();
  const child = spawn(launch.command, launch.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  const wallMs = performance.now() - started;
  // Node reaps the child before 'exit' is emitted, so its counters are in ours by now.
  const cpuS = reapedChildrenCpuSeconds() - cpu0;
  let cgroupCpuS: number | undefined;
  if (cgroup && cgroup0 !== undefined) {
    await waitEmpty(cgroup);
    const cgroup1 = cgroup.usageSeconds();
    cgroupCpuS = cgroup1 === undefined ? undefined : cgroup1 - cgroup0;
  }
  const ok = code === 0 && (options.successPattern ? options.successPattern.test(output) : true);
  return { ok, ...(ok ? {} : { error: `exit ${code}: ${output.slice(-800)}` }), wallMs, cpuS, cgroupCpuS };
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
