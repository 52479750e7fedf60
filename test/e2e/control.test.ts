/**
 * pulse watching itself: the prober health checks on an injected clock, the control journey's
 * slot, and a real `pulse run` whose control journey passes against its own page (behind auth,
 * never listed as a journey) or fails when its browser cannot start.
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { resolveConfig } from '../../src/config.ts';
import { findCpuPressureFile, someAvg60 } from '../../src/control/cpu-pressure.ts';
import { LIMITS, ProberHealth, type EventLoopSource, type ProberStatus } from '../../src/control/prober-health.ts';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { formatProblem } from '../../src/problem.ts';
import type { RunResult } from '../../src/result.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { ProberMetrics } from '../../src/sinks/prober-metrics.ts';
import { RunMetrics } from '../../src/sinks/run-metrics.ts';
import { overviewPage } from '../../src/web/views/overview.ts';
import { DaemonProcess } from '../support/daemon-process.ts';
import { CHECKOUT_ONLY } from '../support/journey-files.ts';
import { parseSamples, sample } from '../support/prom-text.ts';
import { tempDir } from '../support/temp.ts';

const TOKEN = 'control-test-token-0123456789';

function controlRun(status: RunResult['status'], error?: string): RunResult {
  return {
    journey: 'pulse-control',
    location: 'test-1',
    runId: `run-${status}`,
    status,
    startedAt: new Date().toISOString(),
    durationMs: 300,
    attempts: 1,
    flaky: false,
    steps: [],
    ...(error ? { error: { message: error, step: 'click and fetch' }, cause: status === 'error' ? 'prober' : 'target' } : {}),
    artifacts: {},
    attemptResults: [],
  };
}

/** A ProberHealth on a hand-turned clock, with every input injectable. */
function harness(options: { controlIntervalMs?: number | undefined; cpu?: number } = {}) {
  let now = 1_000_000;
  let loop: { p99Ms: number; maxMs: number } | undefined = { p99Ms: 20, maxMs: 40 };
  let launchFailure: string | undefined;
  const published: ProberStatus[] = [];
  const changes: ProberStatus[] = [];
  const eventLoop: EventLoopSource = { take: () => loop, close: () => undefined };
  const state = { cpu: options.cpu };
  const health = new ProberHealth({
    controlIntervalMs: 'controlIntervalMs' in options ? options.controlIntervalMs : 10_000,
    controlBudgetMs: 5_000,
    browserLaunchFailure: () => launchFailure,
    cpuPressure: () => state.cpu,
    eventLoop,
    now: () => now,
    publish: (status) => published.push(status),
    changed: (status) => changes.push(status),
  });
  return {
    health,
    published,
    changes,
    state,
    advance: (ms: number) => (now += ms),
    setLoop: (figures: typeof loop) => (loop = figures),
    setLaunchFailure: (message: string | undefined) => (launchFailure = message),
  };
}

