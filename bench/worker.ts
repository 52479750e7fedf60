// One in-process variant (pulse's runner, or the plain-Playwright floor) in a process of its own,
// driven over IPC by bench/run.ts; pulse runs one journey of journeys/, or every scheduled test of
// a Playwright Test suite (bench/specs.ts). Each variant measures itself: its own CPU
// (process.cpuUsage) and its browser's process tree (/proc), so nothing of the harness or the
// other variant counts.
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
import { formatProblem } from '../src/problem.ts';
import { SessionKeeper } from '../src/runner/session-keeper.ts';
import { signInStepName } from '../src/session.ts';
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
  /** The journey measured: journeys/<name>.journey.ts for pulse, its plain-Playwright twin for the floor; unused with a suite. */
  journey: string;
  /** pulse only: run the scheduled tests of this Playwright Test suite instead of `journey`. */
  suite?: SpecSuite;
}

/** A Playwright Test suite whose tests pulse runs as journeys, its paths relative to the root. */
export interface SpecSuite {
  /** The folder of its spec files: pulse's journeys folder. */
  dir: string;
  /** Its playwright.config.ts: projects, `use`, the setup project's sign-in. */
  config: string;
}

/** A journey the pulse harness holds, as the bench needs to name it to `playwright test`. */
export interface HarnessJourney {
  name: string;
  /** A spec test's title path (describes, then the test, joined with ' › '), and its project. */
  title?: string;
  project?: string;
  /** The journey starts signed in with a kept session (a setup project's sign-in). */
  session: boolean;
}

/** What one run of a harness says: whether it passed, and for pulse the CPU it attributed to the run. */
export interface HarnessRun {
  ok: boolean;
  error?: string;
  /** pulse's own reading of the run (pulse_journey_cpu_seconds_total's increment). */
  attributedCpuS?: number;
  /** pulse: the run signed in for its kept session (the session was missing or expired). */
  signedIn?: boolean;
}

/** What pulse adds to a run beyond running it, each measured by turning it off. */
export interface PulseFeatures {
  markTraffic: boolean;
  vitals: boolean;
  observe: boolean;
}

/** What `pulse run` does with no setting given: the bench's "pulse" variant. */
export const DEFAULT_FEATURES: PulseFeatures = { markTraffic: defaultOf('markTraffic'), vitals: defaultOf('webVitals'), observe: true };

export type WorkerRequest =
  | InitRequest
  /** pulse only: what to turn off (PULSE_MARK_TRAFFIC=off, PULSE_WEB_VITALS=off, no per-run summary). */
  | { cmd: 'launch'; executablePath: string; features?: PulseFeatures }
  /** `journey`: which of the harness's journeys (pulse with a suite); its one journey when absent. */
  | { cmd: 'run'; journey?: string }
  | { cmd: 'journeys' }
  /** The next run's window starts at its own start: what the browser did idle since the last run is nobody's. */
  | { cmd: 'restartWindow' }
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
  /** pulse: the run signed in for its kept session. */
  signedIn?: boolean;
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
  /** The journeys it can run (pulse), for the bench to name them. */
  journeys?(): HarnessJourney[];
  run(journey: string | undefined): Promise<HarnessRun>;
  closeBrowser(): Promise<void>;
}

/**
 * pulse as the daemon runs it: the journey in a pooled worker process driving its own browser,
 * a fresh context per run, real sinks (store, metrics, heartbeat log). With a suite, every
 * scheduled test of its spec files (a journey per test and project), loaded as `pulse run
 * --journeys <dir> --playwright-config <config>` loads them, with kept sessions as the daemon
 * keeps them (in memory: no session key), so a setup project's sign-in runs where pulse runs it.
 */
class PulseHarness implements Harness {
  #workers: WorkerPool | undefined;
  #runner: Runner | undefined;
  /** Outlives the browser launches, as the daemon's keeper outlives replaced workers. */
  readonly #sessions = new SessionKeeper();

  private constructor(
    private readonly init: InitRequest,
    private readonly use: PlaywrightUse,
    private readonly all: JourneyDefinition[],
    private readonly log: Logger,
    private readonly sinks: SinkFanout,
  ) {}

