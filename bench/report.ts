// RESULTS.md and the stdout summary, from one bench run's figures.
import type { CapacityResult, LevelResult, MemoryPoint } from './capacity.ts';
import { markerPair, type CostResult, type VariantId, type VariantResult } from './cost.ts';
import { DEFAULT_FEATURES } from './worker.ts';
import { renderEarlierRuns, type EarlierRun } from './earlier-runs.ts';
import type { ScrapeResult } from './scrape.ts';
import { GZIP_LEVEL } from '../src/web/exposition.ts';
import type { SpecsResult } from './specs.ts';
import { specsFinding, specsSection, specsSummary } from './specs-report.ts';
import { FIGURE_DOCS, renderFigures } from './figures.ts';
import { fmt, fmtBytes, fmtPercent, median, summarize } from './stats.ts';

export interface Machine {
  date: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  os: string;
  node: string;
  playwright: string;
  headlessShell: string;
  fullChromium: string | undefined;
  chromiumVersions: Record<string, string>;
  /** Share of machine CPU busy just before the bench started and just after it ended. */
  busyBefore: number;
  busyAfter: number | undefined;
}

export interface BenchResults {
  quick: boolean;
  command: string;
  elapsedS: number;
  machine: Machine;
  /** The checkout, first measured page; the capacity section runs copies of it. */
  cost?: CostResult;
  /** The same variants on the other pages (the heavy one: many own-origin assets and API calls). */
  moreCosts?: CostResult[];
  scrape?: ScrapeResult;
  capacity?: CapacityResult;
  /** A Playwright Test suite as pulse journeys against `playwright test` per run. */
  specs?: SpecsResult;
  /** Hand-written notes (bench/findings.md): what was changed from these measurements, before and after. */
  notes?: string;
  /** The Targets of the whole runs written to RESULTS.md earlier the same day, newest first. */
  earlier?: EarlierRun[];
}

export type Verdict = 'PASS' | 'MISS' | 'n/a';

export interface TargetCheck {
  target: string;
  measured: string;
  verdict: Verdict;
}

const TARGETS = {
  pulseOverFloor: 1.1,
  lagP99S: 1,
  scrapeMs: 25,
  rssGrowth: 0.1,
  attributedCpu: 0.15,
  /** What pulse held at concurrency 3 before each worker had its own browser (daemon and workers RSS plus browser PSS). */
  memoryBytes: 1.2 * 2 ** 30,
};

function variant(cost: CostResult | undefined, id: VariantId): VariantResult | undefined {
  const found = cost?.variants.find((v) => v.id === id);
  return found && found.samples.length > 0 ? found : undefined;
}

const cpu = (v: VariantResult | undefined) => (v ? median(v.samples.map((s) => s.cpuS)) : Number.NaN);

function verdict(ok: boolean | undefined): Verdict {
  return ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS';
}

export interface SoakFigures {
  warm: MemoryPoint | undefined;
  last: MemoryPoint | undefined;
  /** Last sample against the sample after warm-up. */
  rssGrowthLast: number | undefined;
  pssGrowthLast: number | undefined;
  /**
   * Growth along a least-squares line through the samples after warm-up, from the warm-up run to
   * the last: one sample lands anywhere in a garbage-collection cycle (RSS) or with none to n
   * renderers open (PSS), a line through all of them does not.
   */
  rssGrowth: number | undefined;
  pssGrowth: number | undefined;
  /** Slope of that line, bytes per 1,000 runs. */
  rssSlopePer1000: number | undefined;
  /** Browser processes: most seen in the first and the second half of the samples after warm-up. */
  processesFirstHalf: number | undefined;
  processesSecondHalf: number | undefined;
  flat: boolean | undefined;
}

function fitLine(points: MemoryPoint[], pick: (p: MemoryPoint) => number): { slope: number; at: (run: number) => number } | undefined {
  if (points.length < 3) return undefined;
  const mx = points.reduce((a, p) => a + p.run, 0) / points.length;
  const my = points.reduce((a, p) => a + pick(p), 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.run - mx) * (pick(p) - my);
    den += (p.run - mx) ** 2;
  }
  const slope = den === 0 ? 0 : num / den;
  return { slope, at: (run) => my + slope * (run - mx) };
}

export function soakFigures(capacity: CapacityResult | undefined): SoakFigures {
  const points = capacity?.soak?.memory ?? [];
  const warmRun = capacity?.soakWarmupRuns ?? 0;
  const after = points.filter((p) => p.run >= warmRun);
  const warm = after[0];
  const last = after.at(-1);
  const half = Math.ceil(after.length / 2);
  const maxOf = (ps: MemoryPoint[]) => (ps.length ? Math.max(...ps.map((p) => p.browserProcesses)) : undefined);
  const processesFirstHalf = maxOf(after.slice(0, half));
  const processesSecondHalf = maxOf(after.slice(half));
  const growth = (pick: (p: MemoryPoint) => number) => {
    const line = fitLine(after, pick);
    return line && warm && last ? line.at(last.run) / line.at(warm.run) - 1 : undefined;
  };
  const rssLine = fitLine(after, (p) => p.rssBytes);
  return {
    warm,
    last,
    rssGrowthLast: warm && last && warm !== last ? last.rssBytes / warm.rssBytes - 1 : undefined,
    pssGrowthLast: warm && last && warm !== last ? last.browserPssBytes / warm.browserPssBytes - 1 : undefined,
    rssGrowth: growth((p) => p.rssBytes),
    pssGrowth: growth((p) => p.browserPssBytes),
    rssSlopePer1000: rssLine ? rssLine.slope * 1000 : undefined,
    processesFirstHalf,
    processesSecondHalf,
    flat: processesFirstHalf !== undefined && processesSecondHalf !== undefined ? processesSecondHalf <= processesFirstHalf : undefined,
  };
}

