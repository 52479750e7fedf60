import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogFormat, LogLevel } from './config.ts';
import type { Redactor } from './redact.ts';

export type { Logger };

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; stdout by default. Tests pass their own stream and read the lines back. */
  destination?: DestinationStream;
  redact?: Redactor;
  base?: Record<string, string>;
}

/** JSON lines by default; readable lines when a person watches a terminal (format auto) or asks for pretty. */
export function createLogger(options: LoggerOptions): Logger {
  const redact = options.redact;
  const pretty = options.format === 'pretty' || (options.format === 'auto' && !options.destination && process.stdout.isTTY === true);
  const pinoOptions: pino.LoggerOptions = {
    level: options.level,
    base: options.base ?? {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Secret param values can reach messages through errors and step names; strip them from every line.
    ...(redact ? { hooks: { streamWrite: (line: string) => redact(line) } } : {}),
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  if (pretty) {
    return pino(pinoOptions, pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } }));
  }
  return pino(pinoOptions, pino.destination({ dest: 1, sync: false }));
}

/** A journey that forgets an `await` leaves a promise that rejects after its run: log it, never die of it. */
export function logStrayRejections(log: Logger): void {
  process.on('unhandledRejection', (reason) => {
    log.error(
      { event: 'unhandled_rejection', err: reason instanceof Error ? reason.message : String(reason) },
      'a promise rejected with nobody waiting for it (a missing await in a journey?)',
    );
  });
}
