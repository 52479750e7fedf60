import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';

/** One change from a shipped file to its test copy, so that minutes of production fit in seconds. */
export interface Rewrite<F extends string = string> {
  file: F;
  from: string;
  /** `{name}` is filled from the values given to writeRewritten. */
  to: string;
  why: string;
}

/**
 * Writes the test copy of a shipped file with its rewrites applied. Each rewrite must match, so a
 * change to the shipped file cannot silently slow a test down or leave it stale.
 */
export async function writeRewritten<F extends string>(
  source: string,
  file: F,
  target: string,
  rewrites: readonly Rewrite<F>[],
  values: Record<string, string> = {},
): Promise<string> {
  let text = await readFile(source, 'utf8');
  for (const rewrite of rewrites.filter((r) => r.file === file)) {
    assert.ok(text.includes(rewrite.from), `${file} no longer contains '${rewrite.from}' (${rewrite.why}); update the test's rewrites`);
    text = text.replaceAll(
      rewrite.from,
      rewrite.to.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? `{${name}}`),
    );
  }
  await writeFile(target, text);
  return target;
}
