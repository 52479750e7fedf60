// The one error a person is shown: what is wrong (naming the file or setting), how to fix it,
// and how the process exits. Anything else that escapes a command is a bug and keeps its stack.
import { formatProblem, type Problem } from './problem.ts';

/** How a command ends: 0 all good, 1 a journey failed or a problem was found, 2 pulse could not do its job. */
export type ExitCode = 0 | 1 | 2;

/** Set only where a caller or a test must tell one error from the others. */
export type PulseErrorCode = 'browser-not-found' | 'newer-schema';

interface PulseErrorFields {
  code?: PulseErrorCode;
  /** What is wrong, naming the file or setting and the value at fault. */
  message: string;
  /** 2 unless said otherwise: pulse could not do what it was asked. */
  exitCode?: Exclude<ExitCode, 0>;
  cause?: unknown;
}

/** Either one fix, or several problems that each carry their own (invalid settings). */
export type PulseErrorInit = PulseErrorFields & ({ fix: string; problems?: undefined } | { problems: readonly Problem[]; fix?: undefined });

/**
 * pulse cannot start or do what it was asked as configured. The CLI prints its message and exits
 * with its exit code, no stack. The message is built here from the parts, never pasted by callers.
 */
export class PulseError extends Error {
  override name = 'PulseError';
  readonly code: PulseErrorCode | undefined;
  /** What is wrong, without the fix: for a message that wraps this one. */
  readonly summary: string;
  readonly fix: string | undefined;
  readonly problems: readonly Problem[];
  readonly exitCode: Exclude<ExitCode, 0>;

  constructor(init: PulseErrorInit) {
    super(render(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.summary = init.message;
    this.fix = init.fix;
    this.problems = init.problems ?? [];
    this.exitCode = init.exitCode ?? 2;
  }
}

/** `message; fix: fix`, or the message followed by one line per problem. */
function render(init: PulseErrorInit): string {
  if (init.problems) return [`${init.message}:`, ...init.problems.map((problem) => `  ${formatProblem(problem)}`)].join('\n');
  return `${init.message}; fix: ${init.fix}`;
}

/**
 * The name and message of anything thrown, for logs, run results and messages that wrap it. The
 * cause's message is added when the message does not hold it already (fetch's "fetch failed"
 * keeps ECONNREFUSED in its cause).
 */
export function describeError(error: unknown): { name: string; message: string } {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const cause = error.cause instanceof Error && !error.message.includes(error.cause.message) ? `: ${error.cause.message}` : '';
  return { name: error.name, message: `${error.message}${cause}` };
}
