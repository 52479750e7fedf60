/**
 * Near misses in a real daemon against the demo shop: the bundled search journey and a journey
 * whose step takes more than 80% of its step timeout. /metrics carries each journey's budgets
 * and the near-miss counter of each step beside its duration histogram (clean for promtool); the
 * journey page shows each step's p95 against its timeout, the near miss highlighted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { CHROMIUM_ARGS, findBrowser } from '../../src/runner/find-browser.ts';
import { DaemonProcess, NEVER, OPEN_WRITES, type LogLine } from '../support/daemon-process.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { parseSamples, sample } from '../support/prom-text.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

/** A step name a journey could build from data: markup in it must stay text on the page. */
const SLOW_STEP = 'think <i>hard</i>';

/**
 * Opens a product, then holds its step for 8.5 s of a 10 s step timeout: 85% at least, a near
 * miss, with 1.5 s to spare before it would time out on a busy machine.
 */
const SLOW_JOURNEY = `async ({ page, step, params }) => {
  await step('open product', async () => {
    await page.goto(params.baseUrl + '/products/trail-runner-shoes');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  });
  await step(${JSON.stringify(SLOW_STEP)}, async () => {
    await page.waitForTimeout(8_500);
  });
}`;

const isHeartbeat = (journey: string) => (line: LogLine) => line.event === 'heartbeat' && line.journey === journey;

describe('near misses in a real daemon running demo journeys', () => {
  let shop: Shop;
  let browser: Browser;
  let dataDir: string;
  let dir: string;
  let pulse: DaemonProcess;

  before(async () => {
    shop = await startShop();
    dataDir = makeTempDir();
    dir = journeyDir('near-misses');
    copyFileSync(path.resolve('journeys/search.journey.ts'), path.join(dir, 'search.journey.ts'));
    writeJourney(dir, { name: 'slow-step', retries: 0, timeout: '40s', stepTimeout: '10s' }, SLOW_JOURNEY);
    // One run of each, asked for, on one slot.
    pulse = new DaemonProcess(
      ['--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--location', 'near-1', '--schedule', NEVER, '--concurrency', '1'],
      { PULSE_CONTROL_INTERVAL: 'off', ...OPEN_WRITES },
    );
    await pulse.started();
    await pulse.runNow('search');
    await pulse.runNow('slow-step');
    await pulse.waitFor(isHeartbeat('search'), 90_000);
    await pulse.waitFor(isHeartbeat('slow-step'), 90_000);
    browser = await chromium.launch({ executablePath: findBrowser().executablePath, args: [...CHROMIUM_ARGS] });
  });
  after(async () => {
    await pulse?.stop();
    await browser?.close();
    await shop?.close();
    removeDir(dataDir);
    removeDir(dir);
  });

  test("/metrics: each journey's run and step budgets, near misses counted beside each step's count, nothing promtool complains of", async () => {
    const text = await pulse.metricsWhen(
      (body) => (sample(parseSamples(body), 'pulse_step_near_misses_total', { journey: 'slow-step', step: SLOW_STEP }) ?? 0) >= 1,
    );
    const samples = parseSamples(text);
    // Known from the definitions, before and whatever the runs.
    assert.equal(sample(samples, 'pulse_journey_timeout_seconds', { journey: 'search' }), 30);
    assert.equal(sample(samples, 'pulse_journey_step_timeout_seconds', { journey: 'search' }), 10);
    assert.equal(sample(samples, 'pulse_journey_timeout_seconds', { journey: 'slow-step' }), 40);
    assert.equal(sample(samples, 'pulse_journey_step_timeout_seconds', { journey: 'slow-step' }), 10);

    const slow = { journey: 'slow-step', location: 'near-1', step: SLOW_STEP };
    assert.equal(
      sample(samples, 'pulse_step_near_misses_total', slow),
      sample(samples, 'pulse_step_duration_seconds_count', slow),
      'every run of the held step is a near miss',
    );
    const quick = { journey: 'slow-step', location: 'near-1', step: 'open product' };
    assert.ok((sample(samples, 'pulse_step_duration_seconds_count', quick) ?? 0) >= 1);
    assert.equal(sample(samples, 'pulse_step_near_misses_total', quick), 0, 'a quick step has its counter, at 0');
    assert.equal(sample(samples, 'pulse_step_near_misses_total', { journey: 'search', location: 'near-1', step: 'open home' }), 0);

    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    assert.ok(!check.error, `promtool missing (apt-get install prometheus): ${check.error?.message}`);
    assert.deepEqual(
      `${check.stdout}\n${check.stderr}`.split('\n').filter((line) => line.includes('pulse_')),
      [],
    );
  });

  test("in Chromium: the journey page holds each step's p95 against its timeout, the near miss highlighted, a step name's markup kept as text", async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    // Views are cached for a second: wait until the page has the run.
    const deadline = Date.now() + 30_000;
    for (;;) {
      await page.goto(`${pulse.url}/journeys/slow-step`);
      if ((await page.locator('table.near-misses tbody tr').count()) >= 2) break;
      assert.ok(Date.now() < deadline, `no near-miss table on the journey page:\n${await page.content()}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.match((await page.locator('dd', { hasText: 'budget' }).textContent()) ?? '', /budget 40\.00 s an attempt, 10\.00 s a step/);
    assert.equal(await page.locator('table.near-misses').evaluate((table) => table.parentElement?.className), 'scroll-box');

    const slow = page.locator('table.near-misses tr', { has: page.locator('td', { hasText: SLOW_STEP }) });
    assert.equal(await slow.count(), 1, 'the step name is text, its markup not parsed');
    assert.equal(await page.locator('table.near-misses i').count(), 0);
    assert.equal(await slow.getAttribute('data-step'), SLOW_STEP);
    assert.equal(await slow.getAttribute('class'), 'near-miss');
    const cells = await slow.locator('td').allTextContents();
    assert.match(cells[2] ?? '', /^p95 (8\.[5-9]\d|9\.\d\d) s of 10\.00 s \((8[5-9]|9\d)\.\d%\)$/);
    const share = Number(await slow.getAttribute('data-timeout-share'));
    assert.ok(share > 0.85 && share < 1, `share ${share}`);
    const highlighted = await slow
      .locator('td')
      .first()
      .evaluate((cell) => getComputedStyle(cell).backgroundColor);

    const quick = page.locator('table.near-misses tr[data-step="open product"]');
    assert.equal(await quick.getAttribute('class'), null, 'a quick step is not highlighted');
    assert.match((await quick.locator('td').nth(2).textContent()) ?? '', /^p95 \d+(\.\d\d)?( ms| s) of 10\.00 s \(\d+\.\d%\)$/);
    assert.ok(Number(await quick.getAttribute('data-timeout-share')) < 0.8);
    const plain = await quick
      .locator('td')
      .first()
      .evaluate((cell) => getComputedStyle(cell).backgroundColor);
    assert.notEqual(highlighted, plain, 'the near miss stands out');

    await page.goto(`${pulse.url}/journeys/search`);
    const rows = page.locator('table.near-misses tbody tr');
    assert.ok((await rows.count()) >= 2, 'every step of the bundled search journey');
    assert.equal(await page.locator('table.near-misses tr.near-miss').count(), 0, 'the bundled journey runs far from its timeouts');
  });
});
