import type { JourneyDefinition } from '../journey.ts';
import { type Pause, type PauseBook, type PauseScope, covers, describeScope } from './pauses.ts';

/** Where an operation is reported: who did what, for the log. */
export interface OperationsLog {
  info(fields: object, message: string): void;
}

export type RunNowOutcome = { runId: string } | { error: 'unknown' | 'busy' | 'stopping'; runId?: string };

/** What on-call can do to a running daemon: run a journey now, pause and resume. */
export interface Operations {
  runNow(journey: string, by: string): RunNowOutcome;
  pause(request: { scope: PauseScope; untilMs: number; reason: string; by: string }): Pause | { error: 'unknown' };
  resume(match: { ids?: readonly number[]; scope?: PauseScope }, by: string): Pause[];
  pauses(): Pause[];
  /** The pauses holding one journey now. */
  pausesOf(journey: JourneyDefinition): Pause[];
}

export interface OperationsOptions {
  journeys: readonly JourneyDefinition[];
  pauses: PauseBook;
  /** Starts a run now through the scheduler; returns its id, or why not. */
  trigger: (journey: string, by: string) => RunNowOutcome;
  /** Called after every pause or resume, to publish the paused gauges. */
  onPausesChanged: () => void;
  log: OperationsLog;
}

export function createOperations(options: OperationsOptions): Operations {
  const { journeys, pauses, log } = options;
  return {
    runNow(journey, by) {
      const outcome = options.trigger(journey, by);
      log.info(
        { event: 'operation', action: 'run_now', journey, by, ...outcome },
        'runId' in outcome && !('error' in outcome)
          ? `${by} started a run of ${journey}`
          : `${by} asked for a run of ${journey}: ${'error' in outcome ? outcome.error : ''}`,
      );
      return outcome;
    },
    pause(request) {
      // A pause for a journey or tag nothing here has is a typo: say so rather than hold nothing.
      if (request.scope.kind !== 'all' && !journeys.some((journey) => covers(request.scope, journey))) return { error: 'unknown' };
      const pause = pauses.add(request);
      options.onPausesChanged();
      log.info(
        {
          event: 'operation',
          action: 'pause',
          by: request.by,
          scope: describeScope(request.scope),
          until: pause.until,
          reason: request.reason,
          pauseId: pause.id,
        },
        `${request.by} paused ${describeScope(request.scope)} until ${pause.until}: ${request.reason}`,
      );
      return pause;
    },
    resume(match, by) {
      const ended = pauses.resume(match, by);
      options.onPausesChanged();
      for (const pause of ended) {
        log.info(
          { event: 'operation', action: 'resume', by, scope: describeScope(pause.scope), pauseId: pause.id },
          `${by} resumed ${describeScope(pause.scope)}`,
        );
      }
      return ended;
    },
    pauses: () => pauses.active(),
    pausesOf: (journey) => pauses.covering(journey),
  };
}
