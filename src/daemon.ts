import type { Registry } from 'prom-client';
import { composeDaemon, type Composition, type DaemonSpec } from './compose.ts';
import type { Config } from './config.ts';
import type { ProberHealth } from './control/prober-health.ts';
import type { JourneyDefinition } from './journey.ts';
import type { Operations } from './operations/operations.ts';
import type { Prober } from './prober.ts';
import type { ProberMetrics } from './sinks/prober-metrics.ts';
import type { RunMetrics } from './sinks/run-metrics.ts';
import type { RunStore } from './store/run-store.ts';

export interface DaemonOptions extends DaemonSpec {
  /** What the daemon is made of (compose.ts): settings, logger, redactor, events, sinks, lifecycle. */
  pulse: Composition;
}

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
  /** Graceful stop: no new runs, in-flight runs finish within the grace period, then every part in reverse. */
  stop(): Promise<void>;
}

/** The long-running process: journeys on their schedules, results to every sink, one HTTP port. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { pulse } = options;
  const { config, log, life } = pulse;
  let parts;
  try {
    parts = await composeDaemon(pulse, options);
  } catch (error) {
    // What did start stops again, in reverse, before the error is reported.
    await life.stop().catch(() => undefined);
    throw error;
  }
  const { url, journeys, prober, scheduler } = parts;
  log.info(
    {
      event: 'started',
      url,
      journeys: journeys.map((j) => j.name),
      browser: prober.browser.label,
      concurrency: config.concurrency,
      access: describeAccess(config.auth),
    },
    `pulse running ${journeys.length} journeys; metrics at ${url}/metrics`,
  );
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info({ event: 'stopping', graceMs: config.gracePeriodMs, inFlight: scheduler.inFlight }, 'stopping: no new runs');
      await life.stop();
      log.info({ event: 'stopped' }, 'stopped');
    })());
  return { ...parts, stop };
}

/** What the UI and API ask of a visitor, for the started line: open to anyone who reaches the port, or which credentials. */
function describeAccess(auth: Config['auth']): string {
  const ways = [...(auth.token ? ['a bearer token'] : []), ...(auth.user && auth.password ? ['basic auth'] : [])];
  return ways.length === 0
    ? 'open: the UI and API need no credentials (set PULSE_AUTH_TOKEN to close them)'
    : `closed: the UI and API need ${ways.join(' or ')}`;
}