export function targetChecks(results: BenchResults): TargetCheck[] {
  const { cost, scrape, capacity } = results;
  const pulse = variant(cost, 'pulse');
  const spawn = variant(cost, 'spawn');
  const spawnOverPulse = cpu(spawn) / cpu(pulse);
  const eighty = capacity?.atEighty;
  const flooded = capacity?.underFlood;
  const soak = soakFigures(capacity);
  const soakLevel = capacity?.soak;
  const soakTotal = soakLevel ? slotTotal(soakLevel) : undefined;
  const finite = (x: number) => (Number.isFinite(x) ? x : undefined);
  const overFloor = (page: CostResult): TargetCheck => {
    const ratio = cpu(variant(page, 'pulse')) / cpu(variant(page, 'floor'));
    return {
      target: `pulse CPU per heartbeat ≤ ${TARGETS.pulseOverFloor}x the floor, \`${page.journey}\``,
      measured: `${fmt(ratio)}x (${fmt(cpu(variant(page, 'pulse')))} s vs ${fmt(cpu(variant(page, 'floor')))} s)`,
      verdict: verdict(finite(ratio) === undefined ? undefined : ratio <= TARGETS.pulseOverFloor),
    };
  };
  const attributed = (page: CostResult): TargetCheck => {
    const pulseRuns = variant(page, 'pulse')?.samples.filter((s) => s.attributedCpuS !== undefined) ?? [];
    const ratio = pulseRuns.length ? median(pulseRuns.map((s) => s.attributedCpuS!)) / median(pulseRuns.map((s) => s.cpuS)) : Number.NaN;
    return {
      target: `\`pulse_journey_cpu_seconds_total\` per run within ${TARGETS.attributedCpu * 100}% of the measured CPU per heartbeat, \`${page.journey}\``,
      measured: pulseRuns.length
        ? `${fmt(ratio)} of it (median ${fmt(median(pulseRuns.map((s) => s.attributedCpuS!)))} s vs ${fmt(median(pulseRuns.map((s) => s.cpuS)))} s)`
        : '–',
      verdict: verdict(finite(ratio) === undefined ? undefined : Math.abs(ratio - 1) <= TARGETS.attributedCpu),
    };
  };
  const pages = [...(cost ? [cost] : []), ...(results.moreCosts ?? [])];
  return [
    ...pages.map(overFloor),
    ...pages.map(attributed),
    {
      // Reported, not judged: what a `playwright test` process per run costs against a warm pulse run.
      target: 'spawn-per-run (`playwright test`) per heartbeat, against pulse (reported, no target)',
      measured: `${fmt(spawnOverPulse)}x (${fmt(cpu(spawn))} s vs ${fmt(cpu(pulse))} s)`,
      verdict: 'n/a',
    },
    {
      target: `schedule lag p99 < ${TARGETS.lagP99S} s at 80% of measured capacity`,
      measured: eighty
        ? `p99 ${fmt(eighty.lag.p99)} s at ${fmt(eighty.offeredPerMin)}/min offered, concurrency ${eighty.concurrency} (${eighty.lag.n} starts)`
        : '–',
      verdict: verdict(eighty && eighty.lag.n > 0 ? eighty.lag.p99 < TARGETS.lagP99S : undefined),
    },
    {
      target: `under a UI flood at 80% of capacity: schedule lag p99 < ${TARGETS.lagP99S} s and no run skipped`,
      measured: flooded
        ? `p99 ${fmt(flooded.lag.p99)} s, ${flooded.skippedSaturated + flooded.skippedOverlap} skipped (${flooded.lag.n} starts); ${
            flooded.flood
              ? `${flooded.flood.requests} requests on ${flooded.flood.connections} connections: ${Object.entries(flooded.flood.byStatus)
                  .map(([status, n]) => `${n} × ${status}`)
                  .join(', ')}`
              : ''
          }`
        : '–',
      verdict: verdict(flooded && flooded.lag.n > 0 ? flooded.lag.p99 < TARGETS.lagP99S && flooded.skippedSaturated + flooded.skippedOverlap === 0 : undefined),
    },
    {
      // The target is what one replica serves: one pulse process has one location. Asked with gzip, as Prometheus asks.
      target: `GET /metrics < ${TARGETS.scrapeMs} ms (p95, gzip as Prometheus asks) for one replica (one location) of ${scrape ? `${scrape.journeys} journeys x ${scrape.steps} steps` : 'size'}`,
      measured: scrape?.oneLocation
        ? `p95 ${fmt(scrape.oneLocation.httpMs.p95)} ms, median ${fmt(scrape.oneLocation.httpMs.median)} ms (${scrape.oneLocation.series} series, ${fmtBytes(scrape.oneLocation.bodyBytes)}, ${fmtBytes(scrape.oneLocation.gzipBytes)} on the wire); without gzip median ${fmt(scrape.oneLocation.plainHttpMs.median)} ms; ${scrape.locations} locations in one registry: median ${fmt(scrape.httpMs.median)} ms`
        : '–',
      verdict: verdict(scrape?.oneLocation ? scrape.oneLocation.httpMs.p95 < TARGETS.scrapeMs : undefined),
    },
    {
      target: `pulse RSS growth < ${TARGETS.rssGrowth * 100}% over the soak`,
      measured:
        soak.rssGrowth !== undefined
          ? `${fmtPercent(soak.rssGrowth)} from run ${soak.warm?.run} to ${soak.last?.run} along the trend of the samples (${fmtBytes(soak.rssSlopePer1000)} per 1,000 runs); single samples: ${fmtBytes(soak.warm?.rssBytes)} → ${fmtBytes(soak.last?.rssBytes)}, ${fmtPercent(soak.rssGrowthLast)}`
          : '–',
      verdict: verdict(soak.rssGrowth === undefined ? undefined : soak.rssGrowth < TARGETS.rssGrowth),
    },
    {
      target: `memory at concurrency ${soakLevel?.concurrency ?? 3}: Node.js RSS + browser PSS ≤ ${fmtBytes(TARGETS.memoryBytes)}`,
      measured: soakTotal !== undefined ? `${fmtBytes(soakTotal)} (${soakLevel!.slots!.workers.length} slots)` : '–',
      verdict: verdict(soakTotal === undefined ? undefined : soakTotal <= TARGETS.memoryBytes),
    },
    {
      target: 'browser process count flat over the soak',
      measured: soak.flat !== undefined ? `at most ${soak.processesFirstHalf} in the first half, ${soak.processesSecondHalf} in the second` : '–',
      verdict: verdict(soak.flat),
    },
  ];
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );
}

