import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';
import { secretPartners, secretValues } from './config.ts';
import { describeError, PulseError } from './errors.ts';
import type { ProberEvents } from './events.ts';
import type { ConfigRead } from './worker-protocol.ts';
import type { JourneyParams } from './journey.ts';
import type { Logger } from './logger.ts';
import { growingRedactor, type Redactor } from './redact.ts';
import { loadPlaywrightUse, type PlaywrightUse } from './playwright-use.ts';
import { browserLaunchOptions, findBrowser, type FoundBrowser } from './runner/find-browser.ts';
import { findCpuPressureFile, readCpuStallMicros } from './control/cpu-pressure.ts';
import { Runner } from './runner/runner.ts';
import { SessionKeeper } from './runner/session-keeper.ts';
import { SessionVault } from './runner/session-vault.ts';
import { WorkerPool } from './runner/worker-pool.ts';

/** Values of kept sessions the daemon's redactor holds: those of the states kept now and the few before (an attempt may still run on one). */
const KEPT_VALUES_REDACTED = 256;

export interface Prober {
  browser: FoundBrowser;
  /** The journey workers, each with its own browser. */
  workers: WorkerPool;
  runner: Runner;
  use: PlaywrightUse;
  redact: Redactor;
  /** Stops the workers and their browsers. */
  close(): Promise<void>;
}

export interface ProberOptions {
  config: Config;
  log: Logger;
  /** The one redactor of the composition (compose.ts). */
  redact: Redactor;
  /** Where browser relaunches and replaced workers are told. */
  events: ProberEvents;
  /** Workers to keep warm; the configured concurrency by default. */
  workers?: number;
}

/** The browser, the journey workers and the runner, built from one Config. Throws a PulseError when no browser or base URL is to be had. */
export async function createProber({ config, log, redact: given, events, workers: size }: ProberOptions): Promise<Prober> {
  // use.baseURL is Playwright Test's (the demo shop by default); pulse probes only what it is told to.
  const baseUrl = config.params.baseUrl;
  if (!baseUrl) throw new PulseError({ message: 'no base URL for the journeys', fix: 'set PULSE_PARAM_BASE_URL or --base-url' });
  const params = { ...config.params, baseUrl } as JourneyParams;
  const secrets = secretValues(config);
  const partners = secretPartners(config);
  // What kept sessions hold is hidden from the daemon's own lines too (a journey that prints a cookie).
  const redact = growingRedactor(given, partners, KEPT_VALUES_REDACTED);
  const sessions = new SessionKeeper({
    ...(config.sessionKey ? { vault: new SessionVault({ dataDir: config.dataDir, key: config.sessionKey, log }) } : {}),
    log,
    learned: (values) => redact.add(values),
  });
  const workers = new WorkerPool({
    size: size ?? config.concurrency,
    onBrowserRestart: (reason) => events.emit({ kind: 'browser-relaunched', reason }),
    memoryLimitBytes: config.workerMemoryBytes,
    hooks: {
      output: ({ stream, text, journey, runId }) => log.info({ event: 'journey_output', journey, runId, stream, text: redact(text) }, 'journey output'),
      warn: (fields, message) => log.warn(fields, message),
      leftover: ({ journey, runId, leftover }) =>
        events.emit({ kind: 'worker-leftover', leftover: leftover.kind, journey, runId, message: redact(leftover.message) }),
    },
    onReplaced: ({ reason, message, pid, journey, runId }) => events.emit({ kind: 'worker-replaced', reason, pid, journey, runId, message: redact(message) }),
  });
  let use: PlaywrightUse;
  let browser: FoundBrowser;
  try {
    use = await playwrightUse(config, workers);
    browser = findBrowser({
      configuredPath: config.browserPath ?? use.executablePath,
      systemHeadlessShells: config.systemBrowserPaths,
      systemChromiums: config.systemBrowserPaths ? [] : undefined,
    });
  } catch (error) {
    await workers.close();
    throw error;
  }
  workers.launchWith(browserLaunchOptions(browser, use.launchOptions));
  // Where the kernel reports CPU pressure: a run that timed out while starved is pulse's error.
  const pressureFile = findCpuPressureFile();
  const runner = new Runner({
    workers,
    contextOptions: use.contextOptions,
    params,
    secrets,
    partners,
    location: config.location,
    dataDir: config.dataDir,
    trace: config.trace,
    markTraffic: config.markTraffic,
    vitals: config.webVitals,
    redact,
    log,
    sessions,
    ...(pressureFile ? { cpuStallMicros: () => readCpuStallMicros(pressureFile) } : {}),
  });
  return { browser, workers, runner, use, redact, close: () => workers.close() };
}

/**
 * playwright.config.ts's `use`, read by the pool's first worker as it starts: the config imports
 * Playwright, which the daemon itself then never loads (about 70 MiB of its memory and a second of
 * CPU at every start), and the config's code runs where journey code does. A worker that cannot
 * start with it (the config hangs, ends its process, or no worker can start at all) stops the
 * start with the reason, as a config that throws does.
 */
async function playwrightUse(config: Config, workers: WorkerPool): Promise<PlaywrightUse> {
  const file = config.playwrightConfig;
  const required = config.playwrightConfigRequired;
  // No file: nothing to import, and the error for a missing one named on purpose.
  if (!file || !existsSync(file)) return loadPlaywrightUse(file, { required });
  let read: ConfigRead;
  try {
    read = await workers.readPlaywrightConfig({ file, required });
  } catch (error) {
    throw new PulseError({
      message: `${path.relative(process.cwd(), file)}: the journey worker that reads it did not start (${describeError(error).message})`,
      fix: 'correct the config (npx playwright test --list shows its errors), or set PULSE_PLAYWRIGHT_CONFIG=none',
      cause: error,
    });
  }
  if ('failed' in read) throw new PulseError(read.failed);
  return read.use;
}
