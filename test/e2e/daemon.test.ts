import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { DaemonProcess, NEVER, OPEN_WRITES, type LogLine } from '../support/daemon-process.ts';
import { CHECKOUT_ONLY } from '../support/journey-files.ts';
import { browserMains, descendants } from '../support/processes.ts';
import { parseSamples, sample } from '../support/prom-text.ts';
import { freePort } from '../support/ports.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { rawGet } from '../support/raw-get.ts';
import { tempDir } from '../support/temp.ts';

const isHeartbeat = (journey: string) => (line: LogLine) => line.event === 'heartbeat' && line.journey === journey;

// The tests about one journey run the checkout alone, not all the bundled journeys every two seconds,
// on one slot: with one journey, at most one run is ever in flight.
const CHECKOUT_ALONE = [...CHECKOUT_ONLY, '--concurrency', '1'];

describe('pulse run, the daemon', () => {
  let shop: Shop;
  before(async () => {
    shop = await startShop();
  });
  after(async () => {
    await shop.close();
  });

  const daemon = (t: { after: (fn: () => Promise<unknown>) => void }, args: string[] = [], env: NodeJS.ProcessEnv = {}) => {
    // No test here is about the control journey: none of its runs load the cores the other files share.
    const process = new DaemonProcess(['--base-url', shop.url, '--data-dir', tempDir(t as never), '--location', 'test-1', ...args], {
      PULSE_CONTROL_INTERVAL: 'off',
      ...env,
    });
    t.after(() => process.stop());
    return process;
  };

  test('heartbeats on a short schedule: counters grow, step histograms per step, up = 1, fresh last success, JSON log lines with every step', async (t) => {
    const pulse = daemon(t, [...CHECKOUT_ALONE, '--schedule', '*/2 * * * * *']);
    await pulse.started();
    await pulse.waitFor(isHeartbeat('checkout'), 30_000);
    const first = parseSamples(await pulse.metrics());
    const firstCount = sample(first, 'pulse_heartbeats_total', { journey: 'checkout' }) ?? 0;
    const seen = pulse.lines.length;
    await pulse.waitFor(isHeartbeat('checkout'), 30_000, seen);
    const second = parseSamples(
      await pulse.metricsWhen((text) => (sample(parseSamples(text), 'pulse_heartbeats_total', { journey: 'checkout' }) ?? 0) > firstCount),
    );

    assert.ok((sample(second, 'pulse_heartbeats_total', { journey: 'checkout', location: 'test-1' }) ?? 0) > firstCount, 'heartbeats grow');
    assert.equal(sample(second, 'pulse_journey_up', { journey: 'checkout', location: 'test-1' }), 1);
    const lastSuccess = sample(second, 'pulse_journey_last_success_timestamp_seconds', { journey: 'checkout' })!;
    assert.ok(Math.abs(Date.now() / 1000 - lastSuccess) < 30, `last success ${lastSuccess} is recent`);
    assert.equal(
      sample(second, 'pulse_journey_interval_seconds', { journey: 'checkout' }),
      2,
      'the interval it really runs at (the --schedule override), which the flatline alert counts in',
    );
    for (const step of ['open home', 'search for a product', 'add to cart', 'review cart', 'check out', 'see order number']) {
      assert.ok((sample(second, 'pulse_step_duration_seconds_count', { journey: 'checkout', step }) ?? 0) >= 1, `histogram for step ${step}`);
      assert.ok(sample(second, 'pulse_step_duration_seconds_bucket', { journey: 'checkout', step, le: '+Inf' }) !== undefined);
    }
    assert.equal(sample(second, 'pulse_journey_runs_total', { journey: 'checkout', result: 'failure' }), 0, 'failure counter exists from the start at 0');

    const heartbeat = pulse.lines.find(isHeartbeat('checkout'))!;
    assert.equal(heartbeat.location, 'test-1');
    assert.match(String(heartbeat.runId), /^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    assert.equal(typeof heartbeat.durationMs, 'number');
    const steps = heartbeat.steps as { name: string; durationMs: number }[];
    assert.deepEqual(
      steps.map((s) => s.name),
      ['open home', 'search for a product', 'add to cart', 'review cart', 'check out', 'see order number'],
    );
    assert.ok(steps.every((s) => typeof s.durationMs === 'number' && s.durationMs >= 0));
  });

  test('a webhook nobody answers: the push is retried, given up and counted; the daemon beats on and the run is kept', async (t) => {
    // A port that was free a moment ago and that nothing listens on: every try is refused.
    const dead = `http://127.0.0.1:${await freePort()}/ping`;
    const pulse = daemon(t, [...CHECKOUT_ALONE, '--schedule', NEVER, '--webhook-url', dead], OPEN_WRITES);
    await pulse.started();
    const run = await pulse.runNow('checkout');
    const first = await pulse.waitFor((l) => isHeartbeat('checkout')(l) && l.runId === run.runId, 30_000);
    const failed = await pulse.waitFor((line) => line.event === 'push_failed' && line.sink === 'webhook', 60_000);
    assert.equal(failed.outcome, 'failed');
    const metrics = parseSamples(
      await pulse.metricsWhen((text) => (sample(parseSamples(text), 'pulse_push_deliveries_total', { sink: 'webhook', outcome: 'failed' }) ?? 0) >= 1),
    );
    assert.ok((sample(metrics, 'pulse_push_deliveries_total', { sink: 'webhook', outcome: 'failed' }) ?? 0) >= 1, "counted through the sinks' fan-out");
    const next = await pulse.runNow('checkout');
    await pulse.waitFor((l) => isHeartbeat('checkout')(l) && l.runId === next.runId, 30_000, pulse.lines.indexOf(failed) + 1);
    const stored = (await (await fetch(`${pulse.url}/api/runs/${encodeURIComponent(String(first.runId))}`)).json()) as { status?: string };
    assert.equal(stored.status, 'success', 'the run the push was about is in the store');
  });

  test('the checkout fault turns up to 0 and counts the failure by step and reason; mending it brings up back to 1', async (t) => {
    // All the bundled journeys loaded, each run when the test asks: the checkout, then under the fault
    // the checkout and the search, then the checkout mended.
    const pulse = daemon(t, ['--schedule', NEVER, '--journeys', 'journeys', '--concurrency', '1'], OPEN_WRITES);
    await pulse.started();
    const beat = await pulse.runNow('checkout');
    await pulse.waitFor((l) => isHeartbeat('checkout')(l) && l.runId === beat.runId, 30_000);
    shop.setFaults({ checkout500: true });
    t.after(() => shop.resetFaults());
    const broken = await pulse.runNow('checkout');
    const failed = await pulse.waitFor((l) => l.event === 'journey_failed' && l.runId === broken.runId, 30_000);
    assert.equal(failed.journey, 'checkout');
    assert.equal(failed.step, 'see order number');
    assert.equal(failed.reason, 'http');
    assert.match(String(failed.error), /^POST \/checkout answered 500\n/);
    assert.equal(failed.cause, 'target');
    assert.match(String(failed.runUrl), /\/runs\/\d{8}T/);
    assert.match(String((failed.artifacts as Record<string, string>).screenshot), /^\/artifacts\/checkout\/.*screenshot\.png$/);
    const search = await pulse.runNow<{ status?: string }>('search');
    assert.equal(search.status, 'success', 'the search runs under the checkout fault');
    const down = parseSamples(
      await pulse.metricsWhen(
        (text) =>
          sample(parseSamples(text), 'pulse_journey_up', { journey: 'checkout' }) === 0 &&
          sample(parseSamples(text), 'pulse_journey_up', { journey: 'search' }) === 1,
      ),
    );
    assert.equal(sample(down, 'pulse_journey_up', { journey: 'checkout' }), 0);
    assert.ok((sample(down, 'pulse_journey_failures_total', { journey: 'checkout', step: 'see order number', reason: 'http' }) ?? 0) >= 1);
    assert.ok((sample(down, 'pulse_journey_attempts_total', { journey: 'checkout', result: 'failure' }) ?? 0) >= 2, 'the retry is counted as an attempt');
    assert.equal(sample(down, 'pulse_journey_up', { journey: 'search' }), 1, 'search is unaffected');

    shop.resetFaults();
    const again = await pulse.runNow('checkout');
    await pulse.waitFor((l) => isHeartbeat('checkout')(l) && l.runId === again.runId, 30_000);
    const mended = await pulse.metricsWhen((text) => sample(parseSamples(text), 'pulse_journey_up', { journey: 'checkout' }) === 1);
    assert.equal(sample(parseSamples(mended), 'pulse_journey_up', { journey: 'checkout' }), 1);
  });

  test('a journey slower than its interval: ticks are skipped and counted, runs never overlap', async (t) => {
    const pulse = daemon(t, ['--journeys', 'test/fixtures/slow-journeys', '--concurrency', '1']);
    await pulse.started();
    await pulse.waitFor(isHeartbeat('slow'), 30_000);
    const seen = pulse.lines.length;
    await pulse.waitFor(isHeartbeat('slow'), 30_000, seen);
    const metrics = parseSamples(
      await pulse.metricsWhen((text) => (sample(parseSamples(text), 'pulse_runs_skipped_total', { journey: 'slow', reason: 'overlap' }) ?? 0) >= 2),
    );
    assert.ok((sample(metrics, 'pulse_runs_skipped_total', { journey: 'slow', reason: 'overlap' }) ?? 0) >= 2);
    const starts = pulse.lines.filter((l) => l.event === 'run_started').map((l) => Date.parse(l.time));
    const ends = pulse.lines.filter(isHeartbeat('slow')).map((l) => Date.parse(l.time));
    // Every run starts after the previous one ended.
    for (let i = 1; i < starts.length; i += 1) assert.ok(ends[i - 1] !== undefined && starts[i]! >= ends[i - 1]!, `run ${i} started before run ${i - 1} ended`);
    assert.ok((sample(metrics, 'pulse_schedule_lag_seconds_count') ?? 0) >= 2, 'schedule lag measured');
  });

  test('/metrics passes promtool check metrics with no complaint about pulse_ metrics', async (t) => {
    const pulse = daemon(t, [...CHECKOUT_ALONE, '--schedule', '*/2 * * * * *']);
    await pulse.started();
    await pulse.waitFor(isHeartbeat('checkout'), 30_000);
    const text = await pulse.metricsWhen((body) => body.includes('pulse_step_duration_seconds_bucket'));
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    assert.ok(!check.error, `promtool missing (apt-get install prometheus): ${check.error?.message}`);
    const complaints = `${check.stdout}\n${check.stderr}`.split('\n').filter((line) => line.includes('pulse_'));
    assert.deepEqual(complaints, []);

    // Asked as Prometheus asks (gzip): one gzip stream holding the whole body, the live process metrics at its end.
    const gzip = await rawGet(pulse.url, '/metrics', { 'accept-encoding': 'gzip' });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.equal(gzip.headers['vary'], 'accept-encoding');
    const unzipped = gunzipSync(gzip.bytes).toString();
    assert.equal(inflateRawSync(gzip.bytes.subarray(10, -8)).toString(), unzipped, 'one gzip member, as curl and browsers read only the first');
    assert.match(unzipped, /^pulse_step_duration_seconds_bucket\{/m);
    assert.match(unzipped, /^process_cpu_seconds_total /m);
    const gzipCheck = spawnSync('promtool', ['check', 'metrics'], { input: unzipped, encoding: 'utf8', timeout: 30_000 });
    assert.deepEqual(
      `${gzipCheck.stdout}\n${gzipCheck.stderr}`.split('\n').filter((line) => line.includes('pulse_')),
      [],
    );
    // Not asked for, or refused: the text as it is.
    for (const accept of [undefined, 'gzip;q=0, identity']) {
      const plain = await rawGet(pulse.url, '/metrics', accept ? { 'accept-encoding': accept } : {});
      assert.equal(plain.headers['content-encoding'], undefined, `Accept-Encoding: ${accept}`);
      assert.match(plain.body, /^pulse_step_duration_seconds_bucket\{/m);
    }
  });

  test('Chromium killed mid-run: that run is an error, the browser is relaunched, the next run succeeds, the daemon lives on', async (t) => {
    const pulse = daemon(t, [...CHECKOUT_ALONE, '--schedule', '*/2 * * * * *']);
    await pulse.started();
    await pulse.waitFor(isHeartbeat('checkout'), 30_000);
    shop.setFaults({ delayMs: 1_500 });
    t.after(() => shop.resetFaults());
    const started = await pulse.waitFor((l) => l.event === 'run_started', 30_000, pulse.lines.length);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [browser] = browserMains(pulse.child.pid!);
    assert.ok(browser, 'the warm browser runs under the daemon');
    process.kill(browser.pid, 'SIGKILL');
    const lost = await pulse.waitFor((l) => l.event === 'journey_error' && l.runId === started.runId, 30_000);
    assert.match(String(lost.error), /browser disconnected/);
    shop.resetFaults();
    await pulse.waitFor((l) => l.event === 'heartbeat', 30_000, pulse.lines.indexOf(lost));
    const metrics = parseSamples(
      await pulse.metricsWhen(
        (text) =>
          sample(parseSamples(text), 'pulse_browser_restarts_total') === 1 &&
          (sample(parseSamples(text), 'pulse_journey_runs_total', { journey: String(started.journey), result: 'error' }) ?? 0) >= 1,
      ),
    );
    assert.equal(sample(metrics, 'pulse_browser_restarts_total'), 1);
    assert.ok((sample(metrics, 'pulse_journey_runs_total', { journey: String(started.journey), result: 'error' }) ?? 0) >= 1);
    assert.equal(pulse.child.exitCode, null, 'still running');
    assert.equal(browserMains(pulse.child.pid!).length, 1);
  });

  test('SIGTERM during a run: the run completes and is recorded, exit 0 within the grace period, no Chromium left', async (t) => {
    const pulse = daemon(t, [...CHECKOUT_ALONE, '--schedule', '*/2 * * * * *', '--grace-period', '20s']);
    await pulse.started();
    await pulse.waitFor(isHeartbeat('checkout'), 30_000);
    shop.setFaults({ delayMs: 700 });
    t.after(() => shop.resetFaults());
    const started = await pulse.waitFor((l) => l.event === 'run_started' && l.journey === 'checkout', 30_000, pulse.lines.length);
    const browserTree = descendants(pulse.child.pid!)
      .filter((p) => /chrom/.test(p.cmdline))
      .map((p) => p.pid);
    assert.ok(browserTree.length > 0);
    const signalled = Date.now();
    const code = await pulse.stop(25_000);
    assert.equal(code, 0);
    assert.ok(Date.now() - signalled < 20_000, 'exits within the grace period');
    const finished = pulse.lines.find((l) => l.runId === started.runId && (l.event === 'heartbeat' || l.event === 'journey_failed'));
    assert.ok(
      finished,
      `the in-flight run ${started.runId} finished and was recorded:\n${pulse.lines
        .slice(-12)
        .map((l) => JSON.stringify(l).slice(0, 300))
        .join('\n')}`,
    );
    assert.equal(finished.event, 'heartbeat');
    assert.ok(pulse.lines.some((l) => l.event === 'stopped'));
    const alive = browserTree.filter((pid) => isAlive(pid));
    assert.deepEqual(alive, [], 'no Chromium process left behind');
  });

  test('invalid settings exit non-zero with one message naming each', async () => {
    const run = await runPulse(['run', '--port', '70000', '--location', 'EU West!', '--concurrency', '0']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /PULSE_PORT \(--port\)="70000": must be at most 65535/);
    assert.match(run.stderr, /PULSE_LOCATION \(--location\)="EU West!": must be 1-63 lower-case letters/);
    assert.match(run.stderr, /PULSE_CONCURRENCY \(--concurrency\)="0": must be at least 1/);
    const schedule = await runPulse(['run', '--schedule', 'often']);
    assert.equal(schedule.code, 2);
    assert.match(schedule.stderr, /--schedule 'often' is not a valid cron expression/);
  });
});

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
