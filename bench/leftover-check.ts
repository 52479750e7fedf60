// What the end-of-run leftover check of a journey worker costs (docs/isolation.md): in one process
// set up like a worker (Playwright loaded, its own headless shell over the pipe), runs of a small
// journey against the demo shop, each followed by the check, timed alone (and the collection
// between runs, when there is garbage enough to need one); and the CPU of the runs,
// inside the run's async context that charges late faults to the run that left them, or (with
// `plain`) in a process that never uses one: once used, Node.js 20 tracks every promise of the
// process, so the two are compared between processes, run alternately.
// Usage: node --import tsx bench/leftover-check.ts [runs] [plain]
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { chromium } from 'playwright';
import { browserLaunchOptions, findBrowser } from '../src/runner/find-browser.ts';
import { settleLazyGlobals } from '../src/worker/globals-guard.ts';
import { LeftoverCheck } from '../src/worker/leftovers.ts';
import { startShopProcess } from './shop-process.ts';

const RUNS = Number(process.argv[2] ?? 60);
const PLAIN = process.argv[3] === 'plain';
const CAP = 512 * 1024 * 1024;

await import('../src/index.ts');
// The shop in a process of its own, as a target is: its sockets are not the worker's.
const shop = await startShopProcess(process.cwd());
const browser = await chromium.launch(browserLaunchOptions(findBrowser({})));
await settleLazyGlobals();
const check = new LeftoverCheck({ capBytes: CAP });
const owner = new AsyncLocalStorage<{ runId: string }>();

async function journey(): Promise<void> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(shop.url);
  await page.getByRole('heading', { level: 1 }).textContent();
  await page.goto(`${shop.url}/cart`).catch(() => undefined);
  await context.close();
}

const cpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;

// Warm-up: the first runs load Playwright's lazy parts.
for (let i = 0; i < 5; i += 1) await journey();

const checkMs: number[] = [];
const checkCpuMs: number[] = [];
const found: string[] = [];
const runCpu: number[] = [];
let betweenRuns = 0;
for (let i = 0; i < RUNS; i += 1) {
  const c0 = cpu();
  check.begin();
  if (PLAIN) await journey();
  else await owner.run({ runId: String(i) }, journey);
  const c1 = cpu();
  const t0 = performance.now();
  const { found: left, worn } = check.end({ handles: true });
  checkMs.push(performance.now() - t0);
  checkCpuMs.push(cpu() - c1);
  found.push(...left.map((leftover) => leftover.message), ...(worn ? [worn] : []));
  runCpu.push(c1 - c0);
  // As a worker does once it has reported the run: garbage past half the allowance collected now.
  const collected = check.collections;
  check.tidy();
  if (check.collections > collected) betweenRuns += 1;
}

// The costly path, taken only when the cheap reading is over the allowance: one full collection of this warm heap.
const collect = runInNewContext('gc') as () => void;
const collectionMs: number[] = [];
for (let i = 0; i < 10; i += 1) {
  const t0 = performance.now();
  collect();
  collectionMs.push(performance.now() - t0);
}

const median = (values: number[]) => quantile(values, 0.5);
console.log(
  JSON.stringify(
    {
      runs: RUNS,
      collections: check.collections,
      collectionsBetweenRuns: betweenRuns,
      checkCpuMs: { median: +median(checkCpuMs).toFixed(3), p95: +quantile(checkCpuMs, 0.95).toFixed(3) },
      fullCollectionMs: { median: +median(collectionMs).toFixed(1), max: +Math.max(...collectionMs).toFixed(1) },
      checkMs: { median: +median(checkMs).toFixed(3), p95: +quantile(checkMs, 0.95).toFixed(3), max: +Math.max(...checkMs).toFixed(3) },
      runCpuMs: { [PLAIN ? 'plain' : 'withRunContext']: +median(runCpu).toFixed(1) },
      leftoversFoundInCleanRuns: found,
    },
    null,
    2,
  ),
);
await browser.close();
await shop.close();