/** What each benched journey does, for the heading of its cost section. */
const PAGE_DESCRIPTIONS: Record<string, string> = {
  checkout: '6 steps, 5 page loads, one order placed',
  catalog: 'a page of 20+ own-origin stylesheets, scripts, images and a font, with API calls',
};

function costSection(cost: CostResult, number: string): string {
  const rows = cost.variants
    .filter((v) => v.id !== 'pulse-full')
    .map((v) => {
      const cpuS = summarize(v.samples.map((s) => s.cpuS));
      const wall = summarize(v.samples.map((s) => s.wallMs));
      const node = v.samples.every((s) => s.nodeCpuS !== undefined) ? summarize(v.samples.map((s) => s.nodeCpuS!)) : undefined;
      const browser = v.samples.every((s) => s.browserCpuS !== undefined) ? summarize(v.samples.map((s) => s.browserCpuS!)) : undefined;
      const check = v.samples.length > 0 && v.samples.every((s) => s.cgroupCpuS !== undefined) ? summarize(v.samples.map((s) => s.cgroupCpuS!)) : undefined;
      return [
        v.label,
        String(cpuS.n),
        fmt(cpuS.median),
        fmt(cpuS.p95),
        fmt(wall.median, 4),
        fmt(wall.p95, 4),
        node ? fmt(node.median) : '–',
        browser ? fmt(browser.median) : '–',
        check ? fmt(check.median) : '–',
        String(v.failures),
      ];
    });
  const pulse = variant(cost, 'pulse');
  const floor = variant(cost, 'floor');
  const spawn = variant(cost, 'spawn');
  const elastic = variant(cost, 'elastic');
  const marker = markerPair(cost);
  const plain = variant(cost, 'pulse-plain');
  const wallOf = (v: VariantResult | undefined) => (v ? median(v.samples.map((s) => s.wallMs)) : Number.NaN);
  const ratioRows = [
    ['pulse / floor, CPU', fmt(cpu(pulse) / cpu(floor))],
    ['pulse / floor, wall', fmt(wallOf(pulse) / wallOf(floor))],
    ['spawn-per-run / pulse, CPU', fmt(cpu(spawn) / cpu(pulse))],
    ['spawn-per-run / pulse, wall', fmt(wallOf(spawn) / wallOf(pulse))],
    ...(marker.on && marker.off
      ? [
          ['pulse, traffic marker on / off, CPU', fmt(cpu(marker.on) / cpu(marker.off))],
          ['pulse, traffic marker on / off, wall', fmt(wallOf(marker.on) / wallOf(marker.off))],
        ]
      : []),
    ...(plain
      ? [
          ['pulse, defaults / marker, web vitals and run summary off, CPU', fmt(cpu(pulse) / cpu(plain))],
          ['pulse, defaults / marker, web vitals and run summary off, wall', fmt(wallOf(pulse) / wallOf(plain))],
        ]
      : []),
    ...(elastic
      ? [
          ['@elastic/synthetics per run / pulse, CPU', fmt(cpu(elastic) / cpu(pulse))],
          ['@elastic/synthetics per run / pulse, wall', fmt(wallOf(elastic) / wallOf(pulse))],
        ]
      : []),
  ];
  const nodeOf = (v: VariantResult | undefined) => (v ? median(v.samples.map((s) => s.nodeCpuS ?? Number.NaN)) : Number.NaN);
  const browserOf = (v: VariantResult | undefined) => (v ? median(v.samples.map((s) => s.browserCpuS ?? Number.NaN)) : Number.NaN);
  const elasticLine = cost.elastic.ok
    ? `@elastic/synthetics ${cost.elastic.version} (its own playwright-core ${cost.elastic.playwright}) ran the same checkout steps (\`bench/elastic.ts\`) against the same Chromium, one \`elastic-synthetics\` process per run as Heartbeat starts it, with \`--screenshots only-on-failure --no-throttling\` (Heartbeat's \`--rich-events\` would add step screenshots and network events, so this is its cheapest mode).`
    : `@elastic/synthetics: not measured: ${cost.elastic.reason}`;
  return [
    `## ${number}. Cost per heartbeat: \`${cost.journey}\``,
    '',
    `CPU-seconds of the whole process tree and wall time per **successful** \`${cost.journey}\` run (${PAGE_DESCRIPTIONS[cost.journey] ?? 'journeys/' + cost.journey + '.journey.ts'}). Median and p95 over the runs in column n; node/browser split the in-process variants; "cgroup check" is the same CPU counted by the kernel's cpuacct cgroup (see Method), where available.`,
    '',
    table(
      ['variant', 'n', 'CPU s median', 'CPU s p95', 'wall ms median', 'wall ms p95', 'node CPU s', 'browser CPU s', 'cgroup check CPU s', 'failed runs'],
      rows,
    ),
    '',
    table(['ratio (medians, same bench run)', 'value'], ratioRows),
    '',
    `Per heartbeat, pulse's Node.js side costs ${fmt(nodeOf(pulse) * 1000)} ms of CPU against the floor's ${fmt(nodeOf(floor) * 1000)} ms (${fmt((nodeOf(pulse) - nodeOf(floor)) * 1000)} ms more: the worker process beside the runner's, steps, timers, evidence recorder and the three sinks); the browser tree costs ${fmt(browserOf(pulse) * 1000)} ms against ${fmt(browserOf(floor) * 1000)} ms.`,
    '',
    elasticLine,
  ].join('\n');
}

