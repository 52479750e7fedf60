import { describeError } from '../errors.ts';
import { SpecMisuseError } from '../spec/running.ts';
import type { FailureCause, FailureReason } from '../result.ts';
import type { RequestProblem } from './requests.ts';

/** Thrown by pulse when a step or the whole attempt ran past its budget. */
export class BudgetExceededError extends Error {
  override name = 'BudgetExceededError';
  constructor(
    readonly scope: 'step' | 'run',
    readonly budgetMs: number,
    /** The browser calls in flight when the budget ran out (e.g. locator.click); empty: none; undefined: not known. */
    readonly waitingIn?: readonly string[],
  ) {
    super(`${scope === 'step' ? 'step' : 'run'} timeout of ${budgetMs} ms exceeded${waitingIn?.length ? ` while waiting in ${waitingIn.join(', ')}` : ''}`);
  }
}

/**
 * The journey's own code misbehaved in a way no target can cause: it ended its process, threw
 * outside any awaited chain, closed its own browser, replaced pulse's globals, blocked its
 * worker or ran out of memory. Always reason `script`; the message says what the code did.
 */
export class JourneyFaultError extends Error {
  override name = 'JourneyFaultError';
}

/** Thrown into a step that was called after an earlier step failed. */
export class StepSkippedError extends Error {
  override name = 'StepSkippedError';
}

export interface FailureEvidence {
  /** The shown page answered >= 400, or a fetch/XHR of the failed step answered >= 500. */
  httpErrors: readonly string[];
  /** A main-frame navigation was still waiting for its answer when the step failed. */
  stillLoading: boolean;
}

/** A failure sorted for on-call: the reason, whose fault, and the failed requests to read before the error. */
export interface Verdict {
  reason: FailureReason;
  cause: Exclude<FailureCause, 'prober'>;
  /** Lines naming what broke (the request that answered 500), shown ahead of the error. */
  lead: string[];
}

export interface VerdictEvidence {
  /** Requests that went wrong during the failed step (see RequestWatch.problems). */
  problems: readonly RequestProblem[];
  /** The shown page answered an error status. */
  document?: RequestProblem;
  /** The page or its own API call was still loading. */
  stillLoading: boolean;
  /** What the page was still waiting for, when that explains a timeout. */
  pending: readonly string[];
}

// Errors only journey code makes: JavaScript's own, and Playwright refusing a call as written.
const CODE_ERRORS = new Set(['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError', 'EvalError', 'URIError']);
const MISUSE =
  /strict mode violation|is not a valid selector|Unexpected token .* while parsing (css )?selector|Unknown engine "|Unsupported token|expect\(.*\)\.\w+: (Expected|Received) value must be/i;

/** True when the error is a timeout of some kind: pulse's budget, Playwright's, or an expect that gave up. */
export function isTimeout(error: unknown): boolean {
  if (error instanceof BudgetExceededError) return true;
  const { name, message } = describeError(error);
  return name === 'TimeoutError' || /Timeout \d+ms exceeded|Timed out \d+ms waiting for expect/.test(message);
}

/**
 * Decides whose fault a failed attempt is, in this order: the journey's own code (a fault, a
 * JavaScript error, a call Playwright refused, a wait on nothing pulse can see); a request to the
 * journey's own origins that failed in the step (target), or failed requests only elsewhere
 * (third_party); otherwise the page did not do what the step expected (target).
 */
export function judgeFailure(error: unknown, evidence: VerdictEvidence): Verdict {
  if (error instanceof JourneyFaultError) return { reason: 'script', cause: 'journey', lead: [] };
  const { name, message } = describeError(error);
  if (CODE_ERRORS.has(name) || error instanceof SpecMisuseError || MISUSE.test(stripAnsi(message))) return { reason: 'script', cause: 'journey', lead: [] };
  const blocking = evidence.problems.filter((problem) => problem.blocking);
  if (error instanceof BudgetExceededError && error.waitingIn?.length === 0 && !evidence.stillLoading && blocking.length === 0) {
    return {
      reason: 'timeout',
      cause: 'journey',
      lead: ["the journey's own code was waiting on neither the browser nor the network (a promise that never settles?)"],
    };
  }
  const navigationFailed = /net::ERR_|NS_ERROR_/.test(message);
  const own = blocking.filter((problem) => problem.own);
  const others = blocking.filter((problem) => !problem.own);
  const document = evidence.document;
  const blamed = own.length > 0 ? own : document?.own ? [document] : others.length > 0 ? others : document ? [document] : [];
  if (blamed.length > 0) {
    const cause = blamed[0]!.own ? 'target' : 'third_party';
    const reason = navigationFailed ? 'navigation' : blamed.some((problem) => problem.kind === 'http') ? 'http' : blamed[0]!.kind;
    return { reason, cause, lead: blamed.map((problem) => problem.text) };
  }
  const reason = classifyFailure(error, { httpErrors: [], stillLoading: evidence.stillLoading });
  const lead =
    reason === 'timeout' && evidence.stillLoading && evidence.pending.length > 0 ? [`the page was still waiting for ${evidence.pending.join(', ')}`] : [];
  return { reason, cause: 'target', lead };
}

const NAVIGATION = /net::ERR_|NS_ERROR_|page\.goto:|frame\.goto:|Navigation failed|navigating to .* interrupted/i;

/**
 * Sorts a failure into the small fixed set on-call filters by. What the user would have seen
 * outranks what the script noticed next: an error page is `http` even when an expect caught it,
 * and an expect that gave up while the page was still loading is a `timeout`.
 */
export function classifyFailure(error: unknown, evidence: FailureEvidence): FailureReason {
  if (error instanceof JourneyFaultError) return 'script';
  if (error instanceof BudgetExceededError) return 'timeout';
  const { name, message } = describeError(error);
  if (/net::ERR_|NS_ERROR_/.test(message)) return 'navigation';
  if (evidence.httpErrors.length > 0) return 'http';
  if (evidence.stillLoading) return 'timeout';
  if (isAssertion(error, name, message)) return 'assertion';
  if (name === 'TimeoutError' || /Timeout \d+ms exceeded/.test(message)) return 'timeout';
  if (NAVIGATION.test(message)) return 'navigation';
  return 'script';
}

function isAssertion(error: unknown, name: string, message: string): boolean {
  if (name === 'AssertionError') return true;
  if (typeof error === 'object' && error !== null && 'matcherResult' in error) return true;
  return /^expect\(/.test(stripAnsi(message).trim());
}

// Playwright's expect colours its messages for terminals; logs and the UI want plain text.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
