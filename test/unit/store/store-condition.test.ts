import assert from 'node:assert/strict';
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
