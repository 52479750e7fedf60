import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh folder removed after the test. */
export function tempDir(t: TestContext | { after: (fn: () => void) => void }, prefix = 'pulse-test-'): string {
  const dir = makeTempDir(prefix);
  t.after(() => removeDir(dir));
  return dir;
}

/** A fresh folder for a whole suite; remove it with removeDir in the suite's after hook. */
export function makeTempDir(prefix = 'pulse-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
