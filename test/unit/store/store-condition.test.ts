import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { StoreProblem } from '../../../src/events.ts';
import type { StoreHealth } from '../../../src/store/database.ts';
import { describeCondition } from '../../../src/store/data-folder.ts';
import type { LockLoss } from '../../../src/store/data-lock.ts';
import { storeCondition } from '../../../src/store/store-condition.ts';
import { tempDir } from '../../support/temp.ts';

const healthy: StoreHealth = { failures: 0, last: undefined, resets: [], inMemory: false, failing: undefined };
const failedWrite: StoreProblem = { operation: 'write', message: 'disk I/O error', at: '2026-12-03T10:00:00.000Z' };

test('the store now: nothing while all is well; a store in memory, a lost lock, failing writes, each with its reason', (t) => {
  const dir = tempDir(t);
  let store: StoreHealth = healthy;
  let lock: LockLoss | undefined;
  const now = storeCondition({ dataDir: dir, store: () => store, lock: () => lock });
  assert.equal(now(), undefined);

  store = { ...healthy, failures: 1, last: failedWrite, failing: failedWrite };
  assert.equal(now()?.condition, 'failing', 'a write failing for a reason the folder does not show');
  store = { ...store, failing: { ...failedWrite, diagnosis: describeCondition('io_error', dir) } };
  assert.equal(now()?.condition, 'io_error');

  lock = { diagnosis: describeCondition('lock_lost', dir), error: 'Unable to update lock within the stale threshold' };
  assert.equal(now()?.condition, 'lock_lost', 'a lost lock before a failing write');
  store = { ...store, inMemory: true };
  assert.equal(now()?.condition, 'in_memory', 'history in memory only first');

  store = { ...healthy, failures: 1, last: failedWrite };
  lock = undefined;
  assert.equal(now(), undefined, 'a failure that a write since has mended is past');
  assert.deepEqual(now(true), describeCondition('failing', dir), 'failing too often lately, in the same words as failing now');
});

test('a lock lost to a folder that refused writes: the refusal while writes still fail, then no longer held once the folder is mended', (t) => {
  const dir = tempDir(t);
  const readOnly = describeCondition('read_only', dir);
  let store: StoreHealth = { ...healthy, failures: 1, last: failedWrite, failing: { ...failedWrite, diagnosis: readOnly } };
  const lock: LockLoss = { diagnosis: readOnly, error: "EROFS: read-only file system, utime '/x/pulse.lock'" };
  const now = storeCondition({ dataDir: dir, store: () => store, lock: () => lock });
  assert.equal(now()?.condition, 'read_only', 'the writes still fail: the folder still refuses them (ext4 turned read-only still says writable)');

  store = { ...healthy, failures: 1, last: failedWrite };
  const mended = now();
  assert.equal(mended?.condition, 'lock_lost', 'a write has passed since: the folder is mended, the lock stays lost');
  assert.equal(
    mended?.message,
    `the data folder lock on ${dir} is no longer held (taken over by another process, or not refreshed while the folder refused writes)`,
  );
  assert.match(mended?.fix ?? '', /^restart pulse/);
  assert.doesNotMatch(mended?.message ?? '', /read-only/);
});

test('a lock taken over says by whom, read from its holder file now; one that names this process or no one is no longer held', (t) => {
  const dir = tempDir(t);
  const lock: LockLoss = { diagnosis: describeCondition('lock_lost', dir), error: 'Unable to update lock within the stale threshold' };
  const now = storeCondition({ dataDir: dir, store: () => healthy, lock: () => lock });
  assert.match(now()?.message ?? '', /is no longer held/, 'no holder file');

  const holder = path.join(dir, 'pulse.lock.json');
  writeFileSync(holder, JSON.stringify({ pid: 4242, host: 'elsewhere', since: '2026-12-03T10:00:00.000Z' }));
  const taken = now();
  assert.equal(taken?.condition, 'lock_lost');
  assert.equal(
    taken?.message,
    `the lock on the data folder ${dir} was taken over by pulse pid 4242 on elsewhere since 2026-12-03T10:00:00.000Z; two writers may now share it`,
  );
  assert.match(taken?.fix ?? '', /let one pulse only use this data folder/);

  writeFileSync(holder, JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-12-03T10:00:00.000Z' }));
  assert.match(now()?.message ?? '', /is no longer held/, 'the holder file still names this process');
  for (const hostile of ['null', '{"pid":"1; rm -rf /","host":7}', '{"pid":4242', '']) {
    writeFileSync(holder, hostile);
    assert.match(now()?.message ?? '', /is no longer held/, `a holder file of ${JSON.stringify(hostile)} names no one`);
  }
});
