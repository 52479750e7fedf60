import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'node:test';
import type { JourneyVersion } from '../../../src/journey.ts';
import { compareWithLastGood } from '../../../src/store/since-last-good.ts';
import { pruneArtifacts } from '../../../src/store/retention.ts';
import { openRunStore } from '../../../src/store/run-store.ts';
import { MAX_VERSIONS_PER_JOURNEY } from '../../../src/store/run-writer.ts';
import { runResult } from '../../support/run-result.ts';
import { tempDir } from '../../support/temp.ts';

const DAY = 86_400_000;

function version(n: number, commit?: string): JourneyVersion {
  return {
    hash: String(n).repeat(64).slice(0, 64),
    ...(commit ? { commit } : {}),
    files: [
      { path: 'checkout.journey.ts', text: `export default ${n};\n` },
      { path: 'lib/login.ts', text: 'export const login = 1;\n' },
    ],
    ...(n === 3 ? { unresolved: ['../shared.ts (imported by checkout.journey.ts): outside the journeys folder'] } : {}),
  };
}

test('each distinct version is kept once, with its source; a run reads back which version it ran and at which commit', async (t) => {
  const store = openRunStore({ dataDir: tempDir(t) });
  t.after(() => store.close());
  await store.writer.onResult(runResult({ runId: '20260101T000000Z-aaaaaa', version: version(1, 'c'.repeat(40)) }));
  await store.writer.onResult(runResult({ runId: '20260101T000100Z-bbbbbb', startedAt: '2026-01-01T00:01:00.000Z', version: version(1, 'd'.repeat(40)) }));
  await store.writer.onResult(runResult({ runId: '20260101T000200Z-cccccc', startedAt: '2026-01-01T00:02:00.000Z', version: version(3) }));
  await store.writer.onResult(runResult({ runId: '20260101T000300Z-dddddd', startedAt: '2026-01-01T00:03:00.000Z' }));

  assert.deepEqual(store.queries.getRun('20260101T000000Z-aaaaaa')?.version, { hash: version(1).hash, commit: 'c'.repeat(40) });
  assert.deepEqual(store.queries.getRun('20260101T000100Z-bbbbbb')?.version, { hash: version(1).hash, commit: 'd'.repeat(40) }, 'the commit is the run’s own');
  assert.deepEqual(store.queries.getRun('20260101T000200Z-cccccc')?.version, { hash: version(3).hash });
  assert.equal(store.queries.getRun('20260101T000300Z-dddddd')?.version, undefined, 'a run that recorded no version has none');
  assert.equal(
    store.queries.listRuns().every((run) => !('files' in (run.version ?? {}))),
    true,
    'a run carries no source',
  );

  assert.deepEqual(store.queries.journeyVersion(version(1).hash), { hash: version(1).hash, files: version(1).files });
  assert.deepEqual(store.queries.journeyVersion(version(3).hash), { hash: version(3).hash, files: version(3).files, unresolved: version(3).unresolved });
  assert.equal(store.queries.journeyVersion('f'.repeat(64)), undefined);
});

test('retention drops the source of a version once no kept run ran it, and keeps it while one does', async (t) => {
  const dataDir = tempDir(t);
  const store = openRunStore({ dataDir });
  t.after(() => store.close());
  const now = Date.UTC(2026, 5, 1);
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  // Version 1 ran 40 and 10 days ago, version 2 only 40 days ago, version 3 yesterday.
  await store.writer.onResult(runResult({ runId: '20260422T000000Z-old111', startedAt: at(40), version: version(1) }));
  await store.writer.onResult(runResult({ runId: '20260422T000000Z-old222', startedAt: at(40), version: version(2) }));
  await store.writer.onResult(runResult({ runId: '20260522T000000Z-mid111', startedAt: at(10), version: version(1) }));
  await store.writer.onResult(runResult({ runId: '20260531T000000Z-new333', startedAt: at(1), version: version(3) }));

  const policy = { maxAgeMs: 7 * DAY, maxBytes: 1 << 30, historyMaxAgeMs: 30 * DAY };
  const first = await pruneArtifacts({ ledger: store.ledger, artifactsRoot: `${dataDir}/artifacts`, policy, now });
  assert.equal(first.deletedRuns, 2);
  assert.equal(first.deletedVersions, 1, 'only version 2 lost its last run');
  assert.equal(store.queries.journeyVersion(version(2).hash), undefined);
  assert.ok(store.queries.journeyVersion(version(1).hash), 'version 1 still has a run 10 days old');
  assert.ok(store.queries.journeyVersion(version(3).hash));

  const later = await pruneArtifacts({ ledger: store.ledger, artifactsRoot: `${dataDir}/artifacts`, policy, now: now + 25 * DAY });
  assert.equal(later.deletedRuns, 1);
  assert.equal(later.deletedVersions, 1);
  assert.equal(store.queries.journeyVersion(version(1).hash), undefined, 'its last run forgotten, version 1 goes too');
  assert.ok(store.queries.journeyVersion(version(3).hash));

  // A version whose source went comes back whole with the next run that runs it.
  await store.writer.onResult(runResult({ runId: '20260626T000000Z-back11', startedAt: new Date(now + 25 * DAY).toISOString(), version: version(1) }));
  assert.deepEqual(store.queries.journeyVersion(version(1).hash)?.files, version(1).files);
});