function buildSection(cost: CostResult, machine: Machine): string {
  const shell = variant(cost, 'pulse');
  const full = variant(cost, 'pulse-full');
  if (!full || !shell) return '## 5. Full Chromium vs headless shell\n\nNot measured: no full Chromium found (or its runs failed).';
  const row = (name: string, path: string, v: VariantResult) => {
    const c = summarize(v.samples.map((s) => s.cpuS));
    const b = summarize(v.samples.map((s) => s.browserCpuS ?? Number.NaN));
    const w = summarize(v.samples.map((s) => s.wallMs));
    const pss = v.memory.map((m) => m.browserPssBytes);
    return [
      `${name} \`${path}\` (${machine.chromiumVersions[path] ?? '?'})`,
      String(c.n),
      fmt(c.median),
      fmt(c.p95),
      fmt(b.median),
      fmt(w.median, 4),
      fmt(w.p95, 4),
      fmtBytes(median(pss)),
      fmt(median(v.browserProcesses), 2),
    ];
  };
  const pssRatio = median(full.memory.map((m) => m.browserPssBytes)) / median(shell.memory.map((m) => m.browserPssBytes));
  return [
    '## 5. Full Chromium vs headless shell',
    '',
    'The pulse runner (sinks on), taking turns with section 1 in the same rounds; browser PSS read once per round, after the rounds, with that browser the only one open (launched, one run, then read), browser processes alive after each run.',
    '',
    table(
      ['build', 'n', 'CPU s median', 'CPU s p95', 'browser CPU s', 'wall ms median', 'wall ms p95', 'browser PSS', 'browser processes'],
      [row('headless shell', machine.headlessShell, shell), row('full Chromium', machine.fullChromium ?? '?', full)],
    ),
    '',
    `Full Chromium costs **${fmt(cpu(full) / cpu(shell))}x** the CPU per heartbeat (${fmt(median(full.samples.map((s) => s.browserCpuS ?? 0)) / median(shell.samples.map((s) => s.browserCpuS ?? 0)))}x on the browser side alone) and **${fmt(pssRatio)}x** the browser memory of the headless shell: the headless shell stays the default.`,
  ].join('\n');
}

/** Node.js RSS (daemon and workers) plus browser PSS: the memory one replica holds, each shared page counted once in the browsers. */
function slotTotal(level: LevelResult): number | undefined {
  const slots = level.slots;
  if (!slots || slots.workers.length === 0) return undefined;
  return slots.daemon.rssBytes + slots.workers.reduce((sum, slot) => sum + slot.worker.rssBytes + slot.browser.pssBytes, 0);
}

function memorySection(capacity: CapacityResult): string {
  const levels = capacity.levels.filter((level) => level.slots && level.slots.workers.length > 0);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const rows = levels.map((level) => {
    const { daemon, workers } = level.slots!;
    const pair = (f: { rssBytes: number; pssBytes: number }) => `${fmtBytes(f.rssBytes)} / ${fmtBytes(f.pssBytes)}`;
    return [
      String(level.concurrency),
      pair(daemon),
      String(workers.length),
      pair({ rssBytes: mean(workers.map((w) => w.worker.rssBytes)), pssBytes: mean(workers.map((w) => w.worker.pssBytes)) }),
      pair({ rssBytes: mean(workers.map((w) => w.browser.rssBytes)), pssBytes: mean(workers.map((w) => w.browser.pssBytes)) }),
      fmt(mean(workers.map((w) => w.browser.processes)), 2),
      fmtBytes(slotTotal(level)),
      fmtBytes(daemon.pssBytes + workers.reduce((sum, w) => sum + w.worker.pssBytes + w.browser.pssBytes, 0)),
    ];
  });
  return [
    '## 2b. Memory per slot',
    '',
    "Read at the end of each capacity window above (every slot busy): the daemon, each journey worker (Node.js with Playwright and the journey loaded), and each worker's own browser (every process of its tree), as RSS / PSS. RSS counts a page shared between processes in each of them; PSS shares it out. The total is what one replica holds: Node.js RSS plus browser PSS.",
    '',
    table(
      ['concurrency', 'daemon', 'workers', 'each worker', 'each browser', 'browser processes each', 'total (Node.js RSS + browser PSS)', 'total PSS'],
      rows,
    ),
    '',
    'Published per-slot sizing of the peers, for comparison: Datadog private locations reserve 0.8 CPU and 1 GiB per browser slot; Checkly 1.5 GiB.',
  ].join('\n');
}

