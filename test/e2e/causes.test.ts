/**
 * Whose fault a failure is: the product (target), another origin (third_party), the journey's
 * own code (journey) or pulse (prober), each against the real demo shop in the real browser,
 * with the failed request named ahead of the error; and evidence from a page that never finishes.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { chromium, expect, type Browser } from '@playwright/test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { CHROMIUM_ARGS, findBrowser } from '../../src/runner/find-browser.ts';
import type { SinceLastGood } from '../../src/store/since-last-good.ts';
import { DaemonProcess, NEVER, OPEN_WRITES } from '../support/daemon-process.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { pngSize } from '../support/png.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { shopRig } from '../support/test-runner.ts';

const PRODUCT = '/products/trail-runner-shoes';

/** Another origin: serves /widget.js, or answers 503 for it while `failing`. */
async function startThirdParty(): Promise<{ url: string; failing: boolean; close: () => Promise<void> }> {
  const state = { failing: true };
  const server: Server = createServer((request, response) => {
    if (state.failing) {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/javascript' }).end('window.widgetLoaded = true;');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('failure causes', () => {
  const rig = shopRig('causes', 'causes-1');
  let third: Awaited<ReturnType<typeof startThirdParty>>;
  const { runner } = rig;

  before(async () => {
    third = await startThirdParty();
  });
  after(async () => {
    await third.close();
  });

  const addToCart = (name: string, options: Record<string, unknown> = {}) =>
    writeJourney(
      rig.dir,
      { name, retries: 0, timeout: '10s', stepTimeout: '4s', ...options },
      `async ({ page, step, params }) => {
        await step('open product', async () => {
          await page.goto(params.baseUrl + '${PRODUCT}');
        });
        await step('add to cart', async () => {
          await expect(page.getByRole('button', { name: 'Add to cart' })).toBeEnabled({ timeout: 2000 });
          await page.getByRole('button', { name: 'Add to cart' }).click();
          await expect(page.getByRole('status')).toContainText('Added 1', { timeout: 2000 });
        });
      }`,
    );

  test('an API answering 500 behind an XHR: reason http, cause target, the request named ahead of the assertion', async (t) => {
    rig.shop.setFaults({ api500: true });
    t.after(() => rig.shop.resetFaults());
    const result = await runner().run(addToCart('api-down'));
    assert.equal(result.status, 'failure', result.error?.message);
    assert.equal(result.error?.step, 'add to cart');
    assert.equal(result.error?.reason, 'http');
    assert.equal(result.cause, 'target');
    assert.match(result.error.message, /^POST \/api\/cart answered 500\n/);
    assert.match(result.error.message, /toContainText/, 'the assertion text follows the request');
  });

  test('a script from another origin failing: cause third_party, the request named with its origin', async (t) => {
    rig.shop.setFaults({ thirdPartyScript: `${third.url}/widget.js` });
    t.after(() => rig.shop.resetFaults());
    const result = await runner().run(addToCart('widget-down'));
    assert.equal(result.status, 'failure', result.error?.message);
    assert.equal(result.cause, 'third_party');
    assert.equal(result.error?.reason, 'http');
    assert.match(result.error.message, new RegExp(`^GET ${third.url.replace(/\./g, '\\.')}/widget\\.js answered 503\\n`));

    // The same journey passes once the third party is back: the fault was really theirs.
    third.failing = false;
    t.after(() => (third.failing = true));
    const healthy = await runner().run(addToCart('widget-down'));
    assert.equal(healthy.status, 'success', healthy.error?.message);
    assert.equal(healthy.cause, undefined);
  });

  test("an origin named in the journey's origins option is the product: the same failure is then the target's", async (t) => {
    rig.shop.setFaults({ thirdPartyScript: `${third.url}/widget.js` });
    t.after(() => rig.shop.resetFaults());
    const result = await runner().run(addToCart('widget-own', { origins: [third.url] }));
    assert.equal(result.status, 'failure');
    assert.equal(result.cause, 'target');
    assert.match(result.error!.message, /^GET \/widget\.js answered 503\n/);
  });

  test("the journey's own bugs: a TypeError, a selector matching two elements, a wait on nothing", async () => {
    const typeError = writeJourney(
      rig.dir,
      { name: 'type-error', retries: 0 },
      `async ({ page, step, params }) => {
        await step('open', async () => { await page.goto(params.baseUrl); });
        await step('read', async () => {
          const missing = undefined as unknown as { title: string };
          return missing.title.length;
        });
      }`,
    );
    const strict = writeJourney(
      rig.dir,
      { name: 'two-matches', retries: 0, stepTimeout: '3s' },
      `async ({ page, step, params }) => {
        await step('open', async () => { await page.goto(params.baseUrl); });
        await step('click a product', async () => { await page.getByRole('list', { name: 'Products' }).getByRole('link').click(); });
      }`,
    );
    const hang = writeJourney(
      rig.dir,
      { name: 'waits-on-nothing', retries: 0, stepTimeout: '1s' },
      `async ({ page, step, params }) => {
        await step('open', async () => { await page.goto(params.baseUrl); });
        await step('wait', async () => { await new Promise(() => undefined); });
      }`,
    );
    const run = runner();
    const [a, b, c] = [await run.run(typeError), await run.run(strict), await run.run(hang)];
    assert.deepEqual([a.status, a.cause, a.error?.reason, a.error?.step], ['failure', 'journey', 'script', 'read'], a.error?.message);
    assert.match(a.error!.message, /Cannot read properties of undefined/);
    assert.deepEqual([b.status, b.cause, b.error?.reason], ['failure', 'journey', 'script'], b.error?.message);
    assert.match(b.error!.message, /strict mode violation/);
    assert.deepEqual([c.status, c.cause, c.error?.reason, c.error?.step], ['failure', 'journey', 'timeout', 'wait'], c.error?.message);
    assert.match(c.error!.message, /waiting on neither the browser nor the network/);
  });

  test("a step that times out waiting for the page is the target's, not the journey's", async (t) => {
    rig.shop.setFaults({ hideAddToCart: true });
    t.after(() => rig.shop.resetFaults());
    const def = writeJourney(
      rig.dir,
      { name: 'waits-on-page', retries: 0, stepTimeout: '1500ms' },
      `async ({ page, step, params }) => {
        await step('open', async () => { await page.goto(params.baseUrl + '${PRODUCT}'); });
        await step('click', async () => { await page.getByRole('button', { name: 'Add to cart' }).click({ timeout: 60_000 }); });
      }`,
    );
    const result = await runner().run(def);
    assert.deepEqual([result.status, result.cause, result.error?.reason], ['failure', 'target', 'timeout'], result.error?.message);
    assert.match(result.error!.message, /while waiting in locator\.click/);
  });

  test("a timeout while the machine starved pulse of CPU is a prober error, not the target's failure", async (t) => {
    rig.shop.setFaults({ hideAddToCart: true });
    t.after(() => rig.shop.resetFaults());
    const def = writeJourney(
      rig.dir,
      { name: 'starved', retries: 0, stepTimeout: '1500ms' },
      `async ({ page, step, params }) => {
        await step('open', async () => { await page.goto(params.baseUrl + '${PRODUCT}'); });
        await step('click', async () => { await page.getByRole('button', { name: 'Add to cart' }).click(); });
      }`,
    );
    // The kernel's CPU pressure as it reads while tasks wait for a CPU 95% of the time.
    const stalled = () => performance.now() * 1000 * 0.95;
    const starved = await runner({ cpuStallMicros: stalled }).run(def);
    assert.deepEqual([starved.status, starved.cause, starved.error?.step], ['error', 'prober', 'click'], starved.error?.message);
    assert.match(starved.error!.message, /starved pulse of CPU during this attempt \(tasks waited for a CPU 9\d% of the time\)/);
    // The same timeout with a CPU to spare is the target's.
    const calm = await runner({ cpuStallMicros: () => performance.now() * 1000 * 0.1 }).run(def);
    assert.deepEqual([calm.status, calm.cause, calm.error?.reason], ['failure', 'target', 'timeout']);
  });

  test('a page that trickles its body: the failed run keeps a screenshot of what was painted, the partial HTML and the request still open', async (t) => {
    rig.shop.setFaults({ tricklePath: '/slow' });
    t.after(() => rig.shop.resetFaults());
    const def = writeJourney(
      rig.dir,
      { name: 'trickle', retries: 0, timeout: '4s' },
      `async ({ page, step, params }) => {
        await step('open slow page', async () => { await page.goto(params.baseUrl + '/slow/page'); });
      }`,
    );
    const result = await runner().run(def);
    assert.equal(result.status, 'failure');
    assert.equal(result.error?.reason, 'timeout');
    assert.equal(result.cause, 'target');
    assert.match(result.error.message, /^GET \/slow\/page answered 200 but its body was still arriving after/);
    const root = path.join(rig.dataDir, 'artifacts');
    assert.ok(result.artifacts.screenshot, 'a screenshot was kept');
    assert.ok(pngSize(path.join(root, result.artifacts.screenshot)).width > 0);
    assert.ok(result.artifacts.html, 'the page HTML was kept');
    const partial = readFileSync(path.join(root, result.artifacts.html), 'utf8');
    assert.match(partial, /Pulse Demo Shop/, 'the part of the page that arrived');
    const log = JSON.parse(readFileSync(path.join(root, result.artifacts.console!), 'utf8')) as { pending: string[] };
    assert.ok(
      log.pending.some((line) => /GET .*\/slow\/page \(answered 200, body incomplete/.test(line)),
      JSON.stringify(log.pending),
    );
  });

  test('a dialog the page opened is in the console evidence, and does not block the journey', async () => {
    const def = writeJourney(
      rig.dir,
      { name: 'dialog', retries: 0, stepTimeout: '3s' },
      `async ({ page, step, params }) => {
        await step('open', async () => { await page.goto(params.baseUrl); });
        await step('page alerts', async () => {
          await page.evaluate(() => { setTimeout(() => alert('card declined'), 0); });
          await page.waitForTimeout(200);
          await expect(page.getByRole('heading', { level: 1 })).toHaveText('Never shown', { timeout: 500 });
        });
      }`,
    );
    const result = await runner().run(def);
    assert.equal(result.status, 'failure');
    assert.equal(result.cause, 'target');
    const log = JSON.parse(readFileSync(path.join(rig.dataDir, 'artifacts', result.artifacts.console!), 'utf8')) as {
      console: { kind: string; text: string }[];
    };
    assert.ok(
      log.console.some((entry) => entry.kind === 'dialog' && entry.text === 'alert: card declined'),
      JSON.stringify(log.console),
    );
    assert.ok(result.observed?.console.includes('dialog: alert: card declined'), 'the summary keeps it too');
  });
});

describe('a failed run against the last good one', () => {
  let shop: Shop;
  let dir: string;
  let dataDir: string;
  let pulse: DaemonProcess;
  let browser: Browser;

  before(async () => {
    shop = await startShop();
    dir = journeyDir('since-good');
    dataDir = makeTempDir();
    writeJourney(
      dir,
      { name: 'add-to-cart', retries: 0, timeout: '10s', stepTimeout: '4s' },
      `async ({ page, step, params }) => {
        await step('open product', async () => { await page.goto(params.baseUrl + '${PRODUCT}'); });
        await step('add to cart', async () => {
          await page.getByRole('button', { name: 'Add to cart' }).click();
          await expect(page.getByRole('status')).toContainText('Added 1', { timeout: 2000 });
        });
      }`,
    );
    // A good run and a failed one, each asked for, on one slot.
    pulse = new DaemonProcess(
      ['--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--schedule', NEVER, '--concurrency', '1', '--location', 'since-1'],
      { PULSE_CONTROL_INTERVAL: 'off', ...OPEN_WRITES },
    );
    await pulse.started();
    browser = await chromium.launch({ executablePath: findBrowser().executablePath, args: [...CHROMIUM_ARGS] });
  });
  after(async () => {
    await pulse?.stop();
    await browser?.close();
    await shop.close();
    removeDir(dataDir);
    removeDir(dir);
  });

  test('the run page and /api/runs/<id> list the new console error and the request that failed now and worked then', async (t) => {
    await pulse.runNow('add-to-cart');
    const good = await pulse.waitFor((line) => line.event === 'heartbeat', 30_000);
    shop.setFaults({ api500: true });
    t.after(() => shop.resetFaults());
    await pulse.runNow('add-to-cart');
    const failed = await pulse.waitFor((line) => line.event === 'journey_failed', 30_000, pulse.lines.indexOf(good));
    assert.equal(failed.cause, 'target');
    assert.equal(failed.reason, 'http');

    const api = (await (await fetch(`${pulse.url}/api/runs/${failed.runId}`)).json()) as { cause: string; sinceLastGood: SinceLastGood | null };
    assert.equal(api.cause, 'target');
    const since = api.sinceLastGood;
    assert.ok(since, 'compared with a good run');
    assert.ok(
      since.newlyFailing.some((r) => r.key === `POST ${shop.url}/api/cart` && r.now === '500' && r.then === '200'),
      JSON.stringify(since.newlyFailing),
    );
    assert.ok(
      since.newConsole.some((line) => /status of 500/.test(line)),
      JSON.stringify(since.newConsole),
    );

    const page = await browser.newPage();
    t.after(() => page.close());
    await page.goto(`${pulse.url}/runs/${failed.runId}`);
    await expect(page.getByTestId('cause')).toContainText('target');
    const section = page.getByTestId('since-last-good');
    await expect(section.getByRole('link', { name: since.runId })).toBeVisible();
    await expect(page.getByTestId('newly-failing')).toContainText(`POST ${shop.url}/api/cart: now 500, then 200`);
    await expect(page.getByTestId('new-console')).toContainText('status of 500');
  });
});
