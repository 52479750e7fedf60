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
  /** What the browser said of a target that died during the attempt (its termination status), if anything did. */
  crash?: { status: string; errorCode: number } | undefined;
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

/** Playwright's words when a page's renderer died under a call, before or without the page's crash event. */
const CRASHED = /Target crashed|Page crashed|page crashed/;

/** A renderer that ran out of memory was killed for what the target's page did; any other ending is pulse's side. */
function describeLost(lost: Lost, crash: WhatHappened['crash']): { text: string; cause: FailureCause } {
  if (lost === 'browser') return { text: 'browser disconnected during the run', cause: 'prober' };
  if (crash?.status === 'oom')
    return { text: "the page's renderer ran out of memory (Chromium's termination status: oom): the target's page made it", cause: 'target' };
  const told = crash ? ` (Chromium's termination status: ${crash.status}, code ${crash.errorCode})` : '';
  return { text: `the page's renderer crashed${told}; not the target's doing as far as pulse can tell`, cause: 'prober' };
}

/** A success only when the body returned with every step passed and nothing went away under it. */
export function decideOutcome({ end, failed, lost: seenLost, crash, network, message }: WhatHappened): Decision {
  if (end.kind === 'returned' && !seenLost && !failed) return { status: 'success' };
  const ended = end.kind === 'broke' ? end.error : undefined;
  // A fault of the journey's own code outranks what a step saw next: a closed browser makes every later call fail.
  const error = ended instanceof JourneyFaultError ? ended : (failed?.error ?? ended);
  // The step may hear of the crash before the page's crash event does.
  const lost = seenLost ?? (!(error instanceof JourneyFaultError) && CRASHED.test(describeError(error).message) ? 'renderer' : undefined);
  if (lost) {
    const { text, cause } = describeLost(lost, crash);
    return {
      status: cause === 'target' ? 'failure' : 'error',
      error: { message: message(`${text}: ${describeError(error).message}`), step: failed?.name, reason: 'crash' },
      cause,
      ...(error instanceof JourneyFaultError ? { journeyFault: describeError(error).message } : {}),
    };
  }
  const verdict = judgeFailure(error, {
    problems: network.problems({ timedOut: isTimeout(error) }),
    document: network.documentProblem(),
    stillLoading: network.stillLoading(),
    pending: network.pending(),
  });
  // On-call read what broke first: the request that answered 500, then what the step noticed.
  const lead = verdict.lead.length ? `${verdict.lead.join('\n')}\n` : '';
  const runError: RunError = {
    message: message(`${lead}${describeError(error).message}`),
    step: failed?.name,
    reason: verdict.reason,
  };
  return {
    status: 'failure',
    error: runError,
    cause: verdict.cause,
    ...(error instanceof JourneyFaultError ? { journeyFault: runError.message } : {}),
  };
}
