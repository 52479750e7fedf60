/**
 * One thing wrong with the settings or the journeys: where it is, what is wrong and how to fix
 * it. Settings and journey files report every problem at once in this shape, never as text.
 */
export interface Problem {
  /** A file path relative to the working folder (with `:line` when known), or a setting's name. */
  where: string;
  /** The value given for a setting, as the person wrote it (quoted), or `(hidden)` for a secret. */
  value?: string;
  /** The field of the journey definition to blame, e.g. `schedule` or `thresholds.lcp`. */
  field?: string;
  message: string;
  fix: string;
}

/** `where[=value]: [field:] message; fix: fix`, the one line a person reads. */
export function formatProblem(problem: Problem): string {
  const value = problem.value === undefined ? '' : `=${problem.value}`;
  const field = problem.field ? ` ${problem.field}:` : '';
  return `${problem.where}${value}:${field} ${problem.message}; fix: ${problem.fix}`;
}
