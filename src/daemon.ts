import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { artifactsDir } from './artifacts.ts';
import type { Composition } from './compose.ts';
import type { Config } from './config.ts';
import { PulseError, describeError } from './errors.ts';
import { CONTROL_JOURNEY_FILE, ControlLoop } from './control/control-loop.ts';
import { cpuPressureSource, ProberHealth, type ProberStatus } from './control/prober-health.ts';
import type { Logger } from './logger.ts';
import { createOperations, type Operations } from './operations/operations.ts';
import { PauseBook } from './operations/pauses.ts';
import type { Prober } from './prober.ts';
import type { RunTrigger } from './result.ts';
import { formatProblem } from './problem.ts';
import { loadJourneys, type Registry as JourneyRegistry } from './registry/load.ts';
import type { JourneyDefinition } from './journey.ts';
import { newRunId, Runner } from './runner/runner.ts';
import { lockDataFolder } from './store/data-lock.ts';
import { openRunStore, type RunStore } from './store/run-store.ts';
import { startRetention } from './store/retention.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { HeartbeatLogSink } from './sinks/heartbeat-log.ts';
import { ProberMetrics } from './sinks/prober-metrics.ts';
import { RunMetrics } from './sinks/run-metrics.ts';
import type { Sink } from './sinks/sink.ts';
import { CachedExposition } from './web/exposition.ts';
import { createWebServer } from './web/server.ts';
import { registerUi } from './web/ui.ts';

export interface DaemonOptions {
  /** What the daemon is made of (compose.ts): settings, logger, redactor, sinks, the prober to come. */
  pulse: Composition;
  /** Replaces every journey's schedule (the demo runs the examples every few seconds). */
  scheduleOverride?: string;
  /** Extra sinks beside the run store, metrics, the heartbeat log and the configured push sinks. */
  sinks?: Sink[];
  /** Keeps only the journeys this replica owns. */
  select?: (journeys: JourneyDefinition[]) => JourneyDefinition[];
}

/** How often the paused gauges are brought up to date with pauses that ended by themselves. */
const PAUSE_REFRESH_MS = 5_000;

/** How often pulse's own health is recomputed between control runs. */
const HEALTH_EVERY_MS = 5_000;

/** How often retention looks for evidence past its age or size limit. */
const RETENTION_EVERY_MS = 5 * 60_000;

export interface Daemon {
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
  /** Graceful stop: no new runs, in-flight runs finish within the grace period, browser closed, sinks flushed. */
  stop(): Promise<void>;
}

/** The data folder must exist and be writable before any run depends on it. */
async function ensureWritable(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    const uid = process.getuid?.();
    throw new PulseError({ message: `PULSE_DATA_DIR '${dir}' is not writable by this user${uid === undefined ? '' : ` (uid ${uid})`}: ${describeError(error).message}`, fix: 'give the user the folder (chown) or point PULSE_DATA_DIR at a writable one', cause: error });
  }
}

