// One in-process variant (pulse's runner, or the plain-Playwright floor) in a process of its own,
// driven over IPC by bench/run.ts. Each variant measures itself: its own CPU (process.cpuUsage)
// and its browser's process tree (/proc), so nothing of the harness or the other variant counts.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { chromium, type Browser } from 'playwright';
import { Registry } from 'prom-client';
import { createLogger, type Logger } from '../src/logger.ts';
import { loadPlaywrightUse, type PlaywrightUse } from '../src/playwright-use.ts';
import { createRedactor } from '../src/redact.ts';
import { loadInOwnWorker } from '../src/runner/own-worker.ts';
import type { JourneyDefinition } from '../src/journey.ts';
import { WorkerPool } from '../src/runner/worker-pool.ts';
import { defaultOf } from '../src/settings/table.ts';
import { browserLaunchOptions } from '../src/runner/find-browser.ts';
import { Runner, newRunId } from '../src/runner/runner.ts';
import { HeartbeatLogSink } from '../src/sinks/heartbeat-log.ts';
import { RunMetrics } from '../src/sinks/run-metrics.ts';
import { SinkFanout } from '../src/sinks/sink.ts';
import { openRunStore } from '../src/store/run-store.ts';
import { FLOORS } from './floor-journeys.ts';
import { CpuCgroup, browserTree, childBrowserMains, nodeCpuSeconds, pssBytes, readStat, rssBytesOf, selfRssBytes, treeCpuSeconds, CLK_TCK } from './proc.ts';

export type InProcessKind = 'pulse' | 'floor';

export interface InitRequest {
  cmd: 'init';
  kind: InProcessKind;
  root: string;
  shopUrl: string;
  /** pulse: run store and artifacts; floor: unused. */
  dataDir: string;
  /** pulse: where the heartbeat log goes (JSON lines). */
  logFile: string;
  /** Check the /proc figures against a CPU cgroup where the machine allows one. */
  cgroup: boolean;
  /** The journey measured: journeys/<name>.journey.ts for pulse, its plain-Playwright twin for the floor. */
  journey: string;
}

/** What one run of a harness says: whether it passed, and for pulse the CPU it attributed to the run. */
export interface HarnessRun {
  ok: boolean;
  error?: string;
  /** pulse's own reading of the run (pulse_journey_cpu_seconds_total's increment). */
  attributedCpuS?: number;
}

/** What pulse adds to a run beyond running it, each measured by turning it off. */
export interface PulseFeatures {
  markTraffic: boolean;
  vitals: boolean;
  observe: boolean;
}

export const ALL_FEATURES: PulseFeatures = { markTraffic: true, vitals: true, observe: true };

export type WorkerRequest =
  | InitRequest
  /** pulse only: what to turn off (PULSE_MARK_TRAFFIC=off, PULSE_WEB_VITALS=off, no per-run summary). */
  | { cmd: 'launch'; executablePath: string; features?: PulseFeatures }
  | { cmd: 'run' }
  | { cmd: 'memory' }
  | { cmd: 'closeBrowser' }
  | { cmd: 'profile'; on: boolean; file?: string }
  | { cmd: 'exit' };

export interface RunSample {
  ok: boolean;
  error?: string;
  wallMs: number;
  /** CPU of the Node.js process of the variant. */
  nodeCpuS: number;
  /** CPU of its Chromium tree, from /proc (live processes plus what they reaped). */
  browserCpuS: number;
  /** The browser tree's CPU from the cgroup, when there is one: a check on browserCpuS. */
  browserCgroupCpuS: number | undefined;
  /** Chromium processes alive after the run. */
  browserProcesses: number;
  /** pulse's own reading of the run's CPU, when it has one. */
  attributedCpuS?: number;
}

export interface MemorySample {
  /** The variant's Node.js processes: for pulse the daemon side and its journey worker. */
  rssBytes: number;
  /** pulse: the journey worker alone. */
  workerRssBytes?: number;
  heapUsedBytes: number;
  browserPssBytes: number;
  browserProcesses: number;
}

export interface LaunchInfo {
  browserVersion: string;
  mainPid: number;
  browserProcesses: number;
  cgroup: boolean;
}

interface Harness {
  launch(executablePath: string, features: PulseFeatures): Promise<string>;
  /** The browser's main process, when it is not a child of this process. */
  browserMainPid?(): number | undefined;
  /** Other processes of the variant (pulse's journey worker), counted as its Node.js side. */
  helperPids?(): number[];
  workerPids?(): number[];
  run(): Promise<HarnessRun>;
  closeBrowser(): Promise<void>;
}

/**
 * pulse as the daemon runs it: the journey in a pooled worker process driving its own browser,
 * a fresh context per run, real sinks (store, metrics, heartbeat log).
 */
class PulseHarness implements Harness {
  #workers: WorkerPool | undefined;
  #runner: Runner | undefined;

  private constructor(
    private readonly init: InitRequest,
    private readonly use: PlaywrightUse,
    private readonly journey: JourneyDefinition,
    private readonly log: Logger,
    private readonly sinks: SinkFanout,
  ) {}

