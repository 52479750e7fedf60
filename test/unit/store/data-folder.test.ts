import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { conditionOfErrno, describeCondition, diagnoseWriteError, probeDataFolder, tryWrite } from '../../../src/store/data-folder.ts';
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
  assert.equal(diagnoseWriteError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }), dir)?.condition, 'full');
  assert.equal(diagnoseWriteError(Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' }), dir)?.condition, 'read_only');
  assert.equal(diagnoseWriteError(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }), dir)?.condition, 'io_error');
  assert.equal(diagnoseWriteError(Object.assign(new Error('constraint failed'), { code: 'SQLITE_CONSTRAINT' }), dir), undefined);
  assert.equal(diagnoseWriteError(new Error('something else'), dir), undefined);
});

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