/** The long-running process: journeys on their schedules, results to every sink, one HTTP port. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config, log } = options.pulse;
  await ensureWritable(config.dataDir);
  const lock = await lockDataFolder(config.dataDir, {
    onCompromised: (error) => log.error({ event: 'data_lock_lost', err: error.message }, 'the data folder lock was taken over by another process; two writers may now share it'),
  });
  try {
    return await startLocked(options, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function startLocked(options: DaemonOptions, lock: { release: () => Promise<void> }): Promise<Daemon> {
  const { pulse } = options;
  const { config, log, sinks } = pulse;
  const registry = new Registry();
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry });
  const exposition = new CachedExposition({ registry, live: processRegistry });
  const onChange = () => exposition.invalidate();
  const metrics = { runs: new RunMetrics({ registry, location: config.location, onChange }), prober: new ProberMetrics({ registry, location: config.location, onChange }) };
  // Built once the parts it watches exist; browser restarts and store failures before that are counted in metrics only.
  let health: ProberHealth | undefined;

  const artifactsRoot = artifactsDir(config.dataDir);
  await mkdir(artifactsRoot, { recursive: true });
  // Beside the push sinks already there: the metrics and pulse's health first, so that the store's
  // problems on opening are counted; then the store, and the heartbeat log once both have the result.
  sinks.add(metrics.runs, metrics.prober, proberEvents(log, () => health));
  let store: RunStore;
  try {
    store = openRunStore({ dataDir: config.dataDir, onProblem: (problem) => sinks.onStoreProblem(problem) });
  } catch (error) {
    const known = error instanceof PulseError ? error : undefined;
    throw new PulseError({ message: `run store ${config.dataDir}/runs.sqlite cannot be opened: ${known?.summary ?? describeError(error).message}`, fix: known?.fix ?? 'point PULSE_DATA_DIR at a folder on a local disk this user can write', cause: error });
  }
  sinks.add(store.writer, new HeartbeatLogSink({ log, publicUrl: config.publicUrl }), ...(options.sinks ?? []));
  for (const run of await store.writer.recordInterrupted()) {
    log.warn({ event: 'run_interrupted', journey: run.journey, runId: run.runId, startedAt: run.startedAt }, `run of ${run.journey} was in flight when pulse stopped; recorded as an error`);
  }

  let prober: Prober;
  try {
    prober = await pulse.createProber();
  } catch (error) {
    store.close();
    throw error;
  }
  // The workers start (each launching its browser) as the journey files load in them.
  let loaded: JourneyRegistry;
  try {
    loaded = await loadJourneys({ dir: config.journeysDir, timeoutMs: config.loadTimeoutMs, workers: prober.workers });
  } catch (error) {
    await prober.close();
    store.close();
    throw error;
  }
  for (const problem of loaded.problems) log.error({ event: 'journey_invalid', problem: formatProblem(problem) }, 'journey not loaded');
  const control = config.controlIntervalMs === undefined ? undefined : await loadControlJourney(prober, config);
  if (control && 'problem' in control) log.error({ event: 'control_invalid', err: control.problem }, 'the control journey could not be loaded; pulse reports itself down');
  const journeys = options.select ? options.select(loaded.journeys) : loaded.journeys;
  metrics.runs.registerJourneys(journeys, { scheduleOverride: options.scheduleOverride });
  metrics.prober.registerJourneys(journeys, { shard: config.shard ? `${config.shard.index}/${config.shard.total}` : '1/1' });

  const retention = startRetention({
    ledger: store.ledger,
    artifactsRoot,
    policy: { maxAgeMs: config.retention.artifactMaxAgeMs, maxBytes: config.retention.artifactMaxBytes, historyMaxAgeMs: config.retention.historyMaxAgeMs },
    everyMs: RETENTION_EVERY_MS,
    onPruned: (outcome) => log.info({ event: 'retention', ...outcome }, `retention pruned the evidence of ${outcome.prunedRuns} runs and ${outcome.prunedOrphans} orphaned folders`),
    onError: (error) => log.error({ event: 'retention_failed', err: String(error) }, 'retention pass failed'),
  });
  await prober.workers.warm();
  const launch = prober.workers.browsers;
  // Not fatal: each run retries the launch and is recorded as a prober error until one works.
  if (!launch.launched) log.error({ event: 'browser_launch_failed', err: launch.failure ?? 'no journey worker started' }, 'browser could not be launched');

  const controlDefinition = control && 'definition' in control ? control.definition : undefined;
  health = new ProberHealth({
    controlIntervalMs: config.controlIntervalMs,
    controlBudgetMs: controlDefinition ? controlDefinition.timeoutMs * (controlDefinition.retries + 1) : 0,
    browserLaunchFailure: () => prober.workers.browsers.failure,
    cpuPressure: cpuPressureSource(),
    publish: (status) => metrics.prober.setProberHealth(status.up, Object.fromEntries(Object.entries(status.checks).map(([check, state]) => [check, state.ok]))),
    changed: (status) => logProberChange(log, status),
  });
  if (control && 'problem' in control) health.controlBroken(`the control journey could not be loaded: ${control.problem}`);
  const proberHealth = health;

  const pauses = new PauseBook({ store: store.pauses });
  const publishPaused = () => metrics.prober.setPaused(journeys.map((journey) => ({ journey: journey.name, paused: pauses.isPaused(journey) })));
  publishPaused();
  // Pauses end by themselves: the gauges follow within seconds.
  const pauseTimer = setInterval(publishPaused, PAUSE_REFRESH_MS);
  pauseTimer.unref();
  /** The run of each journey in flight, so that a second "run now" can say where to watch. */
  const running = new Map<string, string>();

  /** Set once the grace period ran out: results still coming in then are not the target's. */
  let graceOver = false;
  const scheduler = new Scheduler({
    journeys,
    concurrency: config.concurrency,
    scheduleOverride: options.scheduleOverride,
    isPaused: (journey) => pauses.isPaused(journey),
    events: {
      execute: async ({ journey, manual }) => {
        const runId = manual?.runId ?? newRunId();
        const trigger: RunTrigger = manual ? { kind: 'manual', by: manual.by } : { kind: 'schedule' };
        const runLog = log.child({ journey: journey.name, runId });
        runLog.debug({ event: 'run_started', trigger: trigger.kind }, `run of ${journey.name} started`);
        store.writer.runStarted({ runId, journey: journey.name, location: config.location, startedAt: new Date().toISOString() });
        running.set(journey.name, runId);
        try {
          const result = await prober.runner.run(journey, { runId, log: runLog, trigger });
          if (graceOver) {
            // Cut off by the shutdown, not broken: say so, and tell no sink that the target failed.
            sinks.onSkip(journey.name, 'shutdown');
            runLog.warn({ event: 'run_abandoned', status: result.status }, 'run cut off by the shutdown; not recorded');
            return;
          }
          await sinks.onResult(result);
        } catch (error) {
          runLog.error({ event: 'run_crashed', err: error instanceof Error ? error.stack : String(error) }, 'run could not be completed');
        } finally {
          running.delete(journey.name);
        }
      },
      skipped: (journey, reason) => {
        // A run asked for now that never got a slot is not in flight any more.
        if (reason === 'saturated' || reason === 'shutdown') running.delete(journey);
        sinks.onSkip(journey, reason);
        log.warn({ event: 'run_skipped', journey, reason }, `run of ${journey} skipped (${reason})`);
      },
      lag: (seconds) => sinks.onLag(seconds),
    },
    log,
  });

  const operations = createOperations({
    journeys,
    pauses,
    log,
    onPausesChanged: publishPaused,
    trigger: (name, by) => {
      const runId = newRunId();
      const outcome = scheduler.trigger(name, { runId, by });
      if (outcome.started) running.set(name, runId);
      return outcome.started ? { runId } : { error: outcome.reason, ...(outcome.reason === 'busy' && running.has(name) ? { runId: running.get(name)! } : {}) };
    },
  });

  const web: FastifyInstance = await createWebServer({
    metrics: exposition,
    readiness: () => {
      // A shard may own none of the journeys and still be a healthy replica.
      const checks = { journeysLoaded: loaded.journeys.length > 0, browserLaunched: prober.workers.browsers.launched };
      return { ready: checks.journeysLoaded && checks.browserLaunched, checks };
    },
    routes: (app) => registerUi(app, { store: store.queries, journeys, artifactsRoot, config, operations, prober: () => proberHealth.status }),
  });
  let address: string;
  try {
    address = await web.listen({ host: config.host, port: config.port });
  } catch (error) {
    await prober.close();
    await retention.stop();
    store.close();
    throw new PulseError({ message: `cannot listen on ${config.host}:${config.port} (${describeError(error).message})`, fix: 'free the port or set PULSE_PORT (--port) / PULSE_HOST (--host)', cause: error });
  }
  const url = address.replace('[::1]', 'localhost');
  scheduler.start();
  // The control journey runs in the same workers and browser as the journeys, against pulse's own page.
  const controlLoop = controlDefinition
    ? new ControlLoop({
        journey: controlDefinition,
        intervalMs: config.controlIntervalMs!,
        runner: new Runner({
          workers: prober.workers,
          params: { baseUrl: controlBaseUrl(config.host, web.server.address()) },
          location: config.location,
          dataDir: config.dataDir,
          trace: 'off',
          redact: prober.redact,
          log,
        }),
        slots: scheduler,
        log,
        onResult: (result) => proberHealth.controlResult(result),
      })
    : undefined;
  controlLoop?.start();
  proberHealth.start(HEALTH_EVERY_MS);
  log.info(
    { event: 'started', url, journeys: journeys.map((j) => j.name), browser: prober.browser.label, concurrency: config.concurrency, access: describeAccess(config.auth) },
    `pulse running ${journeys.length} journeys; metrics at ${url}/metrics`,
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info({ event: 'stopping', graceMs: config.gracePeriodMs, inFlight: scheduler.inFlight }, 'stopping: no new runs');
      clearInterval(pauseTimer);
      const graceEnds = Date.now() + config.gracePeriodMs;
      const controlStopped = controlLoop?.stop();
      const { unfinished } = await scheduler.stop(config.gracePeriodMs);
      // A control run in flight gets what is left of the grace period; closing the workers ends it after that.
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([controlStopped, new Promise((resolve) => (graceTimer = setTimeout(resolve, Math.max(0, graceEnds - Date.now()))))]);
      clearTimeout(graceTimer);
      proberHealth.stop();
      if (unfinished > 0) {
        graceOver = true;
        log.warn({ event: 'grace_period_over', unfinished }, `${unfinished} runs did not finish within the grace period`);
      }
      await prober.close();
      await retention.stop();
      await web.close();
      exposition.close();
      await sinks.close();
      store.close();
      await lock.release();
      log.info({ event: 'stopped' }, 'stopped');
    })());

  return { url, metrics, registry, store, journeys, prober, health: proberHealth, operations, stop };
}

