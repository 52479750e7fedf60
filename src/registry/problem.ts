/** One thing wrong with the journeys or the settings, with where it is and how to fix it. */
export interface Problem {
  /** File path relative to the working folder, or a setting's name. */
  where: string;
  /** The field of the journey definition, when one is to blame. */
  field?: string;
  message: string;
  fix: string;
}

export function formatProblem(problem: Problem): string {
  const field = problem.field ? ` ${problem.field}:` : '';
  return `${problem.where}:${field} ${problem.message}; fix: ${problem.fix}`;
}
