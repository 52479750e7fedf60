// Cost per heartbeat: pulse, the floor, spawn-per-run and (optionally) Elastic Synthetics,
// interleaved in one bench run so that machine noise hits them alike: the in-process variants
// (each in a worker process of its own, its browser open for the round) take turns run by run,
// the spawned ones follow in blocks.
import path from 'node:path';
import type { PlaywrightUse } from '../src/playwright-use.ts';
import { CHROMIUM_ARGS } from '../src/runner/find-browser.ts';
import { elasticCommand, prepareElastic, type ElasticSetup } from './elastic.ts';
import { CpuCgroup } from './proc.ts';
import { inheritedEnv, spawnMeasured } from './spawn.ts';
import type { MemorySample } from './worker.ts';
import { WorkerClient } from './worker-client.ts';
import { DEFAULT_FEATURES, type PulseFeatures } from './worker.ts';

export type VariantId = 'pulse' | 'floor' | 'pulse-full' | 'pulse-marked' | 'pulse-unmarked' | 'pulse-plain' | 'spawn' | 'elastic';
/**
 * The pulse variant with the traffic marker the other way from the defaults: what marking costs is
 * the ratio of the two (`pulse-marked` when the marker is off by default, `pulse-unmarked` when on).
 * The other of the two would be `pulse` again, so it is no variant.
 */
export const OTHER_MARKER: VariantId = DEFAULT_FEATURES.markTraffic ? 'pulse-unmarked' : 'pulse-marked';
export const VARIANT_IDS: readonly VariantId[] = ['pulse', 'floor', 'pulse-full', OTHER_MARKER, 'pulse-plain', 'spawn', 'elastic'];
/** The variants that are pulse's runner, each with what it turns on or off. */
const PULSE_VARIANTS: Partial<Record<VariantId, PulseFeatures>> = {
  pulse: DEFAULT_FEATURES,
  'pulse-full': DEFAULT_FEATURES,
  [OTHER_MARKER]: { ...DEFAULT_FEATURES, markTraffic: !DEFAULT_FEATURES.markTraffic },
  'pulse-plain': { markTraffic: false, vitals: false, observe: false },
};

export const VARIANT_LABELS: Record<VariantId, string> = {
  pulse: 'pulse runner, defaults (headless shell, sinks on)',
  floor: 'floor: plain Playwright (headless shell)',
  'pulse-full': 'pulse runner, defaults (full Chromium, sinks on)',
  'pulse-marked': 'pulse runner, traffic marker on (headless shell, sinks on)',
  'pulse-unmarked': 'pulse runner, traffic marker off (headless shell, sinks on)',
  'pulse-plain': 'pulse runner, marker, web vitals and run summary off (headless shell, sinks on)',
  spawn: 'spawn-per-run: `playwright test` (headless shell)',
  elastic: 'spawn-per-run: @elastic/synthetics (headless shell)',
};

export interface CostSample {
  cpuS: number;
  wallMs: number;
  /** In-process variants: the Node.js side and the browser tree apart. */
  nodeCpuS?: number;
  browserCpuS?: number;
  /** The same CPU from a cgroup where the machine allows one (browser tree, or the spawned tree). */
  cgroupCpuS?: number;
  /** Spawn-per-run: the part of cpuS from processes re-parented out of the tree (see spawn.ts). */
  orphanCpuS?: number;
  /** pulse: what the run itself says it cost (its increment of pulse_journey_cpu_seconds_total). */
  attributedCpuS?: number;
}

export interface VariantResult {
  id: VariantId;
  label: string;
  samples: CostSample[];
  failures: number;
  failureExamples: string[];
  /** In-process variants: read after the rounds, once per round, with its browser the only one open. */
  memory: MemorySample[];
  /** Chromium processes alive after each run (in-process variants). */
  browserProcesses: number[];
}

export interface CostOptions {
  root: string;
  /** The journey measured (journeys/<name>.journey.ts); the checkout unless given. */
  journey: string;
  cacheDir: string;
  tmpDir: string;
  shopUrl: string;
  use: PlaywrightUse;
  headlessShell: string;
  fullChromium: string | undefined;
  /** Measured runs per variant. */
  runs: number;
  /**
   * Runs per variant in a round. In-process variants take turns one run at a time, their browsers
   * open through every round; spawned variants run their block after them.
   */
  blockSize: number;
  /**
   * Discarded runs of every in-process variant between its launch and the first round (module
   * caches, the page cache, and the JIT of the process that runs the journey: pulse's journey
   * worker is started with its browser, the floor's process was started for it too), and a
   * discarded run of each spawned variant.
   */
  warmRuns: number;
  elastic: boolean;
  /** Variants to measure; every one (elastic when `elastic`, full Chromium when found) unless given. */
  variants?: readonly VariantId[];
  cgroup: boolean;
  /** Write a CPU profile of pulse's node side to this file during its measured runs. */
  profileFile?: string;
  log: (line: string) => void;
}