function capacitySection(capacity: CapacityResult): string {
  const rows = capacity.levels.map((l) => levelRow(l, l === capacity.soak ? `${l.concurrency} (soak)` : undefined));
  const eighty = capacity.atEighty;
  const flooded = capacity.underFlood;
  const header = [
    'concurrency',
    'journeys',
    'offered runs/min',
    'window s',
    'heartbeats/min',
    'skipped: saturated',
    'skipped: overlap',
    'failed runs',
    'lag p50 s',
    'lag p99 s',
    'starts ≤ 1 s (daemon histogram)',
  ];
  return [
    '## 2. Capacity',
    '',
    `A real \`pulse run\` (child process, headless shell, sinks on) on copies of the checkout journey, every ${capacity.intervalS} s each, their start seconds spread over the interval; offered well above what the machine can do, so every level runs saturated and the heartbeat rate is its capacity. Schedule lag = a run's start (its \`run_started\` log line) minus its planned start (its schedule second plus pulse's per-journey jitter); at saturation it is bounded by the interval, since a run that waits longer is skipped (\`saturated\`), and a journey whose last run still waits or runs when its next tick comes skips that tick (\`overlap\`). Skips and runs are counted inside the window.`,
    '',
    table(header, rows),
    '',
    capacity.best ? `Best sustained rate: **${fmt(capacity.best.heartbeatsPerMin, 4)} heartbeats/min** at concurrency ${capacity.best.concurrency}.` : '',
    '',
    '### At 80% of capacity',
    '',
    eighty
      ? [table(header, [levelRow(eighty)]), '', `${eighty.lag.n} starts; lag p95 ${fmt(eighty.lag.p95)} s, max ${fmt(eighty.lag.max)} s.`].join('\n')
      : 'Not measured.',
    '',
    '### At 80% of capacity under a UI flood',
    '',
    flooded
      ? [
          `The same journeys and concurrency as the row above, in a fresh daemon, while a client in a process of its own (\`bench/flood.ts\`) holds ${flooded.flood?.connections ?? '?'} keep-alive connections to the daemon's port and asks for ${flooded.flood?.paths.join(' and ') ?? '?'} back to back on each for the whole window. It runs on the same cores as pulse, so its own CPU counts against pulse here, as it would not from another machine.`,
          '',
          table(header, [levelRow(flooded)]),
          '',
          flooded.flood
            ? `The flood made ${flooded.flood.requests} requests in ${fmt(flooded.flood.durationS, 3)} s: ${Object.entries(flooded.flood.byStatus)
                .map(([status, n]) => `${n} answered ${status}`)
                .join(
                  ', ',
                )}${flooded.flood.errors ? `, ${flooded.flood.errors} unanswered` : ''}. ${flooded.lag.n} starts; lag p95 ${fmt(flooded.lag.p95)} s, max ${fmt(flooded.lag.max)} s.`
            : '',
        ].join('\n')
      : 'Not measured.',
  ].join('\n');
}

function levelRow(l: LevelResult, concurrency = String(l.concurrency)): string[] {
  return [
    concurrency,
    String(l.journeys),
    fmt(l.offeredPerMin, 4),
    fmt(l.windowS, 3),
    fmt(l.heartbeatsPerMin, 4),
    String(l.skippedSaturated),
    String(l.skippedOverlap),
    String(l.unsuccessful),
    fmt(l.lag.median),
    fmt(l.lag.p99),
    l.histogramShareWithin1s !== undefined ? fmtPercent(l.histogramShareWithin1s) : '–',
  ];
}

function scrapeSection(scrape: ScrapeResult): string {
  const row = (what: string, series: number | string, body: string, t: { median: number; p95: number; max: number }) => [
    what,
    String(series),
    body,
    fmt(t.median),
    fmt(t.p95),
    fmt(t.max),
  ];
  const one = scrape.oneLocation;
  const rows = [
    row('`registry.metrics()`', scrape.series, fmtBytes(scrape.bodyBytes), scrape.serialiseMs),
    row(
      'gzip of that body, level ' + String(GZIP_LEVEL) + ' (a rebuild does it on the thread pool while scrapers ask for gzip)',
      scrape.series,
      fmtBytes(scrape.gzipBytes),
      scrape.compressMs,
    ),
    row(
      "**`GET /metrics`** via `createWebServer` (loopback), the daemon's cached exposition, gzip as Prometheus asks (decompressed by the client)",
      scrape.series,
      `${fmtBytes(scrape.gzipBytes)} gzip`,
      scrape.httpMs,
    ),
    row('`GET /metrics`, the same without gzip', scrape.series, fmtBytes(scrape.bodyBytes), scrape.plainHttpMs),
    ...(one
      ? [
          row(`\`registry.metrics()\`, ${one.journeys} x ${one.steps} x **1 location**`, one.series, fmtBytes(one.bodyBytes), one.serialiseMs),
          row(`gzip of that body, **1 location**`, one.series, fmtBytes(one.gzipBytes), one.compressMs),
          row(
            `**\`GET /metrics\`, ${one.journeys} x ${one.steps} x 1 location, gzip** (what one replica serves)`,
            one.series,
            `${fmtBytes(one.gzipBytes)} gzip`,
            one.httpMs,
          ),
          row(`\`GET /metrics\`, 1 location, without gzip`, one.series, fmtBytes(one.bodyBytes), one.plainHttpMs),
        ]
      : []),
    row('where the time goes: `registry.metrics()` without the two histograms', scrape.series - scrape.histogramSeries, '', scrape.withoutHistogramsMs),
    row(
      `not the product: the two histograms written by hand, label strings kept (${scrape.prototypeMatches ? 'same lines as prom-client' : '**lines differ from prom-client**'}), plus prom-client for the rest`,
      scrape.series,
      fmtBytes(scrape.bodyBytes),
      scrape.prototypeMs,
    ),
    row('`GET /metrics` of the whole body as one prebuilt string: the HTTP floor', scrape.series, fmtBytes(scrape.bodyBytes), scrape.cachedHttpMs),
    ...(one ? [row(`not the product: the same, **1 location**`, one.series, fmtBytes(one.bodyBytes), one.cachedHttpMs)] : []),
    row(
      '`registry.metrics()` **without** web vitals, certificates and thresholds (/metrics before them)',
      scrape.withoutFelt.series,
      fmtBytes(scrape.withoutFelt.bodyBytes),
      scrape.withoutFelt.serialiseMs,
    ),
    row(
      '`GET /metrics` **without** web vitals, certificates and thresholds',
      scrape.withoutFelt.series,
      fmtBytes(scrape.withoutFelt.bodyBytes),
      scrape.withoutFelt.httpMs,
    ),
  ];
  const grew = (now: number, before: number) => fmtPercent(now / before - 1);
  return [
    '## 3. Scrape',
    '',
    `One registry with the run and prober metrics sinks (prom-client default metrics on, as in the daemon) filled with synthetic RunResults: ${scrape.journeys} journeys x ${scrape.steps} steps x ${scrape.locations} locations, each journey and location with successes, a failure at one step and an error, so every label combination exists. ${scrape.iterations} measured scrapes of each kind after warm-up; times in ms.`,
    '',
    table(['what', 'series (lines)', 'body', 'median ms', 'p95 ms', 'max ms'], rows),
    '',
    `What the web vitals, certificate and degraded series add, in the same run: body ${grew(scrape.bodyBytes, scrape.withoutFelt.bodyBytes)}, lines ${grew(scrape.series, scrape.withoutFelt.series)}, \`GET /metrics\` median ${grew(scrape.httpMs.median, scrape.withoutFelt.httpMs.median)}, \`registry.metrics()\` median ${grew(scrape.serialiseMs.median, scrape.withoutFelt.serialiseMs.median)} (budget: within 10%).`,
    '',
    `${fmtPercent(scrape.histogramSeries / scrape.series, 0)} of the lines are the two histograms (\`pulse_step_duration_seconds\`, a line per bucket plus +Inf, sum and count for every journey, location and step; \`pulse_journey_duration_seconds\`), and prom-client spends about a microsecond and a few allocations per line.`,
  ].join('\n');
}

