// The one place pulse is put together from a Config: the redactor, the logger that uses it, the
// sink fan-out with the configured push sinks, and the prober whose events reach those sinks.
// `pulse run`, `pulse demo` and `pulse once` all start here.
import { secretPartners, secretValues, type Config } from './config.ts';
import { createLogger, logStrayRejections, type Logger } from './logger.ts';
import { createProber, type Prober } from './prober.ts';
import { createRedactor, type Redactor } from './redact.ts';
import { createPushSinks } from './sinks/push-sinks.ts';
import { SinkFanout } from './sinks/sink.ts';

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
  /** Every sink hears of every result and event through it; the push sinks are in it from the start. */
  readonly sinks: SinkFanout;
  /** The browser, the journey workers and the runner; browser restarts and replaced workers reach the sinks. */
  createProber(options?: { workers?: number }): Promise<Prober>;
}

export function compose(config: Config, output: LogOutput): Composition {
  const redact = createRedactor(secretValues(config), secretPartners(config));
  const log =
    output.kind === 'service'
      ? createLogger({ level: config.logLevel, format: config.logFormat, redact, base: { location: config.location } })
      : createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, format: 'json', destination: { write: (line: string) => output.stream.write(line) }, redact });
  logStrayRejections(log);
  const sinks = new SinkFanout(log);
  sinks.add(...createPushSinks(config, log, { onOutcome: (sink, outcome) => sinks.onPushOutcome(sink, outcome) }));
  return {
    config,
    redact,
    log,
    sinks,
    createProber: (options = {}) =>
      createProber({
        config,
        log,
        redact,
        workers: options.workers,
        onBrowserRestart: () => sinks.onBrowserRestart(),
        onWorkerReplaced: (reason) => sinks.onWorkerReplaced(reason),
      }),
  };
}
