/**
 * `pulse once --pushgateway-url` against a real Pushgateway and the demo shop: each journey's
 * run lands in its own group (job pulse, journey, location); a failed run turns up to 0 and
 * keeps the last success's time and step durations.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { parseSamples, sample } from '../support/prom-text.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { startServerBinary, type ServerBinary } from '../support/server-binary.ts';

const STEPS = ['open home', 'search for a product', 'add to cart', 'review cart', 'check out', 'see order number'];

describe('pulse once pushing to a real Pushgateway', () => {
  let shop: Shop;
  let gateway: ServerBinary;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pulse-test-'));
    gateway = await startServerBinary({
      binary: '/usr/bin/prometheus-pushgateway',
      install: 'apt-get install prometheus-pushgateway',
      args: ['--web.listen-address={address}', `--persistence.file=${path.join(dir, 'pushgateway.db')}`],
    });
    shop = await startShop();
  });
  after(async () => {
    await shop?.close();
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const once = (args: string[]) =>
    runPulse(['once', ...args, '--base-url', shop.url, '--data-dir', path.join(dir, 'data'), '--location', 'ci-1', '--pushgateway-url', gateway.url]);
  const pushed = async () => parseSamples(await (await fetch(`${gateway.url}/metrics`)).text());
  const checkout = { job: 'pulse', journey: 'checkout', location: 'ci-1' };

  test('a healthy checkout: up 1, success status, attempts, durations and every step gauge in group journey=checkout', async () => {
    const run = await once(['checkout']);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /push_failed/);
    const metrics = await pushed();
    assert.equal(sample(metrics, 'pulse_journey_up', checkout), 1);
    assert.equal(sample(metrics, 'pulse_journey_last_run_status', { ...checkout, result: 'success' }), 1);
    assert.equal(sample(metrics, 'pulse_journey_last_run_status', { ...checkout, result: 'failure' }), 0);
    assert.equal(sample(metrics, 'pulse_journey_attempts', checkout), 1);
    assert.ok(sample(metrics, 'pulse_journey_last_duration_seconds', checkout)! > 0);
    const lastSuccess = sample(metrics, 'pulse_journey_last_success_timestamp_seconds', checkout)!;
    assert.ok(Math.abs(Date.now() / 1000 - lastSuccess) < 60, `last success ${lastSuccess} is recent`);
    assert.equal(sample(metrics, 'pulse_journey_last_run_timestamp_seconds', checkout), lastSuccess);
    for (const step of STEPS) assert.ok(sample(metrics, 'pulse_step_last_duration_seconds', { ...checkout, step })! > 0, `step gauge ${step}`);
    assert.ok(sample(metrics, 'push_time_seconds', checkout)! > 0, 'the Pushgateway took the group');
  });

  test('checkout500: up 0 and failure status for checkout, its last success and step gauges kept; search in its own group stays up', async (t) => {
    const before = await pushed();
    shop.setFaults({ checkout500: true });
    t.after(() => shop.resetFaults());
    const run = await once(['checkout', 'search', '--retries', '0']);
    assert.equal(run.code, 1, run.stderr);
    assert.doesNotMatch(run.stderr, /push_failed/);

    const metrics = await pushed();
    assert.equal(sample(metrics, 'pulse_journey_up', checkout), 0);
    assert.equal(sample(metrics, 'pulse_journey_last_run_status', { ...checkout, result: 'failure' }), 1);
    assert.equal(sample(metrics, 'pulse_journey_last_run_status', { ...checkout, result: 'success' }), 0);
    assert.equal(sample(metrics, 'pulse_journey_attempts', checkout), 1);
    assert.ok(sample(metrics, 'pulse_journey_last_run_timestamp_seconds', checkout)! > sample(before, 'pulse_journey_last_run_timestamp_seconds', checkout)!);
    assert.equal(
      sample(metrics, 'pulse_journey_last_success_timestamp_seconds', checkout),
      sample(before, 'pulse_journey_last_success_timestamp_seconds', checkout),
      'the last success survives a failed run in a new process',
    );
    for (const step of STEPS) {
      assert.equal(
        sample(metrics, 'pulse_step_last_duration_seconds', { ...checkout, step }),
        sample(before, 'pulse_step_last_duration_seconds', { ...checkout, step }),
        `step ${step} of the last success`,
      );
    }

    const search = { job: 'pulse', journey: 'search', location: 'ci-1' };
    assert.equal(sample(metrics, 'pulse_journey_up', search), 1);
    assert.equal(sample(metrics, 'pulse_journey_last_run_status', { ...search, result: 'success' }), 1);
  });
});
