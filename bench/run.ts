// `npm run bench`: what a heartbeat costs, how many this machine sustains, /metrics at scale, and a soak.
//   node --import tsx bench/run.ts [--quick] [--out <file>] [--no-elastic] [--only cost,scrape,capacity,specs]
//                                  [--runs <n>] [--soak-runs <n>] [--spec-rounds <n>] [--profile <file.cpuprofile>] [--wait-idle <s>]
//                                  [--variants pulse,pulse-unmarked,...] [--pages checkout,catalog]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadPlaywrightUse } from '../src/playwright-use.ts';
import { SYSTEM_CHROMIUMS, SYSTEM_HEADLESS_SHELLS, findBrowser } from '../src/runner/find-browser.ts';
import { runCapacity, type CapacityResult } from './capacity.ts';
import { VARIANT_IDS, runCost, type CostResult, type VariantId } from './cost.ts';
import { earlierRunsIn, isWholeRun } from './earlier-runs.ts';
import { machineBusy } from './proc.ts';
import { FIGURE_DOCS, renderFigures, withFigures } from './figures.ts';
import { renderMarkdown, renderSummary, type BenchResults, type Machine } from './report.ts';
import { runScrapeInChild, type ScrapeResult } from './scrape.ts';
import { startShopProcess } from './shop-process.ts';
import { runSpecs, type SpecsResult } from './specs.ts';
import { median } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECTIONS = ['cost', 'scrape', 'capacity', 'specs'] as const;
const DEFAULT_OUT = path.join(ROOT, 'bench/RESULTS.md');
/**
 * The journeys whose cost per heartbeat is measured: the checkout (few requests per page) and a
 * page with many own-origin static assets and API calls, where a cost that grows per request shows.
 */
const BENCH_PAGES = ['checkout', 'catalog'] as const;
type Section = (typeof SECTIONS)[number];
/**
 * Discarded runs of each in-process variant before its measured runs: a journey worker's first
 * ten or so runs still compile their hot paths (bench/findings.md), and a daemon's worker lives
 * for many more.
 */
const WARM_RUNS = 10;

const USAGE = `usage: npm run bench -- [--quick] [--out <file>] [--no-elastic] [--only ${SECTIONS.join(',')}]
                       [--runs <n>] [--soak-runs <n>] [--spec-rounds <n>] [--profile <file.cpuprofile>] [--wait-idle <seconds>]
                       [--variants ${VARIANT_IDS.join(',')}] [--pages ${BENCH_PAGES.join(',')}]`;

interface Settings {
  quick: boolean;
  out: string;
  elastic: boolean;
  only: Set<Section>;
  /** Cost variants to measure; all when not given. */
  variants: VariantId[] | undefined;
  /** Journeys measured in the cost section, the first one also sizes the capacity section. */
  pages: string[];
  runs: number;
  soakRuns: number;
  /** Rounds of the spec-suite section: every scheduled test once per round on each side. */
  specRounds: number;
  profile: string | undefined;
  waitIdleS: number;
}

function readSettings(argv: string[]): Settings | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      out: { type: 'string' },
      'no-elastic': { type: 'boolean' },
      only: { type: 'string' },
      runs: { type: 'string' },
      'soak-runs': { type: 'string' },
      'spec-rounds': { type: 'string' },
      profile: { type: 'string' },
      'wait-idle': { type: 'string' },
      variants: { type: 'string' },
      pages: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const count = (name: string, value: string | undefined, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} must be a whole number of at least ${min}`);
    return Number(value);
  };
  const only = new Set<Section>();
  for (const name of (values.only ?? SECTIONS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: unknown section '${name}'; use ${SECTIONS.join(', ')}`);
    only.add(name as Section);
  }
  const variants = values.variants
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of variants ?? []) {
    if (!(VARIANT_IDS as readonly string[]).includes(name)) throw new Error(`--variants: unknown variant '${name}'; use ${VARIANT_IDS.join(', ')}`);
  }
  const pages = (values.pages ?? BENCH_PAGES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of pages) {
    if (!(BENCH_PAGES as readonly string[]).includes(name)) throw new Error(`--pages: unknown page '${name}'; use ${BENCH_PAGES.join(', ')}`);
  }
  return {
    pages,
    quick,
    out: path.resolve(values.out ?? DEFAULT_OUT),
    elastic: !quick && !values['no-elastic'],
    only,
    variants: variants as VariantId[] | undefined,
    runs: count('runs', values.runs, quick ? 3 : 30, 1),
    soakRuns: count('soak-runs', values['soak-runs'], quick ? 20 : 1000, 4),
    // A round is ten `playwright test` processes: about a minute on 2 cores.
    specRounds: count('spec-rounds', values['spec-rounds'], quick ? 1 : 6, 1),
    profile: values.profile ? path.resolve(values.profile) : undefined,
    waitIdleS: count('wait-idle', values['wait-idle'], quick ? 0 : 60, 0),
  };
}

