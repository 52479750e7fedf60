import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { CHROMIUM_ARGS, findBrowser } from '../../src/runner/find-browser.ts';
import { DaemonProcess, NEVER, type LogLine } from '../support/daemon-process.ts';
import { rawGet } from '../support/raw-get.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const TOKEN = 'test-token-0123456789abcdef';
const BEARER = { authorization: `Bearer ${TOKEN}` };
const AUTH = { PULSE_AUTH_TOKEN: TOKEN, PULSE_AUTH_USER: 'oncall', PULSE_AUTH_PASSWORD: 'correct horse' };
const BASIC = { authorization: `Basic ${Buffer.from('oncall:correct horse').toString('base64')}` };

/** GET with the path sent exactly as written (fetch would normalise `../`). */
describe('on-call UI, API and evidence', () => {
  let shop: Shop;
  let browser: Browser;
  let dataDir: string;
  let pulse: DaemonProcess;
  let failed: LogLine;
  let hostile: LogLine;

  before(async () => {
    shop = await startShop({ faults: { checkout500: true } });
    browser = await chromium.launch({ executablePath: findBrowser().executablePath, args: [...CHROMIUM_ARGS] });
    dataDir = makeTempDir();
    // Each journey run once, when asked (with the token), on one slot: a failed checkout whose retry is traced, a hostile page.
    pulse = new DaemonProcess(
      ['--journeys', 'test/fixtures/ui-journeys', '--base-url', shop.url, '--data-dir', dataDir, '--schedule', NEVER, '--concurrency', '1'],
      { ...AUTH, PULSE_CONTROL_INTERVAL: 'off' },
    );
    await pulse.started();
    const checkout = await pulse.runNow('checkout', { headers: BEARER });
    failed = await pulse.waitFor((l) => l.event === 'journey_failed' && l.runId === checkout.runId, 30_000);
    const markup = await pulse.runNow('hostile', { headers: BEARER });
    hostile = await pulse.waitFor((l) => l.event === 'journey_failed' && l.runId === markup.runId, 30_000);
    await pulse.stop();
  });
  after(async () => {
    await pulse.stop();
    await reader?.stop();
    await browser?.close();
    await shop.close();
    removeDir(dataDir);
  });

  // The first daemon has stopped: this one reads the same data folder, so history must have survived.
  // It runs nothing (its schedule never comes round), so one slot is enough.
  const startReader = async (env: NodeJS.ProcessEnv = {}) => {
    const daemon = new DaemonProcess(
      ['--journeys', 'test/fixtures/ui-journeys', '--base-url', shop.url, '--data-dir', dataDir, '--schedule', NEVER, '--concurrency', '1'],
      { ...AUTH, PULSE_CONTROL_INTERVAL: 'off', ...env },
    );
    await daemon.started();
    return daemon;
  };
  const restarted = async (t: { after: (fn: () => Promise<unknown>) => void }, env: NodeJS.ProcessEnv = {}) => {
    const daemon = await startReader(env);
    t.after(() => daemon.stop());
    return daemon;
  };
  // The tests that only read share one restarted daemon, until the auth test needs the folder for daemons of its own.
  let reader: DaemonProcess | undefined;
  const shared = async () => (reader ??= await startReader());

  test('after a restart the history is there; the overview shows checkout down, the run page names the failed step and its screenshot loads', async (t) => {
    const daemon = await shared();
    const runs = (await (await fetch(`${daemon.url}/api/runs?journey=checkout&status=failure`, { headers: BEARER })).json()) as {
      runs: { runId: string; step: string }[];
    };
    assert.ok(
      runs.runs.some((r) => r.runId === failed.runId),
      'the failed run survived the restart',
    );

    const context = await browser.newContext({ extraHTTPHeaders: BEARER });
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(daemon.url);
    const row = page.locator('tr[data-journey="checkout"]');
    await row.getByText('DOWN', { exact: true }).waitFor();
    assert.match(await row.innerText(), /since/);

    await page.goto(`${daemon.url}${String(failed.runUrl)}`);
    assert.equal(await page.getByTestId('failed-step').innerText(), 'see order number');
    assert.match(await page.locator('tr.failed-step').innerText(), /see order number/);
    const image = page.getByRole('img', { name: /screenshot of the page when checkout failed/ });
    await image.waitFor();
    const width = await image.evaluate((img: HTMLImageElement) =>
      img.complete ? img.naturalWidth : new Promise<number>((resolve) => (img.onload = () => resolve(img.naturalWidth))),
    );
    assert.ok(width > 0, `screenshot natural width ${width}`);
    for (const label of ['page HTML', 'console and network log', 'Playwright trace']) await page.getByRole('link', { name: label }).first().waitFor();
    assert.match(await page.locator('main').innerText(), /npx playwright show-trace/);

    await page.goto(`${daemon.url}/journeys/checkout`);
    await page.getByRole('heading', { name: 'Failures' }).waitFor();
    assert.match(await page.locator('main').innerText(), /see order number\s+http/);
  });

  test('markup from a journey or a page is shown as text and never runs', async (t) => {
    const daemon = await shared();
    const context = await browser.newContext({ extraHTTPHeaders: BEARER });
    t.after(() => context.close());
    const page = await context.newPage();
    const dialogs: string[] = [];
    const consoleMessages: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('console', (message) => consoleMessages.push(message.text()));
    await page.goto(`${daemon.url}${String(hostile.runUrl)}`);
    const text = await page.locator('pre.error').innerText();
    assert.match(text, /<script>alert\("xss-script"\)<\/script><img src=x onerror="alert\('xss-img'\)">/);
    assert.match(await page.locator('main').innerText(), /open <b>home<\/b>/);
    assert.equal(await page.locator('main script, main img[onerror], main b').count(), 0);
    await page.goto(`${daemon.url}/journeys/hostile`);
    await page.goto(daemon.url);
    await page.waitForTimeout(300);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(
      consoleMessages.filter((m) => m.includes('xss')),
      [],
    );
  });

  test('the artifact route never serves a file outside the data folder', async () => {
    const daemon = await shared();
    const screenshot = (failed.artifacts as Record<string, string>).screenshot!;
    assert.equal((await rawGet(daemon.url, screenshot, BEARER)).status, 200, 'a real artifact is served');
    for (const path of [
      '/artifacts/../runs.sqlite',
      '/artifacts/checkout/../../runs.sqlite',
      '/artifacts/%2e%2e%2fruns.sqlite',
      '/artifacts/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/artifacts/..%2f..%2f..%2fetc%2fpasswd',
      '/artifacts//etc/passwd',
      '/artifacts/%2fetc%2fpasswd',
      '/artifacts/....//....//etc/passwd',
    ]) {
      const response = await rawGet(daemon.url, path, BEARER);
      assert.ok([400, 403, 404].includes(response.status), `${path} answered ${response.status}`);
      assert.doesNotMatch(response.body, /root:x:0:0|SQLite format/, path);
    }
  });

  test('security headers on the UI; captured page HTML is served sandboxed', async () => {
    const daemon = await shared();
    const page = await fetch(`${daemon.url}/`, { headers: BEARER });
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(page.headers.get('x-frame-options'));
    const htmlArtifact = (failed.artifacts as Record<string, string>).html!;
    const captured = await fetch(`${daemon.url}${htmlArtifact}`, { headers: BEARER });
    assert.equal(captured.status, 200);
    assert.match(captured.headers.get('content-security-policy') ?? '', /sandbox/);
  });

  test('with auth on: UI, API and artifacts need credentials (bearer or basic); health stays open; /metrics per its setting', async (t) => {
    const daemon = await shared();
    const screenshot = (failed.artifacts as Record<string, string>).screenshot!;
    for (const path of ['/', '/journeys/checkout', `/runs/${failed.runId}`, '/api/journeys', '/api/runs', `/api/runs/${failed.runId}`, screenshot]) {
      assert.equal((await fetch(`${daemon.url}${path}`)).status, 401, `${path} without credentials`);
      assert.equal(
        (await fetch(`${daemon.url}${path}`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status,
        401,
        `${path} with a wrong token`,
      );
      assert.equal((await fetch(`${daemon.url}${path}`, { headers: BEARER })).status, 200, `${path} with the token`);
      assert.equal((await fetch(`${daemon.url}${path}`, { headers: BASIC })).status, 200, `${path} with basic auth`);
    }
    assert.match((await fetch(`${daemon.url}/`)).headers.get('www-authenticate') ?? '', /Basic realm="pulse"/);
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.notEqual((await fetch(`${daemon.url}${path}`)).status, 401, `${path} stays open`);

    // One daemon per data folder: the next one starts when this one has stopped.
    await daemon.stop();
    reader = undefined;
    const strict = await restarted(t, { PULSE_AUTH_METRICS: '1' });
    assert.equal((await fetch(`${strict.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${strict.url}/metrics`, { headers: BEARER })).status, 200);
    assert.equal((await fetch(`${strict.url}/healthz`)).status, 200, 'probes never need credentials');
  });

  test('retention removes old evidence and the run page says it was pruned', async (t) => {
    const daemon = await restarted(t, { PULSE_ARTIFACT_MAX_BYTES: '1' });
    await daemon.waitFor((l) => l.event === 'retention', 15_000);
    const run = (await (await fetch(`${daemon.url}/api/runs/${failed.runId}`, { headers: BEARER })).json()) as { artifactsPrunedAt?: string; status: string };
    assert.equal(run.status, 'failure', 'the run itself stays');
    assert.ok(run.artifactsPrunedAt);
    const pageText = await (await fetch(`${daemon.url}${String(failed.runUrl)}`, { headers: BEARER })).text();
    assert.match(pageText, /was removed by retention/);
    const screenshot = (failed.artifacts as Record<string, string>).screenshot!;
    assert.equal((await fetch(`${daemon.url}${screenshot}`, { headers: BEARER })).status, 404);
  });
});