test('a journey that is a new version at every run keeps the sources of its latest versions only, and other journeys keep theirs', async (t) => {
  const store = openRunStore({ dataDir: tempDir(t) });
  t.after(() => store.close());
  const hashOf = (n: number) => n.toString(16).padStart(64, '0');
  const total = MAX_VERSIONS_PER_JOURNEY + 5;
  await store.writer.onResult(runResult({ journey: 'search', runId: '20260101T000000Z-search', version: { ...version(7), hash: 'e'.repeat(64) } }));
  for (let n = 1; n <= total; n += 1) {
    await store.writer.onResult(runResult({ runId: `20260101T000000Z-${String(n).padStart(6, '0')}`, version: { ...version(1), hash: hashOf(n) } }));
  }
  const kept = Array.from({ length: total }, (_, i) => i + 1).filter((n) => store.queries.journeyVersion(hashOf(n)) !== undefined);
  assert.deepEqual(
    kept,
    Array.from({ length: MAX_VERSIONS_PER_JOURNEY }, (_, i) => total - MAX_VERSIONS_PER_JOURNEY + 1 + i),
    'the newest ones',
  );
  assert.ok(store.queries.journeyVersion('e'.repeat(64)), 'another journey is not trimmed');
  assert.equal(store.queries.getRun('20260101T000000Z-000001')?.version?.hash, hashOf(1), 'the run still says which version it ran');
});

test('a stored version whose source is not JSON, or JSON of another shape, is a source not kept: no store problem, no diff', async (t) => {
  const dataDir = tempDir(t);
  const store = openRunStore({ dataDir });
  t.after(() => store.close());
  await store.writer.onResult(runResult({ runId: '20260101T000000Z-good11', version: version(1) }));
  await store.writer.onResult(runResult({ runId: '20260101T000100Z-fail22', startedAt: '2026-01-01T00:01:00.000Z', status: 'failure', version: version(2) }));
  const good = store.queries.getRun('20260101T000000Z-good11')!;
  const failed = store.queries.getRun('20260101T000100Z-fail22')!;
  const raw = new Database(path.join(dataDir, 'runs.sqlite'));
  t.after(() => raw.close());
  for (const files of ['not json', '{}', '[{"path":1}]', 'null']) {
    raw.prepare('UPDATE journey_versions SET files = ? WHERE hash = ?').run(files, version(1).hash);
    assert.equal(store.queries.journeyVersion(version(1).hash), undefined, files);
    assert.equal(store.queries.health().failing, undefined, `${files}: the store works, it is not failing`);
    assert.equal(store.queries.health().failures, 0, files);
    const sources = { now: store.queries.journeyVersion(version(2).hash), then: store.queries.journeyVersion(version(1).hash) };
    const compared = compareWithLastGood(failed, good, sources);
    assert.ok(compared.journeyChanged, `${files}: the change of version is still told`);
    assert.equal(compared.journeyChanged.diff, undefined, `${files}: with one source not kept there is no diff`);
  }
  raw
    .prepare('UPDATE journey_versions SET files = ?, unresolved = ? WHERE hash = ?')
    .run(JSON.stringify(version(1).files), '{"not":"a list"}', version(1).hash);
  assert.equal(store.queries.journeyVersion(version(1).hash), undefined, 'unresolved of another shape');
  assert.equal(store.queries.health().failing, undefined);
});
