import type { Config } from '../config.ts';
import { startDaemon, type Daemon, type DaemonOptions } from '../daemon.ts';
import { compose } from '../compose.ts';
import type { Logger } from '../logger.ts';
import { ownedBy } from '../scheduler/shard.ts';

export interface RunCommandOptions {
  config: Config;
  scheduleOverride?: string;
  /** Called once the daemon listens, e.g. to print where the demo is. */
  onStarted?: (daemon: Daemon, log: Logger) => void;
  /** Called after the daemon stopped, before the process exits. */
  onStopped?: () => Promise<void>;
  extra?: Pick<DaemonOptions, 'sinks'>;
}

/**
 * `pulse run`: the daemon until SIGTERM or SIGINT. The first signal stops gracefully (in-flight
 * runs finish within the grace period) and exits 0; a second one exits at once.
 */
export async function runUntilSignalled(options: RunCommandOptions): Promise<number> {
  const { config } = options;
  const pulse = compose(config, { kind: 'service' });
  const { log } = pulse;
  const daemon = await startDaemon({
    pulse,
    scheduleOverride: options.scheduleOverride,
    select: (journeys) => ownedBy(journeys, config.shard),
    ...options.extra,
  });
  options.onStarted?.(daemon, log);

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        log.warn({ event: 'forced_exit', signal }, 'second signal: exiting at once');
        log.flush();
        process.exit(130);
      }
      log.info({ event: 'signal', signal }, `${signal} received`);
      void daemon
        .stop()
        .then(() => options.onStopped?.())
        .then(
          () => 0,
          (error: unknown) => {
            log.error({ event: 'stop_failed', err: String(error) }, 'graceful stop failed');
            return 1;
          },
        )
        // Every line written before the process ends, the last heartbeats included.
        .then((code) => new Promise<number>((done) => log.flush(() => done(code))))
        .then(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
