import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readdirSync, watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { conditionOfErrno, describeCondition, diagnoseStoreError, probeDataFolder, tryWrite } from '../../../src/store/data-folder.ts';
import { STORE_CONDITIONS } from '../../../src/events.ts';
import { tempDir } from '../../support/temp.ts';

test('an errno names the condition, also when a library replaced the code (a lock refresh refused by a read-only disk)', () => {
  assert.equal(conditionOfErrno(Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS', errno: -30 })), 'read_only');
  assert.equal(
    conditionOfErrno(Object.assign(new Error("EROFS: read-only file system, utime '/x/pulse.lock'"), { code: 'ECOMPROMISED', errno: -30 })),
    'read_only',
  );
  assert.equal(conditionOfErrno({ code: 'ENOSPC' }), 'full');
  assert.equal(conditionOfErrno({ code: 'EDQUOT' }), 'full');
  assert.equal(conditionOfErrno({ code: 'EACCES' }), 'not_permitted');
  assert.equal(conditionOfErrno({ code: 'EIO' }), 'io_error');
  assert.equal(
    conditionOfErrno(Object.assign(new Error('Unable to update lock within the stale threshold'), { code: 'ECOMPROMISED' })),
    undefined,
    'a real takeover is no folder condition',
  );
  assert.equal(conditionOfErrno({ code: 'ENOENT', errno: -2 }), undefined);
  assert.equal(conditionOfErrno('not an error'), undefined);
});

test('a healthy, writable folder says nothing; a write error then speaks by its SQLite code', (t) => {
  const dir = tempDir(t);
  assert.equal(probeDataFolder(dir), undefined);
  assert.equal(tryWrite(dir), undefined);
  assert.deepEqual(readdirSync(dir), [], 'the write check leaves nothing behind');
  assert.equal(tryWrite(path.join(dir, 'gone')), undefined, 'a folder that is not there names no condition of a disk');
  assert.equal(diagnoseStoreError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }), dir, 'write')?.condition, 'full');
  assert.equal(
    diagnoseStoreError(Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' }), dir, 'write')?.condition,
    'read_only',
  );
  assert.equal(diagnoseStoreError(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }), dir, 'write')?.condition, 'io_error');
  assert.equal(diagnoseStoreError(Object.assign(new Error('constraint failed'), { code: 'SQLITE_CONSTRAINT' }), dir, 'write'), undefined);
  assert.equal(diagnoseStoreError(new Error('something else'), dir, 'write'), undefined);
});

test(
  'a failure with a clear code is told by that code without writing into the folder; only an ambiguous write tries a write',
  { timeout: 30_000 },
  async (t) => {
    const dir = tempDir(t);
    // inotify sees every file made in the folder, in order: a marker of ours closes the part under test.
    const made: string[] = [];
    const watcher = watch(dir, (_event, name) => made.push(String(name)));
    t.after(() => watcher.close());
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    assert.equal(diagnoseStoreError(full, dir, 'read')?.condition, 'full');
    assert.equal(
      diagnoseStoreError(Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' }), dir, 'read')?.condition,
      'read_only',
    );
    assert.equal(diagnoseStoreError(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_READ' }), dir, 'read')?.condition, 'io_error');
    assert.equal(diagnoseStoreError(full, dir, 'write')?.condition, 'full', 'a write refused with a clear code needs no write of ours either');
    writeFileSync(path.join(dir, 'marker'), '');
    await seen(made, (name) => name === 'marker');
    assert.deepEqual(made.slice(0, made.indexOf('marker')), [], 'nothing written into the folder before the marker');

    // The watch does see a write check: the I/O error of a write (ext4 turned read-only after an error says only that) tries one.
    assert.equal(diagnoseStoreError(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }), dir, 'write')?.condition, 'io_error');
    await seen(made, (name) => name.startsWith('.pulse-write-check-'));
  },
);

/** Resolves once the watch has seen a file `wanted` names (the test's timeout fails it otherwise). */
async function seen(made: string[], wanted: (name: string) => boolean): Promise<void> {
  while (!made.some(wanted)) await new Promise((resolve) => setTimeout(resolve, 20));
}

test('every condition in plain words names the folder and a fix; never an SQLite code', () => {
  for (const condition of STORE_CONDITIONS) {
    const said = describeCondition(condition, '/var/lib/pulse');
    assert.equal(said.condition, condition);
    assert.match(said.message, /\/var\/lib\/pulse/, condition);
    assert.ok(said.fix.length > 20, condition);
    assert.doesNotMatch(`${said.message} ${said.fix}`, /SQLITE_|E[A-Z]{3,}/, condition);
  }
  assert.equal(describeCondition('read_only', '/x').message, 'the data folder /x is read-only');
  assert.equal(describeCondition('full', '/x').message, 'no space left on the device holding the data folder /x');
  assert.doesNotMatch(describeCondition('read_only', '/x').message, /taken over/);
});