describe('prober health', () => {
  test('up while waiting for the first control run; down when it fails, with the error; up again when it passes', () => {
    const h = harness();
    assert.equal(h.health.evaluate().up, true);
    assert.match(h.health.status.checks.control!.detail, /waiting for the first control run/);
    assert.equal(h.changes.length, 0, 'a healthy start is no news');
    h.health.controlResult(controlRun('failure', 'expect(locator).toHaveText() failed'));
    assert.equal(h.health.status.up, false);
    assert.equal(h.health.status.checks.control!.ok, false);
    assert.match(h.health.status.checks.control!.detail, /failure at step "click and fetch": expect/);
    assert.equal(h.changes.length, 1);
    h.advance(1_000);
    h.health.controlResult(controlRun('success'));
    assert.equal(h.health.status.up, true);
    assert.equal(h.changes.length, 2, 'the turn back up is logged too');
    assert.ok(h.health.status.control.lastSuccessAt);
    assert.equal(h.published.at(-1)?.up, true, 'every verdict is published');
  });

  test('a control result older than 3 intervals plus its budget fails the check; so does none at all', () => {
    const h = harness();
    h.health.controlResult(controlRun('success'));
    h.advance(3 * 10_000 + 5_000);
    assert.equal(h.health.evaluate().checks.control!.ok, true, 'at the limit');
    h.advance(1);
    const status = h.health.evaluate();
    assert.equal(status.checks.control!.ok, false);
    assert.match(status.checks.control!.detail, /passed 35 s ago, more than 35 s/);

    const fresh = harness();
    fresh.advance(35_001);
    assert.match(fresh.health.evaluate().checks.control!.detail, /no control run has ended/);
  });

  test('control off: no control check; a control journey that cannot load: the check fails with why', () => {
    const off = harness({ controlIntervalMs: undefined });
    assert.equal(off.health.evaluate().checks.control, undefined);
    assert.equal(off.health.status.up, true);
    const broken = harness();
    broken.health.controlBroken('the control journey could not be loaded: did not load within 10000 ms');
    assert.equal(broken.health.status.up, false);
    assert.match(broken.health.status.checks.control!.detail, /could not be loaded/);
  });

  test('event loop: p99 or max over the limit in the last window fails, a good window mends it', () => {
    const h = harness();
    h.setLoop({ p99Ms: LIMITS.eventLoopP99Ms + 1, maxMs: 900 });
    assert.equal(h.health.evaluate().checks.event_loop!.ok, true, 'figures are read only when a window closes');
    assert.equal(h.health.evaluate({ newWindow: true }).checks.event_loop!.ok, false);
    h.setLoop({ p99Ms: 30, maxMs: LIMITS.eventLoopMaxMs + 1 });
    assert.equal(h.health.evaluate({ newWindow: true }).checks.event_loop!.ok, false);
    h.setLoop({ p99Ms: 30, maxMs: 60 });
    const status = h.health.evaluate({ newWindow: true });
    assert.equal(status.checks.event_loop!.ok, true);
    assert.match(status.checks.event_loop!.detail, /p99 30 ms, max 60 ms/);
  });

  test('cpu: present only where the kernel reports pressure; fails at the limit', () => {
    assert.equal(harness().health.evaluate().checks.cpu, undefined);
    const h = harness({ cpu: LIMITS.cpuSomeAvg60 - 0.1 });
    assert.equal(h.health.evaluate().checks.cpu!.ok, true);
    h.state.cpu = LIMITS.cpuSomeAvg60;
    const status = h.health.evaluate();
    assert.equal(status.checks.cpu!.ok, false);
    assert.equal(status.up, false);
    assert.match(status.checks.cpu!.detail, /95\.0% of the last minute/);
  });

  test('browser: a failed launch fails at once; 3 relaunches in 10 minutes fail until they age out', () => {
    const h = harness();
    h.setLaunchFailure('the browser process ended: refused');
    assert.match(h.health.evaluate().checks.browser!.detail, /cannot be launched: the browser process ended/);
    h.setLaunchFailure(undefined);
    h.health.browserRestarted();
    h.health.browserRestarted();
    assert.equal(h.health.evaluate().checks.browser!.ok, true, 'two relaunches are within reason');
    h.advance(60_000);
    h.health.browserRestarted();
    assert.equal(h.health.evaluate().checks.browser!.ok, false);
    h.advance(LIMITS.browserWindowMs - 60_000 + 1);
    assert.equal(h.health.evaluate().checks.browser!.ok, true, 'the first two left the window');
  });

  test('store: one reset is no sickness, 3 failures in 5 minutes are', () => {
    const h = harness();
    h.health.storeFailed();
    assert.equal(h.health.evaluate().checks.store!.ok, true);
    h.health.storeFailed();
    h.health.storeFailed();
    assert.equal(h.health.evaluate().checks.store!.ok, false);
    h.advance(LIMITS.storeWindowMs + 1);
    assert.equal(h.health.evaluate().checks.store!.ok, true);
  });

  test('the overview shows the verdict, each check and the control journey', () => {
    const h = harness();
    h.health.controlResult(controlRun('error', 'could not launch the browser: <refused>'));
    const page = overviewPage([], 'test-1', Date.now(), undefined, h.health.status).value;
    assert.match(page, /data-prober-up="0"/);
    assert.match(page, /pulse itself is sick/);
    assert.match(page, /data-check="control"/);
    assert.match(page, /could not launch the browser: &lt;refused&gt;/, 'details are escaped');
    const off = harness({ controlIntervalMs: undefined });
    assert.match(overviewPage([], 'test-1', Date.now(), undefined, off.health.evaluate()).value, /control journey is off/);
  });
});

describe('CPU pressure', () => {
  const PSI = 'some avg10=12.50 avg60=97.25 avg300=3.00 total=123\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
  test('reads "some avg60" from a PSI file', () => {
    assert.equal(someAvg60(PSI), 97.25);
    assert.equal(someAvg60('nonsense'), undefined);
    assert.equal(someAvg60(undefined), undefined);
  });
  test("prefers the process's own cgroup, falls back to the machine, and is absent without PSI", () => {
    const files = (present: Record<string, string>) => (file: string) => {
      if (file in present) return present[file]!;
      throw new Error('ENOENT');
    };
    assert.equal(
      findCpuPressureFile(files({ '/proc/self/cgroup': '0::/pod/pulse\n', '/sys/fs/cgroup/pod/pulse/cpu.pressure': PSI, '/proc/pressure/cpu': PSI })),
      '/sys/fs/cgroup/pod/pulse/cpu.pressure',
    );
    assert.equal(findCpuPressureFile(files({ '/proc/self/cgroup': '0::/\n', '/proc/pressure/cpu': PSI })), '/proc/pressure/cpu');
    assert.equal(findCpuPressureFile(files({ '/proc/self/cgroup': '1:cpu:/\n' })), undefined);
  });
});

