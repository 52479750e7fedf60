/**
 * Degraded runs: a journey's thresholds judged against the real browser and the demo shop made
 * slow (every response delayed, or the content painted late). A run that breaks a threshold is
 * still a success and a heartbeat, marked degraded with the step and the threshold; without the
 * fault it is not. A real daemon counts it and its UI shows it amber; `pulse validate` rejects
 * a bad threshold with its file, line, field and fix.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright';
import { Registry } from 'prom-client';
import { formatResult } from '../../src/commands/once.ts';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { createLogger } from '../../src/logger.ts';
import type { RunResult } from '../../src/result.ts';
import { CHROMIUM_ARGS, findBrowser } from '../../src/runner/find-browser.ts';
import { HeartbeatLogSink } from '../../src/sinks/heartbeat-log.ts';
import { RunMetrics } from '../../src/sinks/run-metrics.ts';
import { openRunStore } from '../../src/store/run-store.ts';
import { DaemonProcess, NEVER, OPEN_WRITES, type LogLine } from '../support/daemon-process.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { parseSamples, sample } from '../support/prom-text.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { shopRig } from '../support/test-runner.ts';

const PRODUCT = '/products/trail-runner-shoes';

/** Opens a product page, adds it to the cart (one POST to the shop's API), opens the cart. */
const PRODUCT_JOURNEY = `async ({ page, step, params }) => {
  await step('open product', async () => {
    await page.goto(params.baseUrl + '${PRODUCT}');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible({ timeout: 15_000 });
  });
  await step('add to cart', async () => {
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await expect(page.getByRole('status')).toContainText('Added 1', { timeout: 15_000 });
  });
  await step('open cart', async () => {
    await page.getByRole('link', { name: /^Cart/ }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Your cart' })).toBeVisible({ timeout: 15_000 });
  });
}`;

