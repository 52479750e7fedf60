import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { lockDataFolder } from '../../../src/store/data-lock.ts';
import { tempDir } from '../../support/temp.ts';

test('a lock released cleanly leaves nothing to say', async (t) => {
  const dir = tempDir(t);
  const lock = await lockDataFolder(dir);
  assert.equal(await lock.release(), undefined);
});

test('a holder file that cannot be removed, in a folder that takes writes, is told of the lock file, not of the run store', async (t) => {
  const dir = tempDir(t);
  const lock = await lockDataFolder(dir);
  // A folder in place of the holder file: its removal fails (EISDIR), which names no condition of the folder.
  const holder = path.join(dir, 'pulse.lock.json');
  rmSync(holder);
  mkdirSync(holder);
  writeFileSync(path.join(holder, 'in-the-way'), '');
  const left = await lock.release();
  assert.match(left ?? '', new RegExp(`^the lock ${escape(path.join(dir, 'pulse.lock'))} stays behind \\(${escape(holder)} cannot be removed: `));
  assert.match(left ?? '', /the next pulse on this host takes it over$/);
  assert.doesNotMatch(left ?? '', /run store|keeps failing/);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
