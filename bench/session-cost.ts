// What a kept session saves: CPU per heartbeat of the bundled `account` journey (behind the demo
// shop's sign-in) when its sign-in is kept between runs, against signing in on every run. Runs
// interleave (kept, fresh, kept, ...) on one warm worker, as `pulse run` runs them; the CPU is the
// worker's and its browser's, read from /proc per run (what RunResult.usage reports); the shop runs
// in a process of its own and is not counted.
//   node --import tsx bench/session-cost.ts [--runs <n>]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadPlaywrightUse } from '../src/playwright-use.ts';
import { loadJourneys } from '../src/registry/load.ts';
import type { RunResult } from '../src/result.ts';
import { browserLaunchOptions, findBrowser } from '../src/runner/find-browser.ts';
import { Runner } from '../src/runner/runner.ts';
import { SessionKeeper } from '../src/runner/session-keeper.ts';
import { WorkerPool } from '../src/runner/worker-pool.ts';
import { machineBusy } from './proc.ts';
import { startShopProcess } from './shop-process.ts';
import { fmt, summarize } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DAY_MS = 86_400_000;

const { values } = parseArgs({ options: { runs: { type: 'string' } } });
const runs = Number(values.runs ?? 10);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number above 0');

const busy = await machineBusy();
const shop = await startShopProcess(ROOT);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pulse-bench-session-'));
const use = await loadPlaywrightUse(path.join(ROOT, 'playwright.config.ts'), { required: false });
const workers = new WorkerPool({ size: 1, launch: browserLaunchOptions(findBrowser({}), use.launchOptions), memoryLimitBytes: 1024 ** 3, cwd: ROOT });
try {
  const registry = await loadJourneys({ dir: path.join(ROOT, 'journeys'), cwd: ROOT, workers });
  const account = registry.journeys.find((journey) => journey.name === 'account');
  if (!account) throw new Error(`the account journey did not load: ${JSON.stringify(registry.problems)}`);
  const common = { workers, contextOptions: use.contextOptions, params: { baseUrl: shop.url }, location: 'bench', dataDir, trace: 'on-retry' as const };
  const kept = new Runner({ ...common, sessions: new SessionKeeper() });
  // A clock a day further on at each look: the kept state has always expired, so every run signs in.
  let day = 0;
  const fresh = new Runner({ ...common, sessions: new SessionKeeper({ now: () => Date.now() + (day += DAY_MS) }) });

  const cpu: Record<'kept' | 'fresh', number[]> = { kept: [], fresh: [] };
  const signIns: Record<'kept' | 'fresh', number> = { kept: 0, fresh: 0 };
  const measure = async (which: 'kept' | 'fresh', record: boolean) => {
    const result: RunResult = await (which === 'kept' ? kept : fresh).run(account);
    if (result.status !== 'success') throw new Error(`${which} run failed: ${result.error?.message ?? result.status}`);
    if (!record) return;
    if (result.usage) cpu[which].push(result.usage.cpuSeconds);
    if (result.steps.some((step) => step.name.startsWith('sign in'))) signIns[which] += 1;
  };
  // Warm-up, discarded: module caches, the first sign-in of the kept runner.
  await measure('kept', false);
  await measure('fresh', false);
  for (let i = 0; i < runs; i += 1) {
    for (const which of i % 2 === 0 ? (['kept', 'fresh'] as const) : (['fresh', 'kept'] as const)) await measure(which, true);
  }
  const k = summarize(cpu.kept);
  const f = summarize(cpu.fresh);
  console.log(`machine busy before the runs: ${fmt(busy * 100, 2)}% of its CPU time (others' load)`);
  console.log(`account journey, ${runs} heartbeats each, CPU seconds per heartbeat (worker + its browser):`);
  console.log(`  kept session:   median ${fmt(k.median)} s, mean ${fmt(k.mean)} s, sign-ins ${signIns.kept}`);
  console.log(`  sign in each:   median ${fmt(f.median)} s, mean ${fmt(f.mean)} s, sign-ins ${signIns.fresh}`);
  console.log(`  saved per heartbeat: median ${fmt(f.median - k.median)} s (${fmt((1 - k.median / f.median) * 100, 2)}%)`);
} finally {
  await workers.close();
  await shop.close();
  rmSync(dataDir, { recursive: true, force: true });
}
