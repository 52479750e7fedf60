import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { folderBytes } from '../../../src/store/folder-bytes.ts';
import { openRunStore } from '../../../src/store/run-store.ts';
import { runResult } from '../../support/run-result.ts';
import { tempDir } from '../../support/temp.ts';

/** Counts every statement prepared on any connection until the test ends, when node:test puts the method back. */
function countPrepares(t: TestContext): { readonly count: number } {
  const prepare = t.mock.method(Database.prototype, 'prepare');
  return {
    get count() {
      return prepare.mock.callCount();
    },
  };
}

test('every statement is prepared when the store opens; no query, page of a journey or write prepares another', async (t) => {
  const prepares = countPrepares(t);
  const store = openRunStore({ dataDir: tempDir(t) });
  t.after(() => store.close());
  assert.ok(prepares.count > 0, 'prepared at open');
  const at = Date.UTC(2026, 0, 1, 12);
  for (const journey of ['checkout', 'search', 'login']) {
    for (let i = 0; i < 5; i += 1) {
      await store.writer.onResult(
        runResult({
          journey,
          runId: `20260101T12000${i}Z-${journey}`,
          startedAt: new Date(at - i * 60_000).toISOString(),
          status: i === 1 ? 'failure' : 'success',
        }),
      );
    }
  }
  const opened = prepares.count;

  const names = store.queries.journeysWithHistory();
  assert.deepEqual(names, ['checkout', 'login', 'search']);
  for (const journey of names) {
    const stats = store.queries.stats(journey, at);
    assert.equal(stats.runs24h, 5);
    assert.equal(store.queries.stepHistory(journey, 60).length, 4);
    for (const query of [{}, { journey }, { status: 'failure' as const }, { journey, status: 'success' as const }]) {
      assert.ok(store.queries.listRuns(query).length > 0, JSON.stringify(query));
      assert.ok(store.queries.listRuns({ ...query, before: `20260101T120000Z-${journey}` }).length > 0, `${JSON.stringify(query)} before`);
    }
    const failed = store.queries.getRun(`20260101T120001Z-${journey}`);
    assert.equal(failed?.status, 'failure');
    assert.equal(store.queries.lastSuccessBefore(journey, failed.location, Date.parse(failed.startedAt))?.runId, `20260101T120002Z-${journey}`);
  }
  store.writer.runStarted({ runId: '20260101T130000Z-flight', journey: 'checkout', location: 'unit-1', startedAt: new Date(at).toISOString() });
  await store.writer.onResult(runResult({ runId: '20260101T130000Z-flight', startedAt: new Date(at).toISOString() }));
  store.ledger.runsWithArtifacts();
  store.ledger.inFlightRunIds();
  store.ledger.markPruned(['20260101T130000Z-flight']);
  store.ledger.deleteUnusedVersions();
  store.queries.journeyVersion('0'.repeat(64));
  store.pauses.activePauses();
  assert.equal(prepares.count, opened, 'nothing prepared after the store opened');
});

test('a result is readable at once; its evidence is sized afterwards, off the result path, and close waits for the size', async (t) => {
  const dataDir = tempDir(t);
  const store = openRunStore({ dataDir });
  t.after(() => store.close());
  const result = runResult({ status: 'failure', artifacts: { screenshot: 'checkout/20260101T000000Z-abcdef/attempt-2-screenshot.png' } });
  const folder = path.join(dataDir, 'artifacts', 'checkout', result.runId);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'attempt-1-screenshot.png'), Buffer.alloc(1_000));
  writeFileSync(path.join(folder, 'attempt-2-screenshot.png'), Buffer.alloc(234));

  const writing = store.writer.onResult(result);
  assert.equal(store.queries.getRun(result.runId)?.status, 'failure', 'in the store before the other sinks tell of it');
  assert.equal(store.queries.getRun(result.runId)?.artifactBytes, 0, 'not sized yet: no folder walk on the result path');
  await store.writer.close();
  assert.equal(store.queries.getRun(result.runId)?.artifactBytes, 1_234, "every attempt's evidence counts");
  await writing;
});

test('folderBytes counts the regular files in the folder, not links or subfolders; a folder that is not there is 0', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'page.html'), 'x'.repeat(100));
  writeFileSync(path.join(dir, 'console.json'), 'y'.repeat(20));
  mkdirSync(path.join(dir, 'nested'));
  writeFileSync(path.join(dir, 'nested', 'big.bin'), Buffer.alloc(5_000));
  symlinkSync(path.join(dir, 'nested', 'big.bin'), path.join(dir, 'link.bin'));
  assert.equal(await folderBytes(dir), 120);
  assert.equal(await folderBytes(path.join(dir, 'missing')), 0);
});
