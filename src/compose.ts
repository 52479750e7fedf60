// The one place pulse is put together from a Config. `compose` builds what every command shares;
// `composeDaemon` declares the daemon's parts in the order they start: each is started through
// the lifecycle, which stops them in the reverse order, by the same path after a failed start as
// at a stop. A part is only ever handed parts started before it.
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { artifactsDir } from './artifacts.ts';
import { secretPartners, secretValues, type Config } from './config.ts';
import { CONTROL_JOURNEY_FILE, ControlLoop } from './control/control-loop.ts';
import { cpuPressureSource, ProberHealth, type ProberStatus } from './control/prober-health.ts';
import { Dispatcher } from './dispatch.ts';
import { PulseError, describeError } from './errors.ts';
import { eventLog } from './event-log.ts';
import { ProberEvents, type StoreDiagnosis } from './events.ts';
import type { JourneyDefinition } from './journey.ts';
import { Lifecycle } from './lifecycle.ts';
import { createLogger, logStrayRejections, type Logger } from './logger.ts';
import { createOperations, type Operations } from './operations/operations.ts';
import { PauseBook } from './operations/pauses.ts';
import { formatProblem } from './problem.ts';
import { createProber, type Prober } from './prober.ts';
import { createRedactor, type Redactor } from './redact.ts';
import { loadJourneys, specFilesOf, type Registry as JourneyRegistry } from './registry/load.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { HeartbeatLogSink } from './sinks/heartbeat-log.ts';
import type { Sink } from './sinks/sink.ts';
import { ProberMetrics } from './sinks/prober-metrics.ts';
import { createPushSinks } from './sinks/push-sinks.ts';
import { RunMetrics } from './sinks/run-metrics.ts';
import { SinkFanout } from './sinks/sink.ts';
import { conditionOfErrno, describeCondition, probeDataFolder, tryWrite } from './store/data-folder.ts';
import { lockDataFolder, type LockLoss } from './store/data-lock.ts';
import { startRetention } from './store/retention.ts';
import { openRunStore, type RunStore } from './store/run-store.ts';
import { storeCondition } from './store/store-condition.ts';
import { CachedExposition } from './web/exposition.ts';
import { createWebServer } from './web/server.ts';
import { registerUi } from './web/ui.ts';

/** Where the log goes. */
export type LogOutput =
  /** The daemon: the configured level and format on stdout, every line labelled with the location. */
  | { kind: 'service' }
  /** A one-shot command: JSON lines on the given stream, warnings and worse unless more was asked for. */
  | { kind: 'command'; stream: NodeJS.WritableStream };

export interface Composition {
  readonly config: Config;
  /** Built once: the log lines, the runner's errors and the workers' output all go through it. */
  readonly redact: Redactor;
  readonly log: Logger;
  /** The prober's events (skips, lag, restarts, store and push problems); the log hears them from the start. */
  readonly events: ProberEvents;
  /** Every run result goes through it, in the sinks' stage order; the push sinks are in it from the start. */
  readonly sinks: SinkFanout;
  /** What has been started, to be stopped in reverse. */
  readonly life: Lifecycle;
  /** Starts the journey workers (each with its browser) and the runner, as a part of the lifecycle. */
  startProber(options?: { workers?: number }): Promise<Prober>;
}

export function compose(config: Config, output: LogOutput): Composition {
  const redact = createRedactor(secretValues(config), secretPartners(config));
  const log =
    output.kind === 'service'
      ? createLogger({ level: config.logLevel, format: config.logFormat, redact, base: { location: config.location } })
      : createLogger({
          level: config.logLevel === 'info' ? 'warn' : config.logLevel,
          format: 'json',
          destination: { write: (line: string) => output.stream.write(line) },
          redact,
        });
  logStrayRejections(log);
  const events = new ProberEvents(log);
  events.subscribe(eventLog(log));
  const sinks = new SinkFanout(log, createPushSinks(config, log, { onOutcome: (sink, outcome) => events.emit({ kind: 'pushed', sink, outcome }) }));
  const life = new Lifecycle(log);
  return {
    config,
    redact,
    log,
    events,
    sinks,
    life,
    startProber: (options = {}) =>
      life.start(
        'journey workers',
        () => createProber({ config, log, redact, events, workers: options.workers }),
        (prober) => prober.close(),
      ),
  };
}