describe('thresholds judged on real runs against the demo shop', () => {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const rig = shopRig('degraded', 'degraded-1', { log: { warn: (fields, message) => warnings.push({ fields: fields as Record<string, unknown>, message }) } });
  const { runner } = rig;

  /** Every sink a daemon has, on its own registry and log lines, fed one result. */
  async function report(result: RunResult) {
    const registry = new Registry();
    const metrics = new RunMetrics({ registry, location: 'degraded-1' });
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      level: 'info',
      format: 'json',
      destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const store = openRunStore({ dataDir: rig.dataDir });
    try {
      metrics.registerJourneys([definition()]);
      metrics.onResult(result);
      new HeartbeatLogSink({ log }).onResult(result);
      await store.writer.onResult(result);
      return { samples: parseSamples(await registry.metrics()), lines, stored: store.queries.getRun(result.runId) };
    } finally {
      store.close();
    }
  }

  // A step that must finish within 2 s, a run-wide LCP budget that a late paint breaks, and two
  // budgets that must not be judged: an LCP on a step that loads no page, a step that never runs.
  const definition = () =>
    writeJourney(
      rig.dir,
      {
        name: 'product',
        retries: 0,
        timeout: '45s',
        thresholds: {
          duration: '40s',
          lcp: '2s',
          steps: { 'add to cart': { duration: '2s', lcp: '1ms' }, 'add to crat': { duration: '1ms' } },
        },
      },
      PRODUCT_JOURNEY,
    );

  test('without a fault the run is not degraded; a step threshold for a step that never ran is said once, with the likely step', async () => {
    const def = definition();
    const once = runner();
    const calm = await once.run(def);
    assert.equal(calm.status, 'success', calm.error?.message);
    assert.equal(calm.degraded, undefined, `not degraded: ${JSON.stringify(calm.degraded)}`);
    const { samples, lines, stored } = await report(calm);
    assert.equal(sample(samples, 'pulse_heartbeats_total', { journey: 'product' }), 1);
    assert.equal(sample(samples, 'pulse_journey_degraded_runs_total', { journey: 'product', location: 'degraded-1' }), 0, 'counted from 0');
    assert.equal(sample(samples, 'pulse_journey_threshold_breaches_total', { journey: 'product', metric: 'duration' }), 0);
    assert.equal(sample(samples, 'pulse_journey_last_run_degraded', { journey: 'product' }), 0);
    const heartbeat = lines.find((line) => line.event === 'heartbeat');
    assert.ok(heartbeat, 'a heartbeat line');
    assert.equal(heartbeat.degraded, undefined);
    assert.equal(stored?.degraded, undefined);

    const told = warnings.filter((w) => w.fields.event === 'threshold_unmatched');
    assert.equal(told.length, 1, JSON.stringify(warnings));
    assert.equal(told[0]!.fields.step, 'add to crat');
    assert.equal(told[0]!.fields.suggestion, 'add to cart');
    assert.match(told[0]!.message, /thresholds\.steps\['add to crat'\] of product matched no step of a successful run \(did you mean 'add to cart'\?\)/);
    await once.run(def);
    assert.equal(warnings.filter((w) => w.fields.event === 'threshold_unmatched').length, told.length, 'said once per runner, not every run');
  });

  test('every response delayed: the step over its 2 s threshold makes the run degraded, still a success and a heartbeat', async (t) => {
    rig.shop.setFaults({ delayMs: 2_500 });
    t.after(() => rig.shop.resetFaults());
    const slow = await runner().run(definition());
    assert.equal(slow.status, 'success', slow.error?.message);
    assert.ok(slow.degraded, 'degraded');
    const step = slow.degraded.find((breach) => breach.step === 'add to cart' && breach.metric === 'duration');
    assert.ok(step, `the add to cart duration in ${JSON.stringify(slow.degraded)}`);
    assert.equal(step.limit, 2_000);
    assert.ok(step.actual >= 2_500, `add to cart took ${step.actual} ms with every response 2.5 s late`);
    assert.ok(
      !slow.degraded.some((breach) => breach.step === 'add to cart' && breach.metric === 'lcp'),
      'add to cart loads no page: the product page load is not its LCP',
    );
    assert.ok(!slow.degraded.some((breach) => breach.step === 'add to crat'), 'a step that never ran breaks nothing');

    const { samples, lines, stored } = await report(slow);
    assert.equal(sample(samples, 'pulse_heartbeats_total', { journey: 'product' }), 1, 'still the heartbeat');
    assert.equal(sample(samples, 'pulse_journey_up', { journey: 'product' }), 1);
    assert.equal(sample(samples, 'pulse_journey_degraded_runs_total', { journey: 'product' }), 1);
    assert.equal(sample(samples, 'pulse_journey_threshold_breaches_total', { journey: 'product', metric: 'duration' }), 1);
    assert.equal(sample(samples, 'pulse_journey_last_run_degraded', { journey: 'product' }), 1);
    const heartbeat = lines.find((line) => line.event === 'heartbeat');
    assert.ok(heartbeat, 'a heartbeat line, not a failure');
    assert.deepEqual(heartbeat.degraded, slow.degraded);
    assert.match(String(heartbeat.msg), /degraded: .*'add to cart' duration \d+ ms over 2000 ms/);
    assert.deepEqual(stored?.degraded, slow.degraded, 'kept in the run store and read back');

    const table = formatResult(slow, rig.dataDir);
    assert.match(table, /^✓ product {2}SUCCESS \(DEGRADED\)/);
    assert.match(table, /\n {4}degraded: 'add to cart' duration \d+ ms over 2000 ms\n/);
  });

  test('content painted late: the run-wide LCP budget is broken by the page that loaded it', async (t) => {
    rig.shop.setFaults({ slowPaintMs: 2_500 });
    t.after(() => rig.shop.resetFaults());
    const late = await runner().run(definition());
    assert.equal(late.status, 'success', late.error?.message);
    const lcp = late.degraded?.find((breach) => breach.metric === 'lcp');
    assert.ok(lcp, `an LCP breach in ${JSON.stringify(late.degraded)}`);
    assert.equal(lcp.step, undefined, 'the run-wide budget');
    assert.equal(lcp.limit, 2_000);
    assert.ok(lcp.actual >= 2_500, `LCP ${lcp.actual} ms after a 2.5 s paint delay`);
    assert.ok(!late.degraded!.some((breach) => breach.step === 'add to cart'), `add to cart is quick and loads no page: ${JSON.stringify(late.degraded)}`);
  });
});