/** The pulse variants with the traffic marker on and off, whichever of them is the defaults. */
export function markerPair(cost: CostResult | undefined): { on: VariantResult | undefined; off: VariantResult | undefined } {
  const pulse = cost?.variants.find((v) => v.id === 'pulse');
  const other = cost?.variants.find((v) => v.id === OTHER_MARKER);
  return DEFAULT_FEATURES.markTraffic ? { on: pulse, off: other } : { on: other, off: pulse };
}

export interface CostResult {
  journey: string;
  variants: VariantResult[];
  browserVersions: Record<string, string>;
  elastic: ElasticSetup | { ok: false; reason: string };
  cgroupUsed: boolean;
}

export async function runCost(options: CostOptions): Promise<CostResult> {
  const { log } = options;
  const variants = new Map<VariantId, VariantResult>();
  const result = (id: VariantId) => {
    let found = variants.get(id);
    if (!found) variants.set(id, (found = { id, label: VARIANT_LABELS[id], samples: [], failures: 0, failureExamples: [], memory: [], browserProcesses: [] }));
    return found;
  };
  const record = (id: VariantId, sample: CostSample | undefined, ok: boolean, error?: string) => {
    const r = result(id);
    if (ok && sample) r.samples.push(sample);
    else {
      r.failures += 1;
      if (r.failureExamples.length < 3 && error) r.failureExamples.push(error);
    }
  };

  const browserVersions: Record<string, string> = {};
  const wanted = new Set(options.variants ?? VARIANT_IDS);
  const inProcessIds = (['pulse', 'floor', OTHER_MARKER, 'pulse-plain', ...(options.fullChromium ? (['pulse-full'] as const) : [])] as VariantId[]).filter(
    (id) => wanted.has(id),
  );
  const executableOf = (id: VariantId) => (id === 'pulse-full' ? options.fullChromium! : options.headlessShell);
  // A worker process per in-process variant, so that every one of them keeps its browser open
  // through a round and they can take turns run by run.
  const workers = new Map<VariantId, WorkerClient>();
  const worker = (id: VariantId) => workers.get(id)!;
  const spawnCgroup = options.cgroup ? CpuCgroup.create(`pulse-bench-spawn-${process.pid}`) : undefined;
  let cgroupUsed = spawnCgroup !== undefined;

  const elastic: ElasticSetup = !options.elastic
    ? { ok: false, reason: 'not run (--no-elastic or --quick)' }
    : options.journey !== 'checkout'
      ? { ok: false, reason: `not run on ${options.journey} (bench/elastic.ts has the checkout only)` }
      : wanted.has('elastic')
        ? await prepareElastic(options.cacheDir)
        : { ok: false, reason: 'not run (--variants)' };
  let elasticOk = elastic.ok;
  if (!elastic.ok && options.elastic && wanted.has('elastic')) log(`  elastic: ${elastic.reason}`);

  const launch = async (id: VariantId) => {
    const info = await worker(id).launch(executableOf(id), PULSE_VARIANTS[id]);
    cgroupUsed &&= info.cgroup;
    browserVersions[executableOf(id)] = info.browserVersion;
  };
  const measured = async (id: VariantId) => {
    const s = await worker(id).run();
    // Its browser ended before the run did (pulse replaced the worker): the run's CPU cannot be told.
    const known = Number.isFinite(s.browserCpuS);
    result(id).browserProcesses.push(s.browserProcesses);
    record(
      id,
      {
        cpuS: s.nodeCpuS + s.browserCpuS,
        wallMs: s.wallMs,
        nodeCpuS: s.nodeCpuS,
        browserCpuS: s.browserCpuS,
        ...(s.browserCgroupCpuS !== undefined ? { cgroupCpuS: s.nodeCpuS + s.browserCgroupCpuS } : {}),
        ...(s.attributedCpuS !== undefined ? { attributedCpuS: s.attributedCpuS } : {}),
      },
      s.ok && known,
      known ? s.error : `its browser was gone at the end of the run, so its CPU is unknown${s.error ? `; ${s.error}` : ''}`,
    );
  };
  /**
   * The variants' browsers open together and stay open through every round, as a daemon keeps its
   * journey worker and the browser it drives for run after run; each is warmed by `warmRuns` runs.
   */
  const openAll = async (ids: readonly VariantId[]) => {
    for (const id of ids) {
      await launch(id);
      for (let i = 0; i < options.warmRuns; i += 1) await worker(id).run();
    }
  };
  const closeAll = async (ids: readonly VariantId[]) => {
    for (const id of ids) await worker(id).closeBrowser();
  };
  /** One run of each in turn, `runs` times. */
  const takingTurns = async (ids: readonly VariantId[], runs: number) => {
    for (let i = 0; i < runs; i += 1) for (const id of ids) await measured(id);
  };
  /** Browser PSS counts shared pages once among the processes that map them: taken with its browser the only one open. */
  const memoryAlone = async (id: VariantId) => {
    try {
      await launch(id);
      await worker(id).run();
      result(id).memory.push(await worker(id).memory());
    } finally {
      await worker(id).closeBrowser();
    }
  };

  const playwrightTest = () =>
    spawnMeasured({
      command: path.join(options.root, 'node_modules/.bin/playwright'),
      args: ['test', '--grep', options.journey, '--reporter=line', '--workers=1', '--output', path.join(options.tmpDir, 'playwright-test-output')],
      cwd: options.root,
      env: { ...inheritedEnv(), CI: '1', PULSE_PARAM_BASE_URL: options.shopUrl, PULSE_BROWSER_PATH: options.headlessShell },
      successPattern: /\b1 passed\b/,
      cgroup: spawnCgroup,
    });
  const elasticRun = () => {
    if (!elastic.ok) throw new Error('elastic is not set up');
    const command = elasticCommand(elastic, {
      baseUrl: options.shopUrl,
      executablePath: options.headlessShell,
      launchArgs: [...CHROMIUM_ARGS, ...(options.use.launchOptions.args ?? [])],
      contextOptions: options.use.contextOptions,
    });
    // Elastic counts steps: all six of the journey passed.
    return spawnMeasured({ ...command, env: inheritedEnv(), successPattern: /\b6 passed\b/, cgroup: spawnCgroup });
  };
  const spawned = async (id: VariantId, runs: number, keep: boolean) => {
    for (let i = 0; i < runs; i += 1) {
      const s = id === 'spawn' ? await playwrightTest() : await elasticRun();
      if (keep)
        record(
          id,
          { cpuS: s.cpuS, wallMs: s.wallMs, orphanCpuS: s.orphanCpuS, ...(s.cgroupCpuS !== undefined ? { cgroupCpuS: s.cgroupCpuS } : {}) },
          s.ok,
          s.error,
        );
      else if (!s.ok) return s.error;
    }
    return undefined;
  };

  try {
    for (const id of inProcessIds) {
      const kind = id === 'floor' ? 'floor' : 'pulse';
      const dataDir = path.join(options.tmpDir, `${id}-data`);
      workers.set(
        id,
        await WorkerClient.start({
          cmd: 'init',
          kind,
          root: options.root,
          shopUrl: options.shopUrl,
          dataDir,
          logFile: path.join(dataDir, 'heartbeats.jsonl'),
          cgroup: options.cgroup,
          journey: options.journey,
        }),
      );
    }
    // Warm-up of every variant, discarded: module caches, JIT, the page cache of both Chromium builds.
    log(`  warm-up: ${options.warmRuns} run${options.warmRuns === 1 ? '' : 's'} of each`);
    await openAll(inProcessIds);
    if (wanted.has('spawn')) {
      const spawnProblem = await spawned('spawn', 1, false);
      if (spawnProblem) log(`  spawn-per-run warm-up failed: ${spawnProblem.slice(0, 300)}`);
    }
    if (elasticOk) {
      const problem = await spawned('elastic', 1, false);
      if (problem) {
        elasticOk = false;
        Object.assign(elastic, { ok: false, reason: `${ELASTIC_NAME} could not drive the system Chromium: ${problem.replace(/\s+/g, ' ').slice(0, 400)}` });
        log(`  elastic: ${(elastic as { reason: string }).reason}`);
      }
    }

    const spawnedIds = (['spawn', ...(elasticOk ? (['elastic'] as const) : [])] as VariantId[]).filter((id) => wanted.has(id));
    // Rotate the order each round, so no variant always follows the same one.
    const rotated = (ids: readonly VariantId[], round: number) => [...ids.slice(round % ids.length), ...ids.slice(0, round % ids.length)];
    const rounds = Math.ceil(options.runs / options.blockSize);
    for (let round = 0; round < rounds; round += 1) {
      const size = Math.min(options.blockSize, options.runs - round * options.blockSize);
      const turns = rotated(inProcessIds, round);
      const blocks = rotated(spawnedIds, round);
      log(
        `  round ${round + 1}/${rounds}: ${[turns.length ? `${turns.join(', ')} taking turns` : '', ...blocks].filter(Boolean).join(', then ')}, ${size} runs each`,
      );
      const profiling = options.profileFile !== undefined && workers.has('pulse');
      if (profiling) await worker('pulse').profile(true);
      await takingTurns(turns, size);
      if (profiling) await worker('pulse').profile(false, `${options.profileFile!.replace(/\.cpuprofile$/, '')}-${round + 1}.cpuprofile`);
      for (const id of blocks) await spawned(id, size, true);
    }
    await closeAll(inProcessIds);
    log(`  memory: each in-process variant's browser alone, ${rounds} time${rounds === 1 ? '' : 's'}`);
    for (let round = 0; round < rounds; round += 1) for (const id of rotated(inProcessIds, round)) await memoryAlone(id);
  } finally {
    for (const client of workers.values()) await client.stop();
    spawnCgroup?.destroy();
  }
  return { journey: options.journey, variants: [...variants.values()], browserVersions, elastic, cgroupUsed };
}

const ELASTIC_NAME = '@elastic/synthetics';
