// A journey's body with its kept sign-in in front: the kept state checked when the session has a
// check, a sign-in (as a step of its own) when there is no state or the check rejected it, and
// the fresh state read from the context for the daemon to keep.
import type { JourneyBody, JourneyContext } from '../journey.ts';
import type { GrowingRedactor } from '../redact.ts';
import { sessionSecrets } from '../redact.ts';
import { signInStepName, type Session } from '../session.ts';
import type { SessionReport, SessionState } from '../worker-protocol.ts';

export interface SessionBodyOptions {
  body: JourneyBody;
  session: Session;
  /** The kept state the context was opened with; absent: sign in first. */
  kept: SessionState | undefined;
  /** The attempt's redactor: the fresh state's values join it the moment they exist. */
  redact: GrowingRedactor;
  /** What became of the session, told as soon as it is known (the body may still fail after). */
  report: (report: SessionReport) => void;
}

export function sessionBody({ body, session, kept, redact, report }: SessionBodyOptions): JourneyBody {
  const { name, signIn, isSignedIn } = session.options;
  return async (lent: JourneyContext) => {
    const { page, context, params, step } = lent;
    if (kept) {
      if (!isSignedIn || (await holds(isSignedIn, lent))) {
        report({ outcome: 'reused' });
        return body(lent);
      }
      // Rejected: forget it at once, then sign in once, in this attempt.
      report({ outcome: 'dropped' });
      await context.clearCookies();
    }
    await step(signInStepName(name), async () => {
      await signIn({ page, context, params });
    });
    const state = await context.storageState();
    redact.add(sessionSecrets(state));
    report({ outcome: 'signed-in', state, rejected: kept !== undefined });
    return body(lent);
  };
}

/** The session's check: false, or a throw (an assertion that found the sign-in form), is a rejection. */
async function holds(isSignedIn: NonNullable<Session['options']['isSignedIn']>, { page, context, params }: JourneyContext): Promise<boolean> {
  try {
    return (await isSignedIn({ page, context, params })) === true;
  } catch {
    return false;
  }
}