describe('settings and metrics', () => {
  test('PULSE_CONTROL_INTERVAL: 30s by default, off turns it off, bad values are named with the fix', () => {
    assert.equal(resolveConfig({ env: {} }).config?.controlIntervalMs, 30_000);
    assert.equal(resolveConfig({ env: { PULSE_CONTROL_INTERVAL: '5s' } }).config?.controlIntervalMs, 5_000);
    const off = resolveConfig({ env: { PULSE_CONTROL_INTERVAL: 'off' } });
    assert.deepEqual(off.problems, []);
    assert.equal(off.config?.controlIntervalMs, undefined);
    for (const bad of ['500ms', '2h', 'often']) {
      const { problems } = resolveConfig({ env: { PULSE_CONTROL_INTERVAL: bad } });
      assert.equal(problems.length, 1, bad);
      assert.match(formatProblem(problems[0]!), /^PULSE_CONTROL_INTERVAL=".*": must be a duration from '1s' to '1h' such as '30s', or 'off'/);
    }
  });

  test("pulse_journey_last_run_cause follows the last run; pulse_prober_up and each check's gauge", async () => {
    const registry = new Registry();
    const metrics = new RunMetrics({ registry, location: 'test-1' });
    const proberMetrics = new ProberMetrics({ registry, location: 'test-1' });
    const run = (status: RunResult['status'], cause?: RunResult['cause']) => ({ ...controlRun(status), journey: 'checkout', ...(cause ? { cause } : {}) });
    const causes = async () => {
      const samples = parseSamples(await registry.metrics());
      return Object.fromEntries(
        ['target', 'third_party', 'journey', 'prober'].map((cause) => [cause, sample(samples, 'pulse_journey_last_run_cause', { journey: 'checkout', cause })]),
      );
    };
    metrics.onResult(run('failure', 'third_party'));
    assert.deepEqual(await causes(), { target: 0, third_party: 1, journey: 0, prober: 0 });
    metrics.onResult(run('error', 'prober'));
    assert.deepEqual(await causes(), { target: 0, third_party: 0, journey: 0, prober: 1 });
    metrics.onResult(run('failure'));
    assert.deepEqual(await causes(), { target: 1, third_party: 0, journey: 0, prober: 0 }, 'a failure without a cause is the target');
    metrics.onResult(run('success'));
    assert.deepEqual(await causes(), { target: 0, third_party: 0, journey: 0, prober: 0 });

    proberMetrics.setProberHealth(false, { control: false, store: true });
    const samples = parseSamples(await registry.metrics());
    assert.equal(sample(samples, 'pulse_prober_up', { location: 'test-1' }), 0);
    assert.equal(sample(samples, 'pulse_prober_check_up', { check: 'control' }), 0);
    assert.equal(sample(samples, 'pulse_prober_check_up', { check: 'store' }), 1);
  });
});

describe('the control journey takes a run slot like any journey', () => {
  test('it waits for a slot, gives up after its deadline, and does not start once pulse stops', async () => {
    const scheduler = new Scheduler({
      journeys: [],
      concurrency: 1,
      events: { execute: async () => undefined, skipped: () => undefined, lag: () => undefined },
    });
    let release!: () => void;
    const holding = scheduler.withSlot(10_000, () => new Promise<void>((resolve) => (release = resolve)));
    const order: string[] = [];
    const waiting = scheduler.withSlot(10_000, async () => {
      order.push('second ran');
    });
    assert.equal(await scheduler.withSlot(50, async () => void order.push('never')), 'saturated');
    order.push('first done');
    release();
    assert.equal(await holding, 'done');
    assert.equal(await waiting, 'done');
    assert.deepEqual(order, ['first done', 'second ran']);
    await scheduler.stop(1_000);
    assert.equal(await scheduler.withSlot(1_000, async () => void order.push('never')), 'stopping');
  });
});

