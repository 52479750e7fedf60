// How an attempt ended when its journey's body did not decide it (outcome.ts judges what a body did):
// whose fault each such ending is, answered here once for both sides of the process boundary, and
// the failed result it makes, built here only.
import type { AttemptResult, FailureCause, FailureReason, RunError } from './result.ts';
import type { WorkerEnding } from './worker-protocol.ts';

export type Ending =
  /** The journey's file did not import, or did not define a valid journey. */
  | { kind: 'not-loaded' }
  /** The attempt left its worker unfit for later runs: memory kept, live handles, changed built-ins (worker-protocol.ts Leftover). */
  | { kind: 'left-behind' }
  /** pulse could not get the attempt going: no worker, no browser, no context, a call of its own that failed. */
  | { kind: 'not-run' }
  /** The worker's browser went away under the attempt, not by the journey's doing. */
  | { kind: 'browser-lost' }
  /** The machine kept the CPU from the attempt, so its timeout says nothing about the target. */
  | { kind: 'starved' }
  /** The attempt's worker was ended under it. */
  | { kind: 'worker-ended'; worker: WorkerEnding };

/** The journey's own code (its attempt is a failure) or pulse's side (an error). */
export type Fault = Extract<FailureCause, 'journey' | 'prober'>;

export function whoseFault(ending: Ending): Fault {
  switch (ending.kind) {
    case 'not-loaded':
    case 'left-behind':
      return 'journey';
    case 'not-run':
    case 'browser-lost':
    case 'starved':
      return 'prober';
    case 'worker-ended':
      return whoEndedWorker(ending.worker);
  }
}

/** Only journey code holds a worker past a budget or fills its memory; a fault, an exit or a leftover is the journey's while its own code ran (or left it). */
function whoEndedWorker({ reason, during }: WorkerEnding): Fault {
  switch (reason) {
    case 'budget':
    case 'load':
    case 'memory':
      return 'journey';
    case 'fault':
    case 'exit':
    case 'leftover':
      return during === 'journey' ? 'journey' : 'prober';
    case 'stalled':
    case 'error':
    case 'browser':
      return 'prober';
  }
}

/** An attempt so far: its number and time at least; a whole result when the ending overrides how it ended. */
export type AttemptSoFar = Pick<AttemptResult, 'attempt' | 'durationMs'> & Partial<AttemptResult>;

/**
 * The result of an attempt that ended so: a failure of the journey's own code (reason script),
 * or pulse's error (a lost browser is a crash); what the attempt had besides stays.
 */
export function failedAttempt(ending: Ending, error: Pick<RunError, 'message' | 'step'>, so: AttemptSoFar): AttemptResult {
  const cause = whoseFault(ending);
  const reason: FailureReason | undefined = cause === 'journey' ? 'script' : ending.kind === 'browser-lost' ? 'crash' : undefined;
  const { attempt, durationMs, steps = [], artifacts = {}, status: _status, error: _error, cause: _cause, ...kept } = so;
  return {
    attempt,
    status: cause === 'journey' ? 'failure' : 'error',
    durationMs,
    steps,
    error: { message: error.message, ...(error.step ? { step: error.step } : {}), ...(reason ? { reason } : {}) },
    cause,
    artifacts,
    ...kept,
  };
}