  static async create(init: InitRequest): Promise<PulseHarness> {
    const { suite } = init;
    const config = path.resolve(init.root, suite?.config ?? 'playwright.config.ts');
    const use = await loadPlaywrightUse(config);
    const loaded = await loadInOwnWorker({
      dir: path.resolve(init.root, suite?.dir ?? 'journeys'),
      cwd: init.root,
      ...(suite ? { specs: { match: defaultOf('specs'), load: { config } } } : {}),
    });
    let journeys: JourneyDefinition[];
    if (suite) {
      journeys = loaded.journeys.filter((j) => j.spec);
      if (journeys.length === 0 || loaded.problems.length > 0)
        throw new Error(`${suite.dir} did not load as pulse loads it: ${loaded.problems.map(formatProblem).join('; ') || 'no scheduled tests'}`);
    } else {
      journeys = loaded.journeys.filter((j) => j.name === init.journey);
      if (journeys.length === 0) throw new Error(`journeys/${init.journey}.journey.ts did not load: ${JSON.stringify(loaded.problems)}`);
    }
    mkdirSync(init.dataDir, { recursive: true });
    const log = createLogger({
      level: 'info',
      format: 'json',
      redact: createRedactor([]),
      base: { location: 'bench' },
      destination: pino.destination({ dest: init.logFile, sync: false, mkdir: true }),
    });
    const metrics = new RunMetrics({ registry: new Registry(), location: 'bench' });
    metrics.registerJourneys(journeys);
    const sinks = new SinkFanout(log, [openRunStore({ dataDir: init.dataDir }).writer, metrics, new HeartbeatLogSink({ log })]);
    return new PulseHarness(init, use, journeys, log, sinks);
  }

  journeys(): HarnessJourney[] {
    return this.all.map((j) => ({ name: j.name, ...(j.spec ? { title: j.spec.title, project: j.spec.project } : {}), session: j.session !== undefined }));
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
      sessions: this.#sessions,
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
  async run(name: string | undefined): Promise<HarnessRun> {
    const journey = name === undefined ? this.all[0] : this.all.find((j) => j.name === name);
    if (!journey) return { ok: false, error: `no journey '${name}' in this harness` };
    const runId = newRunId();
    const runLog = this.log.child({ journey: journey.name, runId });
    runLog.debug({ event: 'run_started' }, `run of ${journey.name} started`);
    const result = await this.#runner!.run(journey, { runId, log: runLog });
    await this.sinks.onResult(result);
    const attributed = result.usage ? { attributedCpuS: result.usage.cpuSeconds } : {};
    const session = journey.session;
    const signedIn = session ? { signedIn: result.steps.some((step) => step.name === signInStepName(session.name)) } : {};
    return result.status === 'success'
      ? { ok: true, ...attributed, ...signedIn }
      : { ok: false, error: `${result.status}: ${result.error?.step ?? ''} ${result.error?.message ?? ''}`.slice(0, 500), ...attributed, ...signedIn };
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
        return this.#launch(request.executablePath, request.features ?? DEFAULT_FEATURES);
      case 'run':
        return this.#run(request.journey);
      case 'journeys':
        return this.#harness!.journeys?.() ?? [];
      case 'restartWindow':
        this.#lastBrowserCpu = undefined;
        this.#lastCgroupCpu = undefined;
        return {};
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

  async #run(journey: string | undefined): Promise<RunSample> {
    // Browser windows are back to back: a closed context's renderer exits after close() returns,
    // and its last ticks land in the next run's window instead of between two windows.
    // /proc is read outside the node clock's window, so the harness's reading is not counted.
    // pulse may have replaced its worker, and with it the browser, since the last run: follow it.
    const now = this.#harness!.browserMainPid?.();
    if (now !== undefined && now !== this.#mainPid) {
      this.#mainPid = now;
      this.#lastBrowserCpu = undefined;
    }
    const browser0 = this.#lastBrowserCpu ?? treeCpuSeconds(browserTree(this.#mainPid));
    const cgroup0 = this.#lastCgroupCpu ?? this.#cgroup?.usageSeconds();
    const helpers = this.#harness!.helperPids?.() ?? [];
    const node0 = nodeCpuSeconds() + helpersCpuSeconds(helpers);
    const wall0 = performance.now();
    let outcome: HarnessRun;
    try {
      outcome = await this.#harness!.run(journey);
    } catch (error) {
      outcome = { ok: false, error: String(error).slice(0, 500) };
    }
    const wallMs = performance.now() - wall0;
    const node1 = nodeCpuSeconds() + helpersCpuSeconds(helpers);
    const cgroup1 = this.#cgroup?.usageSeconds();
    const tree = browserTree(this.#mainPid);
    // A browser gone by the end of the run took its CPU with it: unknown, not zero.
    const browser1 = tree.length > 0 ? treeCpuSeconds(tree) : Number.NaN;
    this.#lastBrowserCpu = tree.length > 0 ? browser1 : undefined;
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
    const main = this.#harness?.browserMainPid?.() ?? this.#mainPid;
    const tree = main ? browserTree(main) : [];
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