/** How often the paused gauges are brought up to date with pauses that ended by themselves. */
const PAUSE_REFRESH_MS = 5_000;
/** How often pulse's own health is recomputed between control runs. */
const HEALTH_EVERY_MS = 5_000;
/** How often retention looks for evidence past its age or size limit. */
const RETENTION_EVERY_MS = 5 * 60_000;

export interface DaemonSpec {
  /** Replaces every journey's schedule (the demo runs the examples every few seconds). */
  scheduleOverride?: string;
  /** Extra sinks beside the run store, metrics, the heartbeat log and the configured push sinks. */
  sinks?: Sink[];
  /** Keeps only the journeys this replica owns. */
  select?: (journeys: JourneyDefinition[]) => JourneyDefinition[];
}

export interface DaemonParts {
  /** Where the HTTP port listens, e.g. http://127.0.0.1:9477. */
  url: string;
  metrics: { runs: RunMetrics; prober: ProberMetrics };
  registry: Registry;
  store: RunStore;
  journeys: readonly JourneyDefinition[];
  prober: Prober;
  /** pulse's own health: the control journey and the daemon's checks. */
  health: ProberHealth;
  operations: Operations;
  scheduler: Scheduler;
}

/** The daemon's parts, in start order: what records, what probes, what serves. */
export async function composeDaemon(pulse: Composition, options: DaemonSpec): Promise<DaemonParts> {
  const recording = await startRecording(pulse, options);
  const probing = await startProbing(pulse, options, recording);
  const serving = await startServing(pulse, options, recording, probing);
  const { registry, metrics, store } = recording;
  const { journeys, prober, health } = probing;
  return {
    url: serving.web.url,
    metrics,
    registry,
    store,
    journeys,
    prober,
    health,
    operations: serving.operations,
    scheduler: serving.scheduler,
  };
}

type Recording = Awaited<ReturnType<typeof startRecording>>;
type Probing = Awaited<ReturnType<typeof startProbing>>;

/** The data folder and its lock, the metrics, the run store, and the sinks each result goes to. */
async function startRecording(pulse: Composition, options: DaemonSpec) {
  const { config, log, life, sinks, events } = pulse;
  await life.start('data folder', () => ensureWritable(config.dataDir));
  let lockLoss: LockLoss | undefined;
  await life.start(
    'data lock',
    () =>
      lockDataFolder(config.dataDir, {
        onLost: (loss) => {
          lockLoss = loss;
          const { diagnosis } = loss;
          log.error(
            { event: 'data_lock_lost', condition: diagnosis.condition, dataDir: config.dataDir, err: loss.error, fix: diagnosis.fix },
            diagnosis.condition === 'lock_lost'
              ? `${diagnosis.message}; fix: ${diagnosis.fix}`
              : `the data folder lock cannot be kept: ${diagnosis.message}; fix: ${diagnosis.fix}`,
          );
        },
      }),
    async (lock) => {
      const left = await lock.release();
      if (left) log.warn({ event: 'data_lock_left', dataDir: config.dataDir }, left);
    },
  );
  const { registry, metrics, exposition } = await life.start(
    'metrics',
    () => createMetrics(config),
    ({ exposition }) => exposition.close(),
  );
  events.subscribe(metrics.prober);
  sinks.add(metrics.runs);
  const store = await life.start(
    'run store',
    () => openStore(config, events),
    (store) => store.close(),
  );
  // The sinks end before the store they write to.
  life.add('sinks', () => sinks.close());
  sinks.add(store.writer, new HeartbeatLogSink({ log, publicUrl: config.publicUrl }), ...(options.sinks ?? []));
  for (const run of await store.writer.recordInterrupted()) {
    log.warn(
      { event: 'run_interrupted', journey: run.journey, runId: run.runId, startedAt: run.startedAt },
      `run of ${run.journey} was in flight when pulse stopped; recorded as an error`,
    );
  }
  return { registry, metrics, exposition, store, lockLoss: () => lockLoss };
}

