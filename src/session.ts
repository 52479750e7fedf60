// session(): a sign-in that pulse keeps between runs, as Playwright's setup project keeps its
// storageState; the journeys that declare it start signed in until it expires or is rejected.
import type { BrowserContext, Page } from 'playwright';
import { callerLocation, type JourneyParams } from './journey.ts';

/** What a sign-in and its check are given: the run's own page and context, and its params. */
export interface SessionContext {
  /** The run's page, in the run's context: what the sign-in leaves there is what is kept. */
  page: Page;
  context: BrowserContext;
  params: JourneyParams;
}

export interface SessionOptions {
  /** Unique, [a-z0-9-]: names the kept state (one file in the data folder) and the sign-in step. */
  name: string;
  /** How long a sign-in is reused, counted from the sign-in, e.g. '30m'. At most 30 days. */
  ttl: string | number;
  /** Signs in on `page`; the cookies and local storage it leaves in the context are what is kept. */
  signIn: (context: SessionContext) => Promise<void>;
  /**
   * Whether a kept session still holds, checked on a fresh page before the journey runs whenever a
   * kept one is reused: false, or a throw, means the target rejected it; pulse signs in once again
   * within the same attempt. Without it, a failed attempt on a kept session drops the session, so
   * that the retry (and every later run) signs in anew.
   */
  isSignedIn?: (context: SessionContext) => Promise<boolean>;
}

/**
 * The plain data of a session, with its TTL in ms: what the daemon keeps of it in a journey's
 * definition (its code stays in the worker that imports the journey).
 */
export interface SessionDefinition {
  name: string;
  ttlMs: number;
  /** Whether the author gave `isSignedIn` (else a failure on a kept session drops it). */
  checked: boolean;
  /** file:line of the session() call: two journeys share a session only if they import the same one. */
  declaredAt: string;
}

export const SESSION_BRAND = Symbol.for('pulse.session');

/** What session() returns; pass it to journeys as `session: shopUser`. */
export interface Session {
  readonly [SESSION_BRAND]: true;
  readonly options: SessionOptions;
  /** file:line where session() was called, when the stack tells. */
  readonly declaredAt: string | undefined;
}

/** Declares a kept sign-in: export it from a file of its own and import it into the journeys that need it. */
export function session(options: SessionOptions): Session {
  return Object.freeze({ [SESSION_BRAND]: true as const, options, declaredAt: callerLocation() });
}

export function isSession(value: unknown): value is Session {
  return typeof value === 'object' && value !== null && (value as Partial<Session>)[SESSION_BRAND] === true;
}

/** The step a sign-in shows as in the run's waterfall. */
export function signInStepName(name: string): string {
  return `sign in (${name})`;
}