function soakSection(capacity: CapacityResult): string {
  const soak = capacity.soak;
  if (!soak) return '## 4. Soak\n\nNot measured.';
  const figures = soakFigures(capacity);
  const rows = soak.memory.map((p) => [
    String(p.run),
    fmt(p.elapsedS, 4),
    fmtBytes(p.rssBytes),
    fmtBytes(p.daemonRssBytes),
    p.workers ? `${p.workers} × ${fmtBytes((p.workersRssBytes ?? 0) / p.workers)}` : '–',
    fmtBytes(p.browserPssBytes),
    String(p.browserProcesses),
  ]);
  return [
    '## 4. Soak',
    '',
    `The saturated \`pulse run\` of the last capacity level (concurrency ${capacity.soakConcurrency}) until ${soak.memory.at(-1)?.run ?? 0} runs had ended, sampled every ${soak.memory[0]?.run ?? '?'} runs: RSS (VmRSS) of pulse's Node.js processes (the daemon and its journey workers; each worker's share shown), PSS summed over its browser tree (\`/proc/<pid>/smaps_rollup\`) and the count of its browser processes (browser main, zygotes, GPU, network, and one renderer per open context: up to ${capacity.soakConcurrency} runs are in flight when a sample is taken). Growth is measured from the end of warm-up (run ${capacity.soakWarmupRuns}) to the last sample.`,
    '',
    table(['runs ended', 'elapsed s', 'pulse RSS (all)', 'daemon RSS', 'journey workers (RSS each)', 'browser PSS', 'browser processes'], rows),
    '',
    `Growth after warm-up (the first ${capacity.soakWarmupRuns} runs), along a least-squares line through the samples from run ${figures.warm?.run ?? '–'} to ${figures.last?.run ?? '–'}, since a single sample lands anywhere in a garbage-collection cycle or with none to ${capacity.soakConcurrency} renderers open: pulse RSS ${fmtPercent(figures.rssGrowth)} (${fmtBytes(figures.rssSlopePer1000)} per 1,000 runs), browser PSS ${fmtPercent(figures.pssGrowth)}. Last sample against the sample at run ${figures.warm?.run ?? '–'}: RSS ${fmtPercent(figures.rssGrowthLast)}, PSS ${fmtPercent(figures.pssGrowthLast)}. Browser processes: at most ${figures.processesFirstHalf ?? '–'} in the first half of the samples and ${figures.processesSecondHalf ?? '–'} in the second.`,
  ].join('\n');
}

function findings(results: BenchResults): string {
  const { cost, capacity, scrape } = results;
  const lines: string[] = [];
  const pulse = variant(cost, 'pulse');
  const floor = variant(cost, 'floor');
  const spawn = variant(cost, 'spawn');
  if (pulse && floor) {
    const browserShare = median(pulse.samples.map((s) => s.browserCpuS ?? 0)) / cpu(pulse);
    lines.push(
      `- The browser is ${fmtPercent(browserShare, 0)} of pulse's CPU per heartbeat; pulse's own Node.js side adds ${fmt((median(pulse.samples.map((s) => s.nodeCpuS ?? 0)) - median(floor.samples.map((s) => s.nodeCpuS ?? 0))) * 1000)} ms per run over the plain script (medians; per-run noise is a few ms).`,
    );
  }
  if (pulse && spawn) {
    lines.push(
      `- Starting a process per run costs ${fmt(cpu(spawn) - cpu(pulse))} CPU-s more than a warm pulse run (${fmt(cpu(spawn) / cpu(pulse))}x): Node.js start, loading Playwright Test, its config and the journeys, a worker process, a browser launch, and the config's \`trace: 'retain-on-failure'\`, which records a trace of every run to throw it away on success.`,
    );
  }
  const { on: marked, off: unmarked } = markerPair(cost);
  if (marked && unmarked) {
    lines.push(
      `- Marking synthetic traffic (\`PULSE_MARK_TRAFFIC=on\`${DEFAULT_FEATURES.markTraffic ? ', the default' : '; off by default'}) changes pulse's CPU per heartbeat by ${fmtPercent(cpu(marked) / cpu(unmarked) - 1)} (${fmt((cpu(marked) - cpu(unmarked)) * 1000)} ms; medians, so within the per-run noise of a few ms it is no change): each page load and API call to the shop's origin makes one DevTools round trip between the browser and its journey worker, static assets and other origins none; with any request intercepted, Chromium routes every request of the page through its interception layer, so the price grows with the page's requests all the same.`,
    );
  }
  const plain = variant(cost, 'pulse-plain');
  if (marked && plain && unmarked) {
    const extras = cpu(unmarked) / cpu(plain) - 1;
    lines.push(
      `- Web vitals per step (a script in every page and one read at each step's end) and the per-run summary failures are compared with (\`PULSE_WEB_VITALS=on\`, the default) change pulse's CPU per heartbeat by ${fmtPercent(extras)} (${fmt((cpu(unmarked) - cpu(plain)) * 1000)} ms), with the traffic marker on as well ${fmtPercent(cpu(marked) / cpu(plain) - 1)}; the target is within 5%.`,
    );
  }
  if (capacity?.best && pulse) {
    const perRun = cpu(pulse);
    lines.push(
      `- At ${fmt(capacity.best.heartbeatsPerMin, 4)} heartbeats/min the machine spends about ${fmt((capacity.best.heartbeatsPerMin / 60) * perRun, 3)} of its ${results.machine.cores} cores on pulse and Chromium (from the median CPU per heartbeat); the demo shop takes the rest. More concurrency than cores buys little.`,
    );
  }
  if (scrape)
    lines.push(
      `- /metrics at ${scrape.series} series (${fmtBytes(scrape.bodyBytes)}) takes ${fmt(scrape.httpMs.median)} ms median over HTTP from the daemon's cached body, gzip as Prometheus asks (${fmt(scrape.plainHttpMs.median)} ms without); rebuilding that body after results costs ${fmt(scrape.serialiseMs.median)} ms, at most once a second, off the scrape path.`,
    );
  if (results.specs) lines.push(specsFinding(results.specs));
  return ['## Findings', '', ...lines].join('\n');
}

