// Deciding an attempt's outcome from what happened: how the body ended, the step that failed, what
// went away under it, and the requests that tell whose fault a failure is.
import type { FailureCause, RunError } from '../result.ts';
import type { BodyEnd } from './body.ts';
import { describeError } from '../errors.ts';
import { JourneyFaultError, isTimeout, judgeFailure } from './classify.ts';
import type { Lost } from './journey-watch.ts';
import type { RequestWatch } from './requests.ts';
import type { FailedStep } from './steps.ts';

export interface WhatHappened {
  end: BodyEnd;
  /** The step that decides, when one failed. */
  failed: FailedStep | undefined;
  /** What went away under the attempt without the journey closing it. */
  lost: Lost | undefined;
  /** The requests a failure is judged on, read at the moment it is decided. */
  network: Pick<RequestWatch, 'problems' | 'documentProblem' | 'stillLoading' | 'pending'>;
  /** A text as on-call see it: redacted, plain, not too long. */
  message: (text: string) => string;
}

export type Decision =
  | { status: 'success' }
  | {
      status: 'failure' | 'error';
      error: RunError;
      cause: FailureCause;
      /** The error's message, when the journey's own code decided the attempt: its worker is not reused. */
      journeyFault?: string;
    };

const LOST: Record<Lost, string> = {
  renderer: "the page's renderer crashed (not the target's doing as far as pulse can tell)",
  browser: 'browser disconnected during the run',
};

/** A success only when the body returned with every step passed and nothing went away under it. */
export function decideOutcome({ end, failed, lost, network, message }: WhatHappened): Decision {
  if (end.kind === 'returned' && !lost && !failed) return { status: 'success' };
  const ended = end.kind === 'broke' ? end.error : undefined;
  // A fault of the journey's own code outranks what a step saw next: a closed browser makes every later call fail.
  const error = ended instanceof JourneyFaultError ? ended : (failed?.error ?? ended);
  const verdict = lost
    ? undefined
    : judgeFailure(error, { problems: network.problems({ timedOut: isTimeout(error) }), document: network.documentProblem(), stillLoading: network.stillLoading(), pending: network.pending() });
  // On-call read what broke first: the request that answered 500, then what the step noticed.
  const lead = verdict?.lead.length ? `${verdict.lead.join('\n')}\n` : '';
  const runError: RunError = {
    message: message(lost ? `${LOST[lost]}: ${describeError(error).message}` : `${lead}${describeError(error).message}`),
    step: failed?.name,
    reason: verdict?.reason,
  };
  return {
    status: lost ? 'error' : 'failure',
    error: runError,
    cause: verdict?.cause ?? 'prober',
    ...(error instanceof JourneyFaultError ? { journeyFault: runError.message } : {}),
  };
}