/** The journey workers with their browsers, the journeys loaded in them, retention, pulse's own health. */
async function startProbing(pulse: Composition, options: DaemonSpec, { metrics, store, lockLoss }: Recording) {
  const { config, log, life, events } = pulse;
  const prober = await pulse.startProber();
  // The workers start (each launching its browser) as the journey files load in them.
  const loaded = await loadJourneys({ dir: config.journeysDir, timeoutMs: config.loadTimeoutMs, workers: prober.workers, specs: specFilesOf(config) });
  for (const problem of loaded.problems) log.error({ event: 'journey_invalid', problem: formatProblem(problem) }, 'journey not loaded');
  const control = config.controlIntervalMs === undefined ? undefined : await loadControlJourney(prober, config);
  const journeys = options.select ? options.select(loaded.journeys) : loaded.journeys;
  metrics.runs.registerJourneys(journeys, { scheduleOverride: options.scheduleOverride });
  metrics.prober.registerJourneys(journeys, { shard: config.shard ? `${config.shard.index}/${config.shard.total}` : '1/1' });
  await life.start(
    'retention',
    () => startEvidenceRetention(config, store, log),
    (retention) => retention.stop(),
  );
  await warmWorkers(prober, log);
  const storeNow = storeCondition({ dataDir: config.dataDir, store: () => store.queries.health(), lock: lockLoss });
  const health = proberHealth(config, prober, metrics.prober, log, control, storeNow);
  events.subscribe(health);
  return { prober, loaded, journeys, control, health };
}

/** Pauses, the run loop and its scheduler, on-call's operations, the HTTP port, then the runs. */
async function startServing(
  pulse: Composition,
  options: DaemonSpec,
  { exposition, store, metrics }: Recording,
  { prober, loaded, journeys, control, health }: Probing,
) {
  const { config, log, life, sinks, events } = pulse;
  const pauses = await life.start(
    'pauses',
    () => startPauses(store, journeys, metrics.prober),
    ({ timer }) => clearInterval(timer),
  );
  const dispatcher = new Dispatcher({ runner: prober.runner, sinks, events, store: store.writer, location: config.location, log });
  const scheduler = new Scheduler({
    journeys,
    concurrency: config.concurrency,
    scheduleOverride: options.scheduleOverride,
    isPaused: (journey) => pauses.book.isPaused(journey),
    events: dispatcher.schedulerEvents(),
    log,
  });
  const operations = createOperations({
    journeys,
    pauses: pauses.book,
    log,
    onPausesChanged: pauses.publish,
    trigger: (name, by) => dispatcher.trigger(scheduler, name, by),
  });
  const web = await life.start(
    'web',
    () => startWeb({ config, exposition, store, journeys, operations, health, prober, loaded }),
    ({ app }) => app.close(),
  );
  await life.start(
    'prober health',
    () => health.start(HEALTH_EVERY_MS),
    () => health.stop(),
  );
  const controlLoop =
    control && 'definition' in control
      ? new ControlLoop({
          journey: control.definition,
          intervalMs: config.controlIntervalMs!,
          runner: prober.runner,
          plan: { params: { baseUrl: web.controlBaseUrl }, trace: 'off', secrets: [], partners: [], contextOptions: {} },
          slots: scheduler,
          log,
          onResult: (result) => health.controlResult(result),
        })
      : undefined;
  await life.start(
    'runs',
    () => {
      scheduler.start();
      controlLoop?.start();
    },
    () => dispatcher.drain({ scheduler, controlLoop, graceMs: config.gracePeriodMs }),
  );
  return { web, operations, scheduler };
}