function orphanNote(cost: CostResult | undefined): string {
  const spawn = variant(cost, 'spawn');
  if (!spawn) return '';
  const orphan = median(spawn.samples.map((s) => s.orphanCpuS ?? 0));
  return ` (for \`playwright test\`: ${fmt(orphan)} s of ${fmt(cpu(spawn))} s per run, median; without it \`time\` and the counters alone undercount by ${fmtPercent(orphan / cpu(spawn), 0)})`;
}

function elasticLine(cost: CostResult | undefined): string {
  const elastic = cost?.elastic;
  if (!elastic) return 'not measured';
  return elastic.ok ? `${elastic.version} (playwright-core ${elastic.playwright})` : `not measured: ${elastic.reason}`;
}

export function renderMarkdown(results: BenchResults): string {
  const { machine, cost, scrape, capacity } = results;
  const checks = targetChecks(results);
  const versions = Object.entries(machine.chromiumVersions)
    .map(([path, version]) => `${version} (\`${path}\`)`)
    .join(', ');
  const parts = [
    '# pulse bench results',
    '',
    `Written by \`${results.command}\` (bench/run.ts) on ${machine.date}; the whole bench took ${fmt(results.elapsedS / 60, 3)} min.${results.quick ? ' **Quick mode: tiny counts, the figures mean nothing.**' : ''}`,
    '',
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${machine.cpuModel}, ${machine.cores} cores`],
        ['memory', fmtBytes(machine.memoryBytes)],
        ['OS', `${machine.os}, Linux ${machine.kernel}`],
        ['Node.js', machine.node],
        ['Playwright', machine.playwright],
        ['Chromium (`browser.version()`)', versions || '–'],
        ['@elastic/synthetics', elasticLine(cost)],
        [
          'machine busy (other processes)',
          `${fmtPercent(machine.busyBefore, 0)} of all CPU just before the bench, ${machine.busyAfter === undefined ? '–' : fmtPercent(machine.busyAfter, 0)} just after`,
        ],
      ],
    ),
    '',
    '## Targets',
    '',
    table(
      ['target', 'measured', 'verdict'],
      checks.map((c) => [c.target, c.measured, `**${c.verdict}**`]),
    ),
    '',
    ...(results.earlier?.length ? [renderEarlierRuns(results.earlier)] : []),
    '## Method',
    '',
    "- The demo shop runs in a child process of its own on 127.0.0.1, so its CPU is never counted as the prober's.",
    "- **In-process variants** (pulse, floor) each run in a worker process of their own (`bench/worker.ts`), each with a browser of its own. Every in-process variant's browser is launched once (pulse's with its journey worker, which drives it) and warmed with discarded runs (ten in a whole run: a journey worker still compiles its hot paths through its first ten or so runs, and a daemon keeps its worker for many more; the floor's process is started for the section too), then kept open through every round, as the daemon keeps them; in each round the variants take turns, one run each at a time, so that drift over minutes (the machine's, the page cache's) falls on all of them alike. An idle headless shell used no measurable CPU (0 ticks in 20 s) while the others took their turns. Node.js CPU is `process.cpuUsage()` over the run, plus for pulse the `/proc` ticks of its journey worker process (the browser is counted below with every other browser). Browser CPU is read from `/proc`: every process of the browser's tree (Playwright starts Chromium detached, so all its helpers share the browser main's session id even when re-parented; descendants by ppid are added too), summing `utime+stime+cutime+cstime`, so a renderer that has exited and been reaped by its zygote still counts. Browser windows are back to back, since a closed context's renderer exits after `context.close()` returns.",
    '- **pulse** is `Runner.run()` on the benched journey loaded with `loadJourneys` from `journeys/`, with a `WorkerPool` of one journey worker process that drives its own Chromium over a pipe, then `SinkFanout([RunStore, RunMetrics, HeartbeatLogSink])` with a JSON pino log to a file: what the daemon does per planned run. **floor** is the same steps as plain Playwright calls (`bench/floor-journeys.ts`), `newContext` / steps / `context.close()`. Both use the same `use` from `playwright.config.ts` (`loadPlaywrightUse`) for their contexts and the same launch options and Chromium.',
    `- **pulse** runs with the defaults of \`pulse run\` (traffic marker ${DEFAULT_FEATURES.markTraffic ? 'on' : 'off'}, web vitals ${DEFAULT_FEATURES.vitals ? 'on' : 'off'}, run summary on). **pulse, traffic marker ${DEFAULT_FEATURES.markTraffic ? 'off' : 'on'}** is the same with \`PULSE_MARK_TRAFFIC=${DEFAULT_FEATURES.markTraffic ? 'off' : 'on'}\` (its runner made with \`markTraffic: ${!DEFAULT_FEATURES.markTraffic}\`), in the same rounds, so the ratio of the two is what marking costs. **pulse, marker, web vitals and run summary off** turns off \`PULSE_WEB_VITALS\` and the per-run request summary too (\`vitals: false, observe: false\`): the ratio to it is what pulse's extras add to a heartbeat.`,
    `- **Spawn-per-run** variants are started once per run and waited for; their CPU is the growth of the bench process's own \`cutime+cstime\` (\`/proc/self/stat\`), since a process's counters carry every descendant it, or they, waited for, **plus** the processes that leave the tree before they end: when Chromium's main process exits its zygotes are re-parented to init, which reaps them, so their CPU (and that of the renderers they reaped) never reaches the bench's counters. The bench follows the spawned tree in /proc while it runs (members re-read every 20 ms, new ones found every 100 ms) and adds what re-parented members were last seen to have used${orphanNote(cost)}. \`playwright test\` runs \`journeys/journeys.spec.ts\` with \`--grep checkout --workers=1 --reporter=line\`, \`CI=1\`, \`PULSE_PARAM_BASE_URL\` (no webServer of its own) and \`PULSE_BROWSER_PATH\` set to the same headless shell.`,
    `- **cgroup check**: ${cost?.cgroupUsed ? 'where the kernel lets the bench create a cpuacct cgroup (root, cgroup v1 cpuacct or v2), the browser tree of each worker is moved into one after launch, and each spawned run starts inside one; the kernel then counts every process born inside, re-parented or not. The column shows that figure next to the /proc one.' : 'no CPU cgroup could be created on this machine, so the /proc figures stand alone.'}`,
    '- Each round, after the in-process variants have taken their turns, the spawn-per-run variants run their block; the order rotates every round. Before the first round every variant ran once or twice, discarded. Ticks are counted at USER_HZ = 100 a second, as on every Linux pulse runs on. Median and p95 are nearest-rank over successful runs; failed runs are counted and left out.',
    `- Capacity, soak: see their sections. Scrape: in a Node.js process of its own (\`bench/scrape-child.ts\`), GETs read and decompressed with \`node:http\` and \`zlib\`.${results.specs ? ' A Playwright Test suite against `playwright test` per run: see section 6.' : ''}`,
    '',
  ];
  if (cost) parts.push(costSection(cost, '1'), '');
  for (const [index, more] of (results.moreCosts ?? []).entries()) parts.push(costSection(more, `1${String.fromCharCode(98 + index)}`), '');
  if (cost) parts.push(buildSection(cost, machine), '');
  if (capacity) parts.push(capacitySection(capacity), '', memorySection(capacity), '');
  if (scrape) parts.push(scrapeSection(scrape), '');
  if (capacity) parts.push(soakSection(capacity), '');
  if (results.specs) parts.push(specsSection(results.specs, '6'), '');
  parts.push(findings(results), '');
  parts.push(
    '## Figures the docs quote',
    '',
    `${FIGURE_DOCS.join(' and ')} ${FIGURE_DOCS.length === 1 ? 'carries' : 'carry'} this block as it stands here; a test fails when they differ.`,
    '',
    renderFigures(results),
    '',
  );
  if (results.notes) parts.push(results.notes.trim(), '');
  return parts.join('\n');
}

