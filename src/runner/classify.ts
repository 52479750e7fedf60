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

/** Thrown into a step that was called after an earlier step failed. */
export class StepSkippedError extends Error {
  override name = 'StepSkippedError';
}

export interface FailureEvidence {
  /** HTTP statuses of documents (>= 400) and fetch/XHR calls (>= 500) seen during the failed step. */
  httpErrors: readonly number[];
}

const NAVIGATION = /net::ERR_|NS_ERROR_|page\.goto:|frame\.goto:|Navigation failed|navigating to .* interrupted/i;

/**
 * Sorts a failure into the small fixed set on-call filters by. An HTTP error answer during the
 * failed step outranks what the script saw next, since it is the cause on-call needs.
 */
export function classifyFailure(error: unknown, evidence: FailureEvidence): FailureReason {
  if (error instanceof BudgetExceededError) return 'timeout';
  if (evidence.httpErrors.length > 0) return 'http';
  const { name, message } = describeError(error);
  if (/net::ERR_|NS_ERROR_/.test(message)) return 'navigation';
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