/** The data folder must exist and be writable before any run depends on it; if not, what the folder says (read-only, full, not this user's). */
async function ensureWritable(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    await mkdir(artifactsDir(dir), { recursive: true });
  } catch (error) {
    // ext4 turned read-only after an error says writable to access(2) and ENOENT to mkdir: only a write tells.
    const condition = probeDataFolder(dir)?.condition ?? conditionOfErrno(error) ?? tryWrite(dir) ?? 'not_permitted';
    const why = describeCondition(condition, dir);
    throw new PulseError({
      message: `PULSE_DATA_DIR '${dir}' is not writable: ${why.message} (${describeError(error).message})`,
      fix: why.fix,
      cause: error,
    });
  }
}

/** The journeys' and the prober's metrics, and /metrics rebuilt off the scrape path when they change. */
function createMetrics(config: Config) {
  const registry = new Registry();
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry });
  const exposition = new CachedExposition({ registry, live: processRegistry });
  const onChange = () => exposition.invalidate();
  const metrics = {
    runs: new RunMetrics({ registry, location: config.location, onChange }),
    prober: new ProberMetrics({ registry, location: config.location, onChange }),
  };
  return { registry, exposition, metrics };
}

function openStore(config: Config, events: ProberEvents): RunStore {
  try {
    return openRunStore({ dataDir: config.dataDir, onProblem: (problem) => events.emit({ kind: 'store-problem', problem }) });
  } catch (error) {
    const known = error instanceof PulseError ? error : undefined;
    throw new PulseError({
      message: `run store ${config.dataDir}/runs.sqlite cannot be opened: ${known?.summary ?? describeError(error).message}`,
      fix: known?.fix ?? 'point PULSE_DATA_DIR at a folder on a local disk this user can write',
      cause: error,
    });
  }
}

/** Imports the built-in control journey in a journey worker, as any journey file is. */
async function loadControlJourney(prober: Prober, config: Config): Promise<{ definition: JourneyDefinition } | { problem: string }> {
  const outcome = await prober.workers.load(CONTROL_JOURNEY_FILE, 'the built-in control journey', config.loadTimeoutMs, path.dirname(CONTROL_JOURNEY_FILE));
  if ('timedOut' in outcome) return { problem: `did not load within ${config.loadTimeoutMs} ms` };
  if ('died' in outcome) return { problem: `ended the worker that loaded it (${outcome.died})` };
  const [definition] = outcome.definitions;
  if (!definition) return { problem: outcome.problems.map(formatProblem).join('; ') || 'no definition' };
  return { definition };
}

function startEvidenceRetention(config: Config, store: RunStore, log: Logger) {
  return startRetention({
    ledger: store.ledger,
    artifactsRoot: artifactsDir(config.dataDir),
    policy: { maxAgeMs: config.retention.artifactMaxAgeMs, maxBytes: config.retention.artifactMaxBytes, historyMaxAgeMs: config.retention.historyMaxAgeMs },
    everyMs: RETENTION_EVERY_MS,
    onPruned: (outcome) =>
      log.info({ event: 'retention', ...outcome }, `retention pruned the evidence of ${outcome.prunedRuns} runs and ${outcome.prunedOrphans} orphaned folders`),
    onError: (error) => log.error({ event: 'retention_failed', err: String(error) }, 'retention pass failed'),
  });
}

/** Waits for every worker's browser; one that did not launch is not fatal: each run retries, and is a prober error until one works. */
async function warmWorkers(prober: Prober, log: Logger): Promise<void> {
  await prober.workers.warm();
  const launch = prober.workers.browsers;
  if (!launch.launched) log.error({ event: 'browser_launch_failed', err: launch.failure ?? 'no journey worker started' }, 'browser could not be launched');
}

function proberHealth(
  config: Config,
  prober: Prober,
  metrics: ProberMetrics,
  log: Logger,
  control: { definition: JourneyDefinition } | { problem: string } | undefined,
  store: (failingOften: boolean) => StoreDiagnosis | undefined,
): ProberHealth {
  const definition = control && 'definition' in control ? control.definition : undefined;
  const health = new ProberHealth({
    controlIntervalMs: config.controlIntervalMs,
    controlBudgetMs: definition ? definition.timeoutMs * (definition.retries + 1) : 0,
    browserLaunchFailure: () => prober.workers.browsers.failure,
    cpuPressure: cpuPressureSource(),
    storeCondition: store,
    publish: (status) =>
      metrics.setProberHealth(status.up, Object.fromEntries(Object.entries(status.checks).map(([check, state]) => [check, state.ok])), status.store?.condition),
    changed: (status) => logProberChange(log, status),
  });
  if (control && 'problem' in control) {
    log.error({ event: 'control_invalid', err: control.problem }, 'the control journey could not be loaded; pulse reports itself down');
    health.controlBroken(`the control journey could not be loaded: ${control.problem}`);
  }
  return health;
}

