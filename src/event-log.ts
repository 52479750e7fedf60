import type { Listener, ProberEvent } from './events.ts';
import type { Logger } from './logger.ts';

/** The prober's events as log lines; lag and push outcomes are counted, not logged (the queue logs its own failures). */
export function eventLog(log: Logger): Listener {
  return { name: 'log', hear: (event) => write(log, event) };
}

function write(log: Logger, event: ProberEvent): void {
  switch (event.kind) {
    case 'skipped':
      log.warn({ event: 'run_skipped', journey: event.journey, reason: event.reason }, `run of ${event.journey} skipped (${event.reason})`);
      return;
    case 'browser-relaunched':
      log.warn({ event: 'browser_restarted', reason: event.reason }, 'browser relaunched');
      return;
    case 'worker-replaced':
      log.warn(
        { event: 'worker_replaced', reason: event.reason, pid: event.pid, journey: event.journey, runId: event.runId, err: event.message },
        `journey worker ${event.pid} replaced (${event.reason})`,
      );
      return;
    case 'worker-leftover':
      log.error(
        { event: 'worker_leftover', journey: event.journey, runId: event.runId, kind: event.leftover, err: event.message },
        `a run of ${event.journey ?? 'a journey'} left its worker unfit for the next run (${event.leftover}); the worker is replaced`,
      );
      return;
    case 'store-problem': {
      const { problem } = event;
      log.error(
        {
          event: 'store_failed',
          operation: problem.operation,
          err: problem.message,
          ...(problem.reset ? { reset: true, setAside: problem.reset.setAside } : {}),
          ...(problem.diagnosis ? { condition: problem.diagnosis.condition, fix: problem.diagnosis.fix } : {}),
        },
        problem.reset
          ? `run store started afresh${problem.reset.setAside ? `; the damaged file is kept at ${problem.reset.setAside}` : ''}`
          : problem.diagnosis
            ? `run store ${problem.operation} failed: ${problem.diagnosis.message}; fix: ${problem.diagnosis.fix}`
            : `run store ${problem.operation} failed`,
      );
      return;
    }
    case 'lag':
    case 'pushed':
      return;
  }
}
