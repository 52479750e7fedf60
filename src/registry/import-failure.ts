// Why a journey or spec file did not import, in one line that points at the spot.
import { describeError } from '../errors.ts';

/** One line saying what broke and where: esbuild's syntax error, or the throw site of an import-time error. */
export function importFailure(error: unknown, file: string): string {
  const lines = describeError(error)
    .message.split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  // esbuild: "Transform failed with 1 error:" then "/abs/file.ts:4:42: ERROR: Expected ...".
  const syntax = lines.find((line) => line.startsWith(file));
  if (syntax) return `syntax error at line ${syntax.slice(file.length + 1).replace(/: ERROR: /, ': ')}`;
  const message = lines[0] ?? 'unknown error';
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const at = new RegExp(`${escapeRegExp(file)}:(\\d+):\\d+`).exec(stack);
  return at ? `${message} (thrown at line ${at[1]})` : message;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
