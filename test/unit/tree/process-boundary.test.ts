// The process boundary in the tree: src/runner/ is the daemon's side, src/worker/ what runs inside a
// journey worker. Neither reaches the other, even through a module both use, so the daemon never
// loads the code that runs journeys and a worker never holds the daemon's parts.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const SRC = path.resolve(import.meta.dirname, '../../../src');

/** The src modules a file imports by relative path (static imports, re-exports and import()). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) =>
    path.resolve(path.dirname(file), match[1]!),
  );
  return found.filter((target) => target.startsWith(SRC + path.sep));
}

/** Every src module a folder's files reach, themselves included. */
function reachedFrom(folder: string): Set<string> {
  const start = readdirSync(path.join(SRC, folder))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(SRC, folder, name));
  const seen = new Set<string>();
  const queue = [...start];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...importsOf(file));
  }
  return seen;
}

const inside = (folder: string) => (file: string) => path.relative(SRC, file).startsWith(folder + path.sep);

for (const [side, other] of [
  ['runner', 'worker'],
  ['worker', 'runner'],
] as const) {
  test(`nothing src/${side}/ imports reaches src/${other}/`, () => {
    const reached = [...reachedFrom(side)];
    assert.ok(reached.filter(inside(side)).length > 1, `src/${side}/ has modules to check`);
    assert.deepEqual(
      reached.filter(inside(other)).map((file) => path.relative(SRC, file)),
      [],
    );
  });
}