  static async create(init: InitRequest): Promise<PulseHarness> {
    const use = await loadPlaywrightUse(path.join(init.root, 'playwright.config.ts'));
    const loaded = await loadInOwnWorker({ dir: path.join(init.root, 'journeys'), cwd: init.root });
    const journey = loaded.journeys.find((j) => j.name === init.journey);
    if (!journey) throw new Error(`journeys/${init.journey}.journey.ts did not load: ${JSON.stringify(loaded.problems)}`);
    mkdirSync(init.dataDir, { recursive: true });
    const log = createLogger({
      level: 'info',
      format: 'json',
      redact: createRedactor([]),
      base: { location: 'bench' },
      destination: pino.destination({ dest: init.logFile, sync: false, mkdir: true }),
    });
    const metrics = new RunMetrics({ registry: new Registry(), location: 'bench' });
    metrics.registerJourneys([journey]);
    const sinks = new SinkFanout(log, [openRunStore({ dataDir: init.dataDir }).writer, metrics, new HeartbeatLogSink({ log })]);
    return new PulseHarness(init, use, journey, log, sinks);
  }

  async launch(executablePath: string, features: PulseFeatures): Promise<string> {
    const launch = browserLaunchOptions({ source: 'configured', executablePath, label: executablePath }, this.use.launchOptions);
    this.#workers = new WorkerPool({ size: 1, launch, memoryLimitBytes: defaultOf('workerMemoryBytes'), cwd: this.init.root });
    await this.#workers.warm();
    this.#runner = new Runner({
      workers: this.#workers,
      contextOptions: this.use.contextOptions,
      params: { baseUrl: this.init.shopUrl },
      location: 'bench',
      dataDir: this.init.dataDir,
      trace: 'on-retry',
      markTraffic: features.markTraffic,
      vitals: features.vitals,
      observe: features.observe,
      redact: createRedactor([]),
      log: this.log,
    });
    // The version, from a browser of the harness's own started with the same options (outside every measured window).
    const probe = await chromium.launch(launch);
    const version = probe.version();
    await probe.close();
    return version;
  }

  browserMainPid(): number | undefined {
    return this.#workers?.browserPids[0];
  }

  helperPids(): number[] {
    return this.workerPids();
  }

  workerPids(): number[] {
    return this.#workers?.pids ?? [];
  }

  // What the daemon's execute() does for one planned run.
  async run(): Promise<HarnessRun> {
    const runId = newRunId();
    const runLog = this.log.child({ journey: this.journey.name, runId });
    runLog.debug({ event: 'run_started' }, `run of ${this.journey.name} started`);
    const result = await this.#runner!.run(this.journey, { runId, log: runLog });
    await this.sinks.onResult(result);
    const attributed = result.usage ? { attributedCpuS: result.usage.cpuSeconds } : {};
    return result.status === 'success'
      ? { ok: true, ...attributed }
      : { ok: false, error: `${result.status}: ${result.error?.step ?? ''} ${result.error?.message ?? ''}`.slice(0, 500), ...attributed };
  }

  async closeBrowser(): Promise<void> {
    await this.#workers?.close();
    this.#workers = undefined;
    this.#runner = undefined;
  }
}

/** The floor: the same steps as plain Playwright calls, a fresh context per run, nothing else. */
class FloorHarness implements Harness {
  #browser: Browser | undefined;

  private constructor(
    private readonly init: InitRequest,
    private readonly use: PlaywrightUse,
  ) {}

  static async create(init: InitRequest): Promise<FloorHarness> {
    return new FloorHarness(init, await loadPlaywrightUse(path.join(init.root, 'playwright.config.ts')));
  }

  // The same launch options as pulse's workers, so both start the same command line.
  async launch(executablePath: string): Promise<string> {
    this.#browser = await chromium.launch(browserLaunchOptions({ source: 'configured', executablePath, label: executablePath }, this.use.launchOptions));
    return this.#browser.version();
  }

  async run(): Promise<HarnessRun> {
    const floor = FLOORS[this.init.journey];
    if (!floor) return { ok: false, error: `no plain-Playwright twin of ${this.init.journey} in bench/floor-journeys.ts` };
    const context = await this.#browser!.newContext(this.use.contextOptions);
    try {
      context.setDefaultTimeout(15_000);
      context.setDefaultNavigationTimeout(15_000);
      const page = await context.newPage();
      await floor(page, this.init.shopUrl);
      return { ok: true };
    } catch (error) {
      return { ok: false, error: String(error).slice(0, 500) };
    } finally {
      await context.close();
    }
  }

  async closeBrowser(): Promise<void> {
    await this.#browser?.close();
    this.#browser = undefined;
  }
}

class Worker {
  #harness: Harness | undefined;
  #init: InitRequest | undefined;
  #mainPid = 0;
  #lastBrowserCpu: number | undefined;
  #lastCgroupCpu: number | undefined;
  #cgroup: CpuCgroup | undefined;
  #session: import('node:inspector').Session | undefined;