/** The pauses, and their gauges kept up to date as pauses end by themselves. */
function startPauses(store: RunStore, journeys: readonly JourneyDefinition[], metrics: ProberMetrics) {
  const book = new PauseBook({ store: store.pauses });
  const publish = () => metrics.setPaused(journeys.map((journey) => ({ journey: journey.name, paused: book.isPaused(journey) })));
  publish();
  const timer = setInterval(publish, PAUSE_REFRESH_MS);
  timer.unref();
  return { book, publish, timer };
}

interface WebParts {
  config: Config;
  exposition: CachedExposition;
  store: RunStore;
  journeys: readonly JourneyDefinition[];
  operations: Operations;
  health: ProberHealth;
  prober: Prober;
  loaded: JourneyRegistry;
}

/** /metrics, health, the UI and the API on one port. */
async function startWeb({ config, exposition, store, journeys, operations, health, prober, loaded }: WebParts) {
  const app = await createWebServer({
    metrics: exposition,
    readiness: () => {
      // A shard may own none of the journeys and still be a healthy replica.
      const checks = { journeysLoaded: loaded.journeys.length > 0, browserLaunched: prober.workers.browsers.launched };
      return { ready: checks.journeysLoaded && checks.browserLaunched, checks };
    },
    prober: () => health.status,
    routes: (app) =>
      registerUi(app, { store: store.queries, journeys, artifactsRoot: artifactsDir(config.dataDir), config, operations, prober: () => health.status }),
  });
  let address: string;
  try {
    address = await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    throw new PulseError({
      message: `cannot listen on ${config.host}:${config.port} (${describeError(error).message})`,
      fix: 'free the port or set PULSE_PORT (--port) / PULSE_HOST (--host)',
      cause: error,
    });
  }
  return { app, url: address.replace('[::1]', 'localhost'), controlBaseUrl: controlBaseUrl(config.host, app.server.address()) };
}

/**
 * Where the browser reaches pulse's own port: loopback when pulse listens on every address or
 * on loopback, else the address it listens on.
 */
function controlBaseUrl(host: string, address: string | { port: number } | null): string {
  const port = typeof address === 'object' && address ? address.port : 0;
  if (['0.0.0.0', '::', '127.0.0.1', 'localhost', ''].includes(host)) return `http://127.0.0.1:${port}`;
  if (host.includes(':')) return `http://[${host.replace(/^\[|\]$/g, '')}]:${port}`;
  return `http://${host}:${port}`;
}

function logProberChange(log: Logger, status: ProberStatus): void {
  const details = Object.fromEntries(Object.entries(status.checks).map(([check, state]) => [check, state.detail]));
  if (status.state === 'up') log.info({ event: 'prober_up', checks: details }, 'pulse is healthy again: every prober check passes');
  else if (status.state === 'degraded') {
    const store = status.store;
    log.error(
      { event: 'prober_degraded', failing: status.failing.map(({ check }) => check), condition: store?.condition, fix: store?.fix, checks: details },
      `pulse probes on, degraded: ${store ? `${store.message}; run history and evidence are being lost; fix: ${store.fix}` : status.failing.map(({ check, detail }) => `${check}: ${detail}`).join('; ')}. Journey alerts are not held`,
    );
  } else
    log.warn(
      { event: 'prober_down', failing: status.failing.map(({ check }) => check), checks: details },
      `pulse itself is sick (${status.failing.map(({ check, detail }) => `${check}: ${detail}`).join('; ')}); its journey alerts are held`,
    );
}