export function renderSummary(results: BenchResults): string {
  const lines: string[] = [];
  const { cost, scrape, capacity } = results;
  const pulse = variant(cost, 'pulse');
  const floor = variant(cost, 'floor');
  const spawn = variant(cost, 'spawn');
  if (cost) {
    for (const v of cost.variants) {
      const c = summarize(v.samples.map((s) => s.cpuS));
      const w = summarize(v.samples.map((s) => s.wallMs));
      lines.push(
        `${v.id.padEnd(14)} CPU ${fmt(c.median)} s (p95 ${fmt(c.p95)})  wall ${fmt(w.median, 4)} ms (p95 ${fmt(w.p95, 4)})  n=${c.n} failed=${v.failures}`,
      );
    }
    const marker = markerPair(cost);
    const plain = variant(cost, 'pulse-plain');
    lines.push(
      `pulse/floor CPU ${fmt(cpu(pulse) / cpu(floor))}x   spawn/pulse CPU ${fmt(cpu(spawn) / cpu(pulse))}x${marker.on && marker.off ? `   marker on/off CPU ${fmt(cpu(marker.on) / cpu(marker.off))}x` : ''}${plain ? `   defaults / all off CPU ${fmt(cpu(pulse) / cpu(plain))}x` : ''}`,
    );
  }
  if (capacity) {
    for (const l of capacity.levels)
      lines.push(`capacity c=${l.concurrency}: ${fmt(l.heartbeatsPerMin, 4)} heartbeats/min, lag p50 ${fmt(l.lag.median)} s p99 ${fmt(l.lag.p99)} s`);
    if (capacity.atEighty)
      lines.push(
        `at 80%: ${fmt(capacity.atEighty.offeredPerMin, 4)}/min offered, lag p50 ${fmt(capacity.atEighty.lag.median)} s p99 ${fmt(capacity.atEighty.lag.p99)} s`,
      );
  }
  if (scrape)
    lines.push(
      `/metrics ${scrape.series} series: serialise ${fmt(scrape.serialiseMs.median)} ms, GET ${fmt(scrape.httpMs.median)} ms (p95 ${fmt(scrape.httpMs.p95)})`,
    );
  const soak = soakFigures(capacity);
  if (soak.rssGrowth !== undefined)
    lines.push(
      `soak: RSS growth ${fmtPercent(soak.rssGrowth)}, browser PSS growth ${fmtPercent(soak.pssGrowth)}, browser processes ${soak.processesFirstHalf} -> ${soak.processesSecondHalf}`,
    );
  if (results.specs) lines.push(specsSummary(results.specs));
  for (const check of targetChecks(results)) lines.push(`${check.verdict.padEnd(4)} ${check.target}: ${check.measured}`);
  return lines.join('\n');
}