/**
 * The daemon's own ears on the sinks' events: a relaunched browser and a failing store count
 * against pulse's health, and a store problem is logged with what became of the history.
 */
function proberEvents(log: Logger, health: () => ProberHealth | undefined): Sink {
  return {
    name: 'prober-events',
    onBrowserRestart: () => health()?.browserRestarted(),
    onStoreProblem: (problem) => {
      health()?.storeFailed();
      log.error(
        { event: 'store_failed', operation: problem.operation, err: problem.message, ...(problem.reset ? { reset: true, setAside: problem.reset.setAside } : {}) },
        problem.reset ? `run store started afresh${problem.reset.setAside ? `; the damaged file is kept at ${problem.reset.setAside}` : ''}` : `run store ${problem.operation} failed`,
      );
    },
  };
}

/** Imports the built-in control journey in a journey worker, as any journey file is. */
async function loadControlJourney(prober: Prober, config: Config): Promise<{ definition: JourneyDefinition } | { problem: string }> {
  const outcome = await prober.workers.load(CONTROL_JOURNEY_FILE, 'the built-in control journey', config.loadTimeoutMs);
  if ('timedOut' in outcome) return { problem: `did not load within ${config.loadTimeoutMs} ms` };
  if ('died' in outcome) return { problem: `ended the worker that loaded it (${outcome.died})` };
  if (!outcome.definition) return { problem: outcome.problems.map(formatProblem).join('; ') || 'no definition' };
  return { definition: outcome.definition };
}

