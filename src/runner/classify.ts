import type { FailureReason } from '../result.ts';

/** Thrown by pulse when a step or the whole attempt ran past its budget. */
export class BudgetExceededError extends Error {
  override name = 'BudgetExceededError';
  constructor(
    readonly scope: 'step' | 'run',
    readonly budgetMs: number,
  ) {
    super(`${scope === 'step' ? 'step' : 'run'} timeout of ${budgetMs} ms exceeded`);
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

export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

// Playwright's expect colours its messages for terminals; logs and the UI want plain text.
const ANSI = /\u001b\[[0-9;]*m/g;
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