describe('a degraded run in a real daemon: the metric rises and the run page is amber', () => {
  let shop: Shop;
  let browser: Browser;
  let dataDir: string;
  let dir: string;
  let pulse: DaemonProcess;
  let heartbeat: LogLine;

  before(async () => {
    // Every response 1.5 s late: "add to cart" (one request) cannot keep its 1 s threshold.
    shop = await startShop({ faults: { delayMs: 1_500 } });
    dataDir = makeTempDir();
    dir = journeyDir('degraded-daemon');
    writeJourney(dir, { name: 'slow-cart', retries: 0, timeout: '45s', thresholds: { steps: { 'add to cart': { duration: '1s' } } } }, PRODUCT_JOURNEY);
    // One run, asked for, on one slot.
    pulse = new DaemonProcess(
      ['--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--location', 'degraded-1', '--schedule', NEVER, '--concurrency', '1'],
      { PULSE_CONTROL_INTERVAL: 'off', ...OPEN_WRITES },
    );
    await pulse.started();
    const run = await pulse.runNow('slow-cart');
    heartbeat = await pulse.waitFor((line) => line.event === 'heartbeat' && line.runId === run.runId, 90_000);
    browser = await chromium.launch({ executablePath: findBrowser().executablePath, args: [...CHROMIUM_ARGS] });
  });
  after(async () => {
    await pulse.stop();
    await browser?.close();
    await shop.close();
    removeDir(dataDir);
    removeDir(dir);
  });

  test('the heartbeat line says degraded, pulse_journey_degraded_runs_total rises, promtool has no complaint', async () => {
    const breaches = heartbeat.degraded as { step?: string; metric: string; limit: number; actual: number }[] | undefined;
    assert.ok(
      breaches?.some((b) => b.step === 'add to cart' && b.metric === 'duration' && b.limit === 1_000 && b.actual >= 1_500),
      JSON.stringify(heartbeat),
    );
    const text = await pulse.metricsWhen((body) => (sample(parseSamples(body), 'pulse_journey_degraded_runs_total', { journey: 'slow-cart' }) ?? 0) >= 1);
    const samples = parseSamples(text);
    assert.ok((sample(samples, 'pulse_journey_degraded_runs_total', { journey: 'slow-cart', location: 'degraded-1' }) ?? 0) >= 1);
    assert.ok((sample(samples, 'pulse_journey_threshold_breaches_total', { journey: 'slow-cart', metric: 'duration' }) ?? 0) >= 1);
    assert.ok((sample(samples, 'pulse_heartbeats_total', { journey: 'slow-cart' }) ?? 0) >= 1, 'a degraded run is a heartbeat');
    assert.equal(sample(samples, 'pulse_journey_runs_total', { journey: 'slow-cart', result: 'failure' }), 0);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    assert.ok(!check.error, `promtool missing (apt-get install prometheus): ${check.error?.message}`);
    assert.deepEqual(
      `${check.stdout}\n${check.stderr}`.split('\n').filter((line) => line.includes('pulse_')),
      [],
    );
  });

  test('/api/runs and /api/runs/<id> carry the breaches', async () => {
    const list = (await (await fetch(`${pulse.url}/api/runs?journey=slow-cart`)).json()) as { runs: { runId: string; status: string; degraded?: unknown[] }[] };
    const summary = list.runs.find((run) => run.runId === heartbeat.runId);
    assert.ok(summary, `run ${String(heartbeat.runId)} in ${JSON.stringify(list)}`);
    assert.equal(summary.status, 'success');
    assert.deepEqual(summary.degraded, heartbeat.degraded);
    const run = (await (await fetch(`${pulse.url}/api/runs/${String(heartbeat.runId)}`)).json()) as { degraded?: unknown[] };
    assert.deepEqual(run.degraded, heartbeat.degraded);
  });

  test('in Chromium: the run page has the amber degraded badge and lists the breach; journey page and overview strip show it too', async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`${pulse.url}/runs/${encodeURIComponent(String(heartbeat.runId))}`);
    const badge = page.locator('h1 .badge.degraded');
    await badge.waitFor();
    assert.equal(await badge.textContent(), 'degraded');
    assert.equal(await page.locator('h1 .badge.success').textContent(), 'success', 'still a success');
    assert.equal(await badge.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(240, 180, 41)', 'amber');
    const row = page.getByTestId('degraded').locator('tr[data-step="add to cart"][data-metric="duration"]');
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[0], 'add to cart');
    assert.equal(cells[1], 'duration');
    assert.equal(cells[2], '1.00 s');
    assert.match(cells[3] ?? '', /^\d+\.\d\d s$/);
    assert.ok(Number.parseFloat(cells[3]!) >= 1.5, `measured ${cells[3]}`);

    await page.goto(`${pulse.url}/journeys/slow-cart`);
    assert.ok((await page.locator('table .badge.degraded').count()) >= 1, 'recent runs mark it degraded');
    assert.match((await page.getByTestId('thresholds').textContent()) ?? '', /'add to cart': duration 1\.00 s/);

    await page.goto(pulse.url);
    const strip = page.locator(`tr[data-journey="slow-cart"] .strip a[href="/runs/${String(heartbeat.runId)}"]`);
    assert.equal(await strip.getAttribute('class'), 'success degraded');
    assert.equal(await strip.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(240, 180, 41)');
  });
});

describe('pulse validate and bad thresholds', () => {
  test('a misspelt key, a duration that is none and a negative CLS: each with file:line, field and fix; exit 1', async () => {
    const run = await runPulse(['validate', '--journeys', 'test/fixtures/invalid-thresholds'], { timeoutMs: 60_000 });
    assert.equal(run.code, 1, run.stderr);
    const file = 'test/fixtures/invalid-thresholds/bad-thresholds.journey.ts:4';
    assert.ok(run.stderr.includes(`✗ ${file}: thresholds.lpc: is not a threshold (did you mean lcp?); fix: rename it to lcp\n`), run.stderr);
    assert.ok(
      run.stderr.includes(
        `✗ ${file}: thresholds.steps['add to cart'].duration: "2 seconds" is not a duration; fix: write it like '20s', or as a number of milliseconds above 0\n`,
      ),
      run.stderr,
    );
    assert.ok(
      run.stderr.includes(`✗ ${file}: thresholds.steps['add to cart'].cls: -0.1 is not a layout shift score; fix: give a number of 0 or more`),
      run.stderr,
    );
    assert.match(run.stderr, /3 problems found/);
    assert.match(run.stdout, /1 valid journey: good-thresholds/, 'valid thresholds load');
  });
});
