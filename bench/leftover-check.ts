// What the end-of-run leftover check of a journey worker costs (docs/isolation.md): in one process
// set up like a worker (Playwright loaded, its own headless shell over the pipe), runs of a small
// journey against the demo shop, each followed by the check, timed alone; and the same runs with
// and without the run's async context that charges late faults to the run that left them.
// Usage: node --import tsx bench/leftover-check.ts [runs]
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright';
import { browserLaunchOptions, findBrowser } from '../src/runner/find-browser.ts';
import { LeftoverCheck } from '../src/worker/leftovers.ts';
import { startShopProcess } from './shop-process.ts';

const RUNS = Number(process.argv[2] ?? 60);
const CAP = 512 * 1024 * 1024;

await import('../src/index.ts');
// The shop in a process of its own, as a target is: its sockets are not the worker's.
const shop = await startShopProcess(process.cwd());
const browser = await chromium.launch(browserLaunchOptions(findBrowser({})));
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
const found: string[] = [];
const runCpu = { plain: [] as number[], owned: [] as number[] };
for (let i = 0; i < RUNS; i += 1) {
  // Interleaved, so that a busy moment of the machine falls on both alike.
  const owned = i % 2 === 1;
  const c0 = cpu();
  check.begin();
  if (owned) await owner.run({ runId: String(i) }, journey);
  else await journey();
  const c1 = cpu();
  const t0 = performance.now();
  const { found: left, worn } = check.end({ handles: true });
  checkMs.push(performance.now() - t0);
  found.push(...left.map((leftover) => leftover.message), ...(worn ? [worn] : []));
  runCpu[owned ? 'owned' : 'plain'].push(c1 - c0);
}

const median = (values: number[]) => quantile(values, 0.5);
console.log(
  JSON.stringify(
    {
      runs: RUNS,
      collections: check.collections,
      checkMs: { median: +median(checkMs).toFixed(3), p95: +quantile(checkMs, 0.95).toFixed(3), max: +Math.max(...checkMs).toFixed(3) },
      runCpuMs: { plain: +median(runCpu.plain).toFixed(1), withRunContext: +median(runCpu.owned).toFixed(1) },
      leftoversFoundInCleanRuns: found,
    },
    null,
    2,
  ),
);
await browser.close();
await shop.close();