/**
 * Where the browser reaches pulse's own port: loopback when pulse listens on every address or
 * on loopback, else the address it listens on.
 */
function controlBaseUrl(host: string, address: ReturnType<FastifyInstance['server']['address']>): string {
  const port = typeof address === 'object' && address ? address.port : 0;
  if (['0.0.0.0', '::', '127.0.0.1', 'localhost', ''].includes(host)) return `http://127.0.0.1:${port}`;
  if (host.includes(':')) return `http://[${host.replace(/^\[|\]$/g, '')}]:${port}`;
  return `http://${host}:${port}`;
}

function logProberChange(log: Logger, status: ProberStatus): void {
  const failing = Object.entries(status.checks).filter(([, state]) => !state.ok);
  const details = Object.fromEntries(Object.entries(status.checks).map(([check, state]) => [check, state.detail]));
  if (status.up) log.info({ event: 'prober_up', checks: details }, 'pulse is healthy again: every prober check passes');
  else log.warn({ event: 'prober_down', failing: failing.map(([check]) => check), checks: details }, `pulse itself is sick (${failing.map(([check, state]) => `${check}: ${state.detail}`).join('; ')}); its journey alerts are held`);
}

/** What the UI and API ask of a visitor, for the started line: open to anyone who reaches the port, or which credentials. */
function describeAccess(auth: Config['auth']): string {
  const ways = [...(auth.token ? ['a bearer token'] : []), ...(auth.user && auth.password ? ['basic auth'] : [])];
  return ways.length === 0 ? 'open: the UI and API need no credentials (set PULSE_AUTH_TOKEN to close them)' : `closed: the UI and API need ${ways.join(' or ')}`;
}