async function describeMachine(headlessShell: string, fullChromium: string | undefined): Promise<Machine> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const playwright = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/playwright/package.json'), 'utf8')) as { version: string };
  return {
    date: new Date().toISOString(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? '?',
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    os: /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? os.type(),
    node: process.version,
    playwright: playwright.version,
    headlessShell,
    fullChromium,
    chromiumVersions: {},
    busyBefore: 0,
    busyAfter: undefined,
  };
}

/** Waits (up to waitS) for other work on the machine to settle; returns the busy share last seen. */
async function waitForQuiet(waitS: number, log: (line: string) => void): Promise<number> {
  const deadline = Date.now() + waitS * 1000;
  let busy = await machineBusy(2_000);
  while (busy > 0.15 && Date.now() < deadline) {
    log(`machine ${Math.round(busy * 100)}% busy with other work; waiting for it to settle`);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    busy = await machineBusy(2_000);
  }
  if (busy > 0.15) log(`warning: machine still ${Math.round(busy * 100)}% busy with other work; figures will be noisier`);
  return busy;
}

async function main(): Promise<number> {
  let settings: Settings | 'help';
  try {
    settings = readSettings(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (settings === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const started = performance.now();
  const log = (line: string) => process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const headlessShell = SYSTEM_HEADLESS_SHELLS.find((p) => existsSync(p)) ?? findBrowser().executablePath;
  if (!headlessShell) throw new Error('bench: needs a Chromium executable path (apt-get install chromium-headless-shell)');
  const fullChromium = SYSTEM_CHROMIUMS.find((p) => existsSync(p));
  const machine = await describeMachine(headlessShell, fullChromium);
  machine.busyBefore = await waitForQuiet(settings.waitIdleS, log);

  const cacheDir = path.join(ROOT, 'bench/.cache');
  mkdirSync(cacheDir, { recursive: true });
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'pulse-bench-'));
  const use = await loadPlaywrightUse(path.join(ROOT, 'playwright.config.ts'));
  const shop = await startShopProcess(ROOT);
  log(`demo shop at ${shop.url}; headless shell ${headlessShell}; full Chromium ${fullChromium ?? 'none'}`);

  const costs: CostResult[] = [];
  let scrape: ScrapeResult | undefined;
  let capacity: CapacityResult | undefined;
  let specs: SpecsResult | undefined;
  try {
    for (const page of settings.only.has('cost') ? settings.pages : []) {
      log(`cost per heartbeat of ${page}: ${settings.runs} runs per variant`);
      const cost = await runCost({
        root: ROOT,
        journey: page,
        cacheDir,
        tmpDir,
        shopUrl: shop.url,
        use,
        headlessShell,
        fullChromium,
        runs: settings.runs,
        blockSize: settings.quick ? settings.runs : 10,
        // Quick figures mean nothing, so they need no more warm-up than a run that loads the page.
        warmRuns: settings.quick ? 1 : WARM_RUNS,
        elastic: settings.elastic,
        ...(settings.variants ? { variants: settings.variants } : {}),
        cgroup: true,
        ...(settings.profile ? { profileFile: settings.profile } : {}),
        log,
      });
      machine.chromiumVersions = { ...machine.chromiumVersions, ...cost.browserVersions };
      costs.push(cost);
    }
    const cost = costs[0];
    if (settings.only.has('scrape')) {
      log('scrape: /metrics at 200 journeys x 10 steps x 3 locations');
      scrape = await runScrapeInChild(ROOT, { journeys: 200, steps: 10, locations: 3, iterations: settings.quick ? 3 : 40 });
    }
    if (settings.only.has('capacity')) {
      const pulse = cost?.variants.find((v) => v.id === 'pulse');
      const cores = machine.cores;
      log('capacity and soak');
      capacity = await runCapacity({
        root: ROOT,
        cacheDir,
        tmpDir,
        shopUrl: shop.url,
        executablePath: headlessShell,
        cores,
        perRunCpuS: pulse?.samples.length ? median(pulse.samples.map((s) => s.cpuS)) : 1,
        perRunWallS: pulse?.samples.length ? median(pulse.samples.map((s) => s.wallMs)) / 1000 : 1,
        intervalS: settings.quick ? 5 : 10,
        levels: settings.quick ? [1] : Array.from({ length: cores }, (_, i) => i + 1),
        warmupS: settings.quick ? 3 : 10,
        windowS: settings.quick ? 6 : 30,
        soakConcurrency: settings.quick ? 2 : cores + 1,
        soakRuns: settings.soakRuns,
        soakSampleEvery: settings.quick ? 5 : 50,
        // The heap and SQLite settle over the first runs (RSS peaked around run 100-150 in a full run).
        soakWarmupRuns: settings.quick ? 5 : Math.round(settings.soakRuns / 5 / 50) * 50,
        eightyWindowS: settings.quick ? 6 : 40,
        flood: { connections: 200, paths: ['/', '/metrics'] },
        log,
      });
    }
    if (settings.only.has('specs')) {
      log(`a Playwright Test suite: pulse against \`playwright test\` per run, ${settings.specRounds} round${settings.specRounds === 1 ? '' : 's'}`);
      specs = await runSpecs({
        root: ROOT,
        tmpDir,
        shopUrl: shop.url,
        headlessShell,
        rounds: settings.specRounds,
        warmUp: !settings.quick,
        cgroup: true,
        log,
      });
      machine.chromiumVersions = { ...machine.chromiumVersions, [headlessShell]: specs.browserVersion };
    }
  } finally {
    await shop.close();
    rmSync(tmpDir, { recursive: true, force: true });
  }
  machine.busyAfter = await machineBusy(1_000);

  const notesFile = path.join(ROOT, 'bench/findings.md');
  const results: BenchResults = {
    quick: settings.quick,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    elapsedS: (performance.now() - started) / 1000,
    machine,
    ...(costs[0] ? { cost: costs[0] } : {}),
    ...(costs.length > 1 ? { moreCosts: costs.slice(1) } : {}),
    ...(scrape ? { scrape } : {}),
    ...(capacity ? { capacity } : {}),
    ...(specs ? { specs } : {}),
    ...(!settings.quick && existsSync(notesFile) ? { notes: readFileSync(notesFile, 'utf8') } : {}),
  };
  const wholeIntoResults = settings.out === DEFAULT_OUT && isWholeRun(results.command);
  if (wholeIntoResults) results.earlier = earlierRunsIn(DEFAULT_OUT, machine.date.slice(0, 10), (line) => process.stderr.write(`${line}\n`));
  mkdirSync(path.dirname(settings.out), { recursive: true });
  writeFileSync(settings.out, renderMarkdown(results));
  // A whole bench into the shared RESULTS.md: the docs quote its figures from now on.
  if (wholeIntoResults) {
    const block = renderFigures(results);
    for (const doc of FIGURE_DOCS) {
      const file = path.join(ROOT, doc);
      writeFileSync(file, withFigures(readFileSync(file, 'utf8'), block));
    }
  }
  process.stdout.write(
    `\n${renderSummary(results)}\n\nwrote ${path.relative(process.cwd(), settings.out) || settings.out} in ${(results.elapsedS / 60).toFixed(1)} min\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
