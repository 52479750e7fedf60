// Cost per heartbeat: pulse, the floor, spawn-per-run and (optionally) Elastic Synthetics,
// interleaved in blocks in one bench run so that machine noise hits them alike.
import path from 'node:path';
import type { PlaywrightUse } from '../src/playwright-use.ts';
import { CHROMIUM_ARGS } from '../src/runner/find-browser.ts';
import { elasticCommand, prepareElastic, type ElasticSetup } from './elastic.ts';
import { CpuCgroup } from './proc.ts';
import { inheritedEnv, spawnMeasured } from './spawn.ts';
import type { MemorySample } from './worker.ts';
import { WorkerClient } from './worker-client.ts';
import { ALL_FEATURES, type PulseFeatures } from './worker.ts';

export type VariantId = 'pulse' | 'floor' | 'pulse-full' | 'pulse-unmarked' | 'pulse-plain' | 'spawn' | 'elastic';
export const VARIANT_IDS: readonly VariantId[] = ['pulse', 'floor', 'pulse-full', 'pulse-unmarked', 'pulse-plain', 'spawn', 'elastic'];
/** The variants that are pulse's runner, each with what it turns off. */
const PULSE_VARIANTS: Partial<Record<VariantId, PulseFeatures>> = {
  pulse: ALL_FEATURES,
  'pulse-full': ALL_FEATURES,
  'pulse-unmarked': { ...ALL_FEATURES, markTraffic: false },
  'pulse-plain': { markTraffic: false, vitals: false, observe: false },
};

export const VARIANT_LABELS: Record<VariantId, string> = {
  pulse: 'pulse runner (headless shell, sinks on)',
  floor: 'floor: plain Playwright (headless shell)',
  'pulse-full': 'pulse runner (full Chromium, sinks on)',
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
  /** In-process variants: measured after each block. */
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
  /** Runs per block; each in-process block launches its browser, warms it with one run, and closes it. */
  blockSize: number;
  /** A discarded run of every variant before the measured rounds (module caches, JIT, the page cache). */
  warmUp: boolean;
  elastic: boolean;
  /** Variants to measure; every one (elastic when `elastic`, full Chromium when found) unless given. */
  variants?: readonly VariantId[];
  cgroup: boolean;
  /** Write a CPU profile of pulse's node side to this file during its measured runs. */
  profileFile?: string;
  log: (line: string) => void;
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
  const init = (kind: 'pulse' | 'floor') => ({
    cmd: 'init' as const,
    kind,
    root: options.root,
    shopUrl: options.shopUrl,
    dataDir: path.join(options.tmpDir, `${kind}-data`),
    logFile: path.join(options.tmpDir, `${kind}-data`, 'heartbeats.jsonl'),
    cgroup: options.cgroup,
    journey: options.journey,
  });
  const pulse = await WorkerClient.start(init('pulse'));
  const floor = await WorkerClient.start(init('floor'));
  const spawnCgroup = options.cgroup ? CpuCgroup.create(`pulse-bench-spawn-${process.pid}`) : undefined;
  let cgroupUsed = spawnCgroup !== undefined;

  const wanted = new Set(options.variants ?? VARIANT_IDS);
  const elastic: ElasticSetup = !options.elastic
    ? { ok: false, reason: 'not run (--no-elastic or --quick)' }
    : options.journey !== 'checkout'
      ? { ok: false, reason: `not run on ${options.journey} (bench/elastic.ts has the checkout only)` }
      : wanted.has('elastic')
        ? await prepareElastic(options.cacheDir)
        : { ok: false, reason: 'not run (--variants)' };
  let elasticOk = elastic.ok;
  if (!elastic.ok && options.elastic && wanted.has('elastic')) log(`  elastic: ${elastic.reason}`);

  const inProcess = async (id: VariantId, worker: WorkerClient, executablePath: string, runs: number, warmups: number, keep: boolean) => {
    const info = await worker.launch(executablePath, PULSE_VARIANTS[id]);
    cgroupUsed &&= info.cgroup;
    browserVersions[executablePath] = info.browserVersion;
    try {
      for (let i = 0; i < warmups; i += 1) await worker.run();
      for (let i = 0; i < runs; i += 1) {
        const s = await worker.run();
        if (!keep) continue;
        // Its browser ended before the run did (pulse replaced the worker): the run's CPU cannot be told.
        const measured = Number.isFinite(s.browserCpuS);
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
          s.ok && measured,
          measured ? s.error : `its browser was gone at the end of the run, so its CPU is unknown${s.error ? `; ${s.error}` : ''}`,
        );
      }
      if (keep) result(id).memory.push(await worker.memory());
    } finally {
      await worker.closeBrowser();
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
    // Warm-up of every variant, discarded: module caches, JIT, the page cache of both Chromium builds.
    if (options.warmUp) log('  warm-up');
    const warming = (id: VariantId) => options.warmUp && wanted.has(id);
    if (warming('pulse')) await inProcess('pulse', pulse, options.headlessShell, 2, 0, false);
    if (warming('floor')) await inProcess('floor', floor, options.headlessShell, 2, 0, false);
    if (warming('pulse-unmarked')) await inProcess('pulse-unmarked', pulse, options.headlessShell, 2, 0, false);
    if (warming('pulse-plain')) await inProcess('pulse-plain', pulse, options.headlessShell, 2, 0, false);
    if (options.fullChromium && warming('pulse-full')) await inProcess('pulse-full', pulse, options.fullChromium, 1, 0, false);
    const spawnProblem = warming('spawn') ? await spawned('spawn', 1, false) : undefined;
    if (spawnProblem) log(`  spawn-per-run warm-up failed: ${spawnProblem.slice(0, 300)}`);
    if (elasticOk) {
      const problem = await spawned('elastic', 1, false);
      if (problem) {
        elasticOk = false;
        Object.assign(elastic, { ok: false, reason: `${ELASTIC_NAME} could not drive the system Chromium: ${problem.replace(/\s+/g, ' ').slice(0, 400)}` });
        log(`  elastic: ${(elastic as { reason: string }).reason}`);
      }
    }

    const order = (
      [
        'pulse',
        'floor',
        'pulse-unmarked',
        'pulse-plain',
        ...(options.fullChromium ? (['pulse-full'] as const) : []),
        'spawn',
        ...(elasticOk ? (['elastic'] as const) : []),
      ] as VariantId[]
    ).filter((id) => wanted.has(id));
    const rounds = Math.ceil(options.runs / options.blockSize);
    for (let round = 0; round < rounds; round += 1) {
      const size = Math.min(options.blockSize, options.runs - round * options.blockSize);
      // Rotate the order each round, so no variant always follows the same one.
      const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
      log(`  round ${round + 1}/${rounds}: ${rotated.join(', ')} x ${size}`);
      for (const id of rotated) {
        const profiling = options.profileFile !== undefined && id === 'pulse';
        if (PULSE_VARIANTS[id]) {
          if (profiling) await pulse.profile(true);
          await inProcess(id, pulse, id === 'pulse-full' ? options.fullChromium! : options.headlessShell, size, 1, true);
          if (profiling) await pulse.profile(false, `${options.profileFile!.replace(/\.cpuprofile$/, '')}-${round + 1}.cpuprofile`);
        } else if (id === 'floor') await inProcess(id, floor, options.headlessShell, size, 1, true);
        else await spawned(id, size, true);
      }
    }
  } finally {
    await pulse.stop();
    await floor.stop();
    spawnCgroup?.destroy();
  }
  return { journey: options.journey, variants: [...variants.values()], browserVersions, elastic, cgroupUsed };
}

const ELASTIC_NAME = '@elastic/synthetics';