describe('pulse run with its control journey', () => {
  let shop: Shop;
  before(async () => {
    shop = await startShop();
  });
  after(async () => {
    await shop.close();
  });

  test("passes against pulse's own page behind auth, counts for the prober only, never as a journey", { timeout: 120_000 }, async (t) => {
    const pulse = new DaemonProcess(
      // The checkout alone: the test is about the control journey beside one journey, not the bundled three.
      ['--base-url', shop.url, '--data-dir', tempDir(t), '--location', 'test-1', ...CHECKOUT_ONLY, '--schedule', '*/2 * * * * *', '--host', '0.0.0.0'],
      {
        PULSE_CONTROL_INTERVAL: '1s',
        PULSE_AUTH_TOKEN: TOKEN,
      },
    );
    t.after(() => pulse.stop());
    await pulse.started();
    const passed = await pulse.waitFor((line) => line.event === 'control_passed', 60_000);
    assert.equal(passed.journey, 'pulse-control');
    await pulse.waitFor((line) => line.event === 'heartbeat' && line.journey === 'checkout', 60_000);
    const base = pulse.url.replace('0.0.0.0', '127.0.0.1');

    // The page is open to the browser; the UI is not.
    assert.equal((await fetch(`${base}/control/`)).status, 200);
    assert.deepEqual(await (await fetch(`${base}/control/echo?word=w1`)).json(), { echo: 'w1' });
    assert.equal((await fetch(`${base}/`)).status, 401);
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

    const prober = (await (await fetch(`${base}/api/prober`, auth)).json()) as ProberStatus;
    assert.equal(prober.checks.control?.ok, true, JSON.stringify(prober.checks));
    assert.equal(prober.control.intervalMs, 1_000);
    assert.equal(prober.control.lastRun?.status, 'success');
    const metrics = await pulse.metricsWhen((text) => sample(parseSamples(text), 'pulse_prober_check_up', { check: 'control', location: 'test-1' }) === 1);
    assert.equal(sample(parseSamples(metrics), 'pulse_prober_check_up', { check: 'control', location: 'test-1' }), 1);
    assert.ok(sample(parseSamples(metrics), 'pulse_prober_up', { location: 'test-1' }) !== undefined);
    assert.doesNotMatch(metrics, /pulse-control/, 'no journey metric for the control journey');

    const journeys = (await (await fetch(`${base}/api/journeys`, auth)).json()) as { journeys: { name: string }[] };
    assert.deepEqual(journeys.journeys.map((j) => j.name).sort(), ['checkout'], 'the journeys it was given, and no control journey');
    const runs = (await (await fetch(`${base}/api/runs?journey=pulse-control`, auth)).json()) as { runs: unknown[] };
    assert.deepEqual(runs.runs, [], 'no control run in the run store');
    const overview = await (await fetch(`${base}/`, auth)).text();
    assert.match(overview, /data-prober-up="[01]"/);
    assert.match(overview, /data-check="control"/);
    assert.doesNotMatch(overview, /data-journey="pulse-control"/);
    assert.equal(await pulse.stop(), 0);
  });

  test('fails, logged with the error, when its browser cannot start: pulse reports itself down', { timeout: 60_000 }, async (t) => {
    const dir = tempDir(t);
    const broken = path.join(dir, 'no-browser.sh');
    writeFileSync(broken, "#!/bin/sh\necho 'no browser here' >&2\nexit 1\n");
    chmodSync(broken, 0o755);
    const pulse = new DaemonProcess(
      [...CHECKOUT_ONLY, '--concurrency', '1', '--base-url', shop.url, '--data-dir', path.join(dir, 'data'), '--location', 'test-1', '--browser-path', broken],
      { PULSE_CONTROL_INTERVAL: '1s' },
    );
    t.after(() => pulse.stop());
    await pulse.started();
    const failed = await pulse.waitFor((line) => line.event === 'control_failed', 30_000);
    assert.equal(failed.status, 'error');
    assert.equal(failed.cause, 'prober');
    assert.match(String(failed.err), /could not launch the browser/);
    // The failed launch at start already says so, before the first control run.
    const down = await pulse.waitFor((line) => line.event === 'prober_down', 30_000);
    assert.ok((down.failing as string[]).includes('browser'), JSON.stringify(down.failing));
    const metrics = parseSamples(await pulse.metricsWhen((text) => sample(parseSamples(text), 'pulse_prober_check_up', { check: 'browser' }) === 0));
    assert.equal(sample(metrics, 'pulse_prober_up', { location: 'test-1' }), 0);
    assert.equal(sample(metrics, 'pulse_prober_check_up', { check: 'control' }), 0);
    assert.equal(sample(metrics, 'pulse_prober_check_up', { check: 'browser' }), 0);
    assert.equal(await pulse.stop(), 0, pulse.tail());
  });
});
