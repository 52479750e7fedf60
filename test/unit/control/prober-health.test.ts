import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { LIMITS, ProberHealth, type ProberStatus } from '../../../src/control/prober-health.ts';
import type { StoreDiagnosis } from '../../../src/events.ts';
import type { StoreHealth } from '../../../src/store/database.ts';
import { describeCondition } from '../../../src/store/data-folder.ts';
import { storeCondition } from '../../../src/store/store-condition.ts';
import { overviewPage } from '../../../src/web/views/overview.ts';
import { tempDir } from '../../support/temp.ts';

const healthy: StoreHealth = { failures: 0, last: undefined, resets: [], inMemory: false, failing: undefined };

/** A store whose writes fail now for the reason given, or a healthy one. */
function storeFailingFor(diagnosis: StoreDiagnosis | undefined): StoreHealth {
  if (!diagnosis) return healthy;
  const problem = { operation: 'write' as const, message: diagnosis.message, at: '2026-12-03T10:00:00.000Z', diagnosis };
  return { ...healthy, failures: 1, last: problem, failing: problem };
}

function harness(t: TestContext) {
  let now = 1_000_000;
  let store: StoreDiagnosis | undefined;
  let launchFailure: string | undefined;
  const changes: ProberStatus[] = [];
  const health = new ProberHealth({
    controlIntervalMs: undefined,
    controlBudgetMs: 0,
    browserLaunchFailure: () => launchFailure,
    // The real judge of the store's condition, over a data folder that is sound.
    storeCondition: storeCondition({
      dataDir: tempDir(t),
      store: () => storeFailingFor(store),
      lock: () => undefined,
    }),
    eventLoop: { take: () => ({ p99Ms: 10, maxMs: 20 }), close: () => undefined },
    now: () => now,
    publish: () => undefined,
    changed: (status) => changes.push(status),
  });
  return {
    health,
    changes,
    advance: (ms: number) => (now += ms),
    setStore: (diagnosis: StoreDiagnosis | undefined) => (store = diagnosis),
    setLaunchFailure: (message: string | undefined) => (launchFailure = message),
  };
}

test('a failing store degrades pulse, it does not take it down; the reason is told, and each new reason is news', (t) => {
  const h = harness(t);
  assert.equal(h.health.evaluate().state, 'up');
  h.setStore(describeCondition('full', '/data'));
  const degraded = h.health.evaluate();
  assert.equal(degraded.state, 'degraded');
  assert.equal(degraded.up, true, 'pulse can still probe: pulse_prober_up stays 1');
  assert.equal(degraded.checks.store?.ok, false);
  assert.match(degraded.checks.store.detail, /^no space left on the device holding the data folder \/data; fix: /);
  assert.equal(degraded.store?.condition, 'full');
  assert.deepEqual(
    degraded.failing.map(({ check, degrading }) => ({ check, degrading })),
    [{ check: 'store', degrading: true }],
    'the failing checks, worked out once',
  );
  assert.equal(h.changes.length, 1);
  h.health.evaluate();
  assert.equal(h.changes.length, 1, 'the same reason again is no news');
  h.setStore(describeCondition('read_only', '/data'));
  assert.equal(h.health.evaluate().store?.condition, 'read_only');
  assert.equal(h.changes.length, 2, 'a new reason is');
  h.setStore(undefined);
  const mended = h.health.evaluate();
  assert.equal(mended.state, 'up');
  assert.equal(mended.store, undefined);
  assert.equal(h.changes.length, 3);
});

test('a prober that cannot probe is down, whatever its store; store failures in a window alone degrade', (t) => {
  const h = harness(t);
  h.setStore(describeCondition('read_only', '/data'));
  h.setLaunchFailure('spawn ENOENT');
  const down = h.health.evaluate();
  assert.equal(down.state, 'down');
  assert.equal(down.up, false);
  assert.deepEqual(
    down.failing.map(({ check, degrading }) => ({ check, degrading })),
    [
      { check: 'browser', degrading: false },
      { check: 'store', degrading: true },
    ],
  );
  h.setLaunchFailure(undefined);
  h.setStore(undefined);
  assert.equal(h.health.evaluate().state, 'up');
  for (let i = 0; i < LIMITS.storeFailures; i += 1) h.health.storeFailed();
  const failing = h.health.evaluate();
  assert.equal(failing.state, 'degraded');
  assert.equal(failing.store?.condition, 'failing');
  h.advance(LIMITS.storeWindowMs + 1);
  assert.equal(h.health.evaluate().state, 'up');
});

test('the prober panel: DEGRADED with the reason in plain words and the fix, the store row apart from the checks that take pulse down', (t) => {
  const h = harness(t);
  h.setStore(describeCondition('read_only', '/data/<pulse>'));
  const page = overviewPage([], 'unit-1', Date.now(), undefined, h.health.evaluate()).value;
  assert.match(page, /data-prober-state="degraded"/);
  assert.match(page, /<span class="badge degraded">DEGRADED<\/span>/);
  assert.match(page, /data-store-condition="read_only"><strong>Run store degraded:<\/strong> the data folder \/data\/&lt;pulse&gt; is read-only\./);
  assert.match(page, /the journeys' alerts are not held/);
  assert.match(page, /Fix: its file system was mounted or turned read-only/);
  assert.doesNotMatch(page, /pulse itself is sick/);
  h.setLaunchFailure('spawn ENOENT');
  const down = overviewPage([], 'unit-1', Date.now(), undefined, h.health.evaluate()).value;
  assert.match(down, /data-prober-state="down"/);
  assert.match(down, /pulse itself is sick/);
  assert.match(down, /data-store-condition="read_only"/, 'the store is told while down too');
  assert.doesNotMatch(down, /alerts are not held/);
});
