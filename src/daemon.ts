import { composeDaemon, type Composition, type DaemonParts, type DaemonSpec } from './compose.ts';
import type { Config } from './config.ts';

export interface DaemonOptions extends DaemonSpec {
  /** What the daemon is made of (compose.ts): settings, logger, redactor, events, sinks, lifecycle. */
  pulse: Composition;
}

/** The daemon's parts as tests and commands see them, and its graceful stop. */
export interface Daemon extends Omit<DaemonParts, 'scheduler'> {
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