  async handle(request: WorkerRequest): Promise<unknown> {
    switch (request.cmd) {
      case 'init':
        this.#init = request;
        this.#harness = request.kind === 'pulse' ? await PulseHarness.create(request) : await FloorHarness.create(request);
        return { pid: process.pid };
      case 'launch':
        return this.#launch(request.executablePath, request.features ?? ALL_FEATURES);
      case 'run':
        return this.#run();
      case 'memory':
        return this.#memory();
      case 'closeBrowser':
        await this.#harness!.closeBrowser();
        this.#mainPid = 0;
        return {};
      case 'profile':
        return this.#profile(request.on, request.file);
      case 'exit':
        await this.#harness?.closeBrowser();
        this.#cgroup?.destroy();
        setImmediate(() => process.exit(0));
        return {};
    }
  }

  async #launch(executablePath: string, features: PulseFeatures): Promise<LaunchInfo> {
    const version = await this.#harness!.launch(executablePath, features);
    const own = this.#harness!.browserMainPid?.();
    const mains = own ? [own] : childBrowserMains();
    if (mains.length !== 1) throw new Error(`expected one browser of this worker, found ${mains.length}`);
    this.#mainPid = mains[0]!;
    this.#lastBrowserCpu = undefined;
    this.#lastCgroupCpu = undefined;
    const tree = browserTree(this.#mainPid);
    if (this.#init!.cgroup) {
      this.#cgroup ??= CpuCgroup.create(`pulse-bench-${this.#init!.kind}-${process.pid}`);
      // Helpers forked later (renderers) are born inside: their zygotes are moved now.
      for (const proc of tree) this.#cgroup?.add(proc.pid);
    }
    return { browserVersion: version, mainPid: this.#mainPid, browserProcesses: tree.length, cgroup: this.#cgroup !== undefined };
  }

  async #run(): Promise<RunSample> {
    // Browser windows are back to back: a closed context's renderer exits after close() returns,
    // and its last ticks land in the next run's window instead of between two windows.
    // /proc is read outside the node clock's window, so the harness's reading is not counted.
    const browser0 = this.#lastBrowserCpu ?? treeCpuSeconds(browserTree(this.#mainPid));
    const cgroup0 = this.#lastCgroupCpu ?? this.#cgroup?.usageSeconds();
    const helpers = this.#harness!.helperPids?.() ?? [];
    const node0 = nodeCpuSeconds() + helpersCpuSeconds(helpers);
    const wall0 = performance.now();
    let outcome: HarnessRun;
    try {
      outcome = await this.#harness!.run();
    } catch (error) {
      outcome = { ok: false, error: String(error).slice(0, 500) };
    }
    const wallMs = performance.now() - wall0;
    const node1 = nodeCpuSeconds() + helpersCpuSeconds(helpers);
    const cgroup1 = this.#cgroup?.usageSeconds();
    const tree = browserTree(this.#mainPid);
    const browser1 = treeCpuSeconds(tree);
    this.#lastBrowserCpu = browser1;
    this.#lastCgroupCpu = cgroup1;
    return {
      ...outcome,
      wallMs,
      nodeCpuS: node1 - node0,
      browserCpuS: browser1 - browser0,
      browserCgroupCpuS: cgroup0 !== undefined && cgroup1 !== undefined ? cgroup1 - cgroup0 : undefined,
      browserProcesses: tree.length,
    };
  }

  #memory(): MemorySample {
    const tree = this.#mainPid ? browserTree(this.#mainPid) : [];
    const helpers = this.#harness?.helperPids?.() ?? [];
    const workers = this.#harness?.workerPids?.() ?? [];
    return {
      rssBytes: selfRssBytes() + helpers.reduce((sum, pid) => sum + rssBytesOf(pid), 0),
      ...(workers.length ? { workerRssBytes: workers.reduce((sum, pid) => sum + rssBytesOf(pid), 0) / workers.length } : {}),
      heapUsedBytes: process.memoryUsage().heapUsed,
      browserPssBytes: tree.reduce((sum, proc) => sum + pssBytes(proc.pid), 0),
      browserProcesses: tree.length,
    };
  }

  // A CPU profile of the node side, to see where pulse's own time goes.
  async #profile(on: boolean, file: string | undefined): Promise<unknown> {
    const inspector = await import('node:inspector');
    const { writeFileSync } = await import('node:fs');
    const post = (method: string, params?: object) =>
      new Promise<unknown>((resolve, reject) => this.#session!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
    if (on) {
      this.#session = new inspector.Session();
      this.#session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
      await post('Profiler.start');
      return {};
    }
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    this.#session?.disconnect();
    this.#session = undefined;
    if (file) writeFileSync(file, JSON.stringify(profile));
    return { written: file };
  }
}

/** CPU seconds so far of pulse's helper processes (its journey worker), from /proc. */
function helpersCpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat) ticks += stat.utime + stat.stime + stat.cutime + stat.cstime;
  }
  return ticks / CLK_TCK;
}

// Only when started as a worker (fork with an IPC channel).
if (process.send) {
  const worker = new Worker();
  process.on('message', (message: { id: number; request: WorkerRequest }) => {
    worker.handle(message.request).then(
      (result) => process.send!({ id: message.id, ok: true, result }),
      (error: unknown) => process.send!({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
