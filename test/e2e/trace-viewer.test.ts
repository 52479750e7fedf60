// Playwright's trace viewer served by the daemon: a real failed checkout, a real Chromium clicking
// "Open trace", the viewer's service worker loading the trace through pulse, with and without auth;
// and, on an address where browsers will not run a service worker, the sentence and the download.
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { CHROMIUM_ARGS, findBrowser } from '../../src/runner/find-browser.ts';
import { TRACE_PASS_COOKIE } from '../../src/web/trace-pass.ts';
import { NEEDS_SECURE_CONTEXT } from '../../src/web/views/trace-page.ts';
import { DaemonProcess, NEVER, OPEN_WRITES, type LogLine } from '../support/daemon-process.ts';
import { rawGet } from '../support/raw-get.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const TOKEN = 'trace-viewer-token-0123456789';
const BEARER = { authorization: `Bearer ${TOKEN}` };
/** A name that is not loopback, which this test's Chromium resolves to 127.0.0.1. */
const PLAIN_HOST = 'pulse-oncall.test';

/** A daemon up and listening; generous, as the machine may be busy. */
async function startedWithin(daemon: DaemonProcess): Promise<string> {
  await daemon.waitFor((line) => line.event === 'started', 120_000);
  return daemon.url;
}

/** The titles in the viewer's action list, once it lists the failed step's assertion. */
async function actionsOnceLoaded(page: Page): Promise<string[]> {
  const failedAction = page.getByRole('treeitem').filter({ hasText: 'Expect "toBeVisible"' }).filter({ hasText: 'Thank you for your order' });
  await failedAction.first().waitFor({ timeout: 60_000 });
  return page.getByRole('treeitem').allInnerTexts();
}

describe('the trace viewer served by pulse', () => {
  let shop: Shop;
  let browser: Browser;
  let dataDir: string;
  let failed: LogLine;
  let scripted: LogLine;
  /** The failed run's trace, relative to the artifacts folder. */
  let trace: string;

  before(async () => {
    shop = await startShop({ faults: { checkout500: true } });
    browser = await chromium.launch({
      executablePath: findBrowser().executablePath,
      args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${PLAIN_HOST} 127.0.0.1`],
    });
    dataDir = makeTempDir();
    // One failed run of each journey, asked for, on one slot; their retries run traced.
    const first = new DaemonProcess(
      ['--journeys', 'test/fixtures/trace-journeys', '--base-url', shop.url, '--data-dir', dataDir, '--schedule', NEVER, '--concurrency', '1'],
      { PULSE_CONTROL_INTERVAL: 'off', ...OPEN_WRITES },
    );
    try {
      await startedWithin(first);
      const checkout = await first.runNow('checkout');
      failed = await first.waitFor((l) => l.event === 'journey_failed' && l.runId === checkout.runId, 60_000);
      const page = await first.runNow('scripted-page');
      scripted = await first.waitFor((l) => l.event === 'journey_failed' && l.runId === page.runId, 60_000);
    } finally {
      await first.stop();
    }
    const traceUrl = (failed.artifacts as Record<string, string>).trace;
    assert.ok(traceUrl, 'the failed run kept a trace (its retry runs traced)');
    trace = traceUrl.replace(/^\/artifacts\//, '');
  });
  after(async () => {
    await reader?.stop();
    await browser?.close();
    await shop?.close();
    if (dataDir) removeDir(dataDir);
  });

  // The history survives: the tests read it with a daemon that runs nothing (one slot is enough),
  // one for the tests without auth, then one with it (one daemon per data folder at a time).
  const startReader = async (env: NodeJS.ProcessEnv = {}) => {
    const started = new DaemonProcess(
      ['--journeys', 'test/fixtures/trace-journeys', '--base-url', shop.url, '--data-dir', dataDir, '--schedule', NEVER, '--concurrency', '1'],
      { PULSE_CONTROL_INTERVAL: 'off', ...env },
    );
    await startedWithin(started);
    return started;
  };
  let reader: DaemonProcess | undefined;
  const daemon = async () => (reader ??= await startReader());

  const newContext = async (t: { after: (fn: () => Promise<unknown>) => void }): Promise<BrowserContext> => {
    const context = await browser.newContext();
    t.after(() => context.close());
    return context;
  };

  test("Open trace on a failed run opens the viewer on that run's trace, listing the failed step's actions; so does the attempt's", async (t) => {
    const pulse = await daemon();
    const page = await (await newContext(t)).newPage();
    await page.goto(`${pulse.url}${String(failed.runUrl)}`);
    await page.getByTestId('open-trace').first().click();

    const actions = await actionsOnceLoaded(page);
    const viewer = new URL(page.url());
    assert.equal(viewer.pathname, '/trace-viewer/index.html');
    assert.equal(viewer.searchParams.get('trace'), `/trace-viewer/traces/${trace}`);
    assert.ok(
      actions.some((a) => a.includes('Click') && a.includes('Place order')),
      `the check out step's click is listed too: ${actions.join(' | ')}`,
    );
    await page.getByText(`checkout ${String(failed.runId)} attempt 2`).waitFor();
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL), `${pulse.url}/trace-viewer/sw.bundle.js`);
    // Without auth the viewer is open like the rest of the UI: no pass is handed out.
    assert.deepEqual(
      (await page.context().cookies(`${pulse.url}/trace-viewer/`)).map((cookie) => cookie.name),
      [],
      'no trace pass without auth',
    );

    // The attempts table: only the traced attempt (the retry) has its own Open trace.
    await page.goto(`${pulse.url}${String(failed.runUrl)}`);
    const rows = page.locator('table:has(th:text-is("attempt")) tbody tr');
    assert.equal(await rows.count(), 2);
    assert.equal(await rows.nth(0).getByTestId('open-trace').count(), 0, 'attempt 1 ran without a trace');
    await rows.nth(1).getByTestId('open-trace').click();
    await actionsOnceLoaded(page);
    assert.equal(new URL(page.url()).searchParams.get('trace'), `/trace-viewer/traces/${trace}`);
  });

  test("a target page's scripts and handlers in a trace never run in the viewer, on pulse's origin", async (t) => {
    const pulse = await daemon();
    const page = await (await newContext(t)).newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${pulse.url}${String(scripted.runUrl)}`);
    await page.getByTestId('open-trace').first().click();
    const failedAction = page.getByRole('treeitem').filter({ hasText: 'never shown' });
    await failedAction.first().waitFor({ timeout: 60_000 });
    // Show the snapshot of the page as it was, and press its button there.
    await page.getByRole('treeitem').filter({ hasText: 'scripted page' }).first().click();
    const snapshot = page.frameLocator('iframe.snapshot-visible');
    await snapshot.getByRole('heading', { name: 'scripted page' }).waitFor({ timeout: 30_000 });
    await snapshot.getByRole('button', { name: 'press' }).click({ force: true });
    // The script's mark lives in the page's window, not its DOM: a snapshot that ran it would have it.
    const snapshots = page.frames().filter((frame) => frame.url().includes('/trace-viewer/snapshot/'));
    assert.ok(
      snapshots.length > 0,
      page
        .frames()
        .map((frame) => frame.url())
        .join(' '),
    );
    for (const frame of snapshots) assert.equal(await frame.evaluate(() => (window as { ranHere?: number }).ranHere), undefined, frame.url());
    await page.waitForTimeout(1_000);
    assert.deepEqual(dialogs, []);
  });

  test("the viewer's files go out with their types, from its own folder only; a trace is a zip in the evidence and nothing else", async (t) => {
    const pulse = await daemon();
    const index = await rawGet(pulse.url, '/trace-viewer/index.html');
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(String(index.headers['content-security-policy']), /default-src 'none'; script-src 'self' 'sha256-/);
    assert.equal(index.headers['referrer-policy'], 'no-referrer');
    const referenced = [...index.body.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(referenced.some((file) => file.endsWith('.js')) && referenced.some((file) => file.endsWith('.css')), referenced.join(' '));
    const types: Record<string, RegExp> = {
      '.js': /^text\/javascript/,
      '.css': /^text\/css/,
      '.svg': /^image\/svg\+xml$/,
      '.webmanifest': /^application\/manifest\+json$/,
    };
    for (const file of referenced) {
      const answer = await rawGet(pulse.url, `/trace-viewer/${file}`);
      assert.equal(answer.status, 200, file);
      assert.match(String(answer.headers['content-type']), types[path.extname(file)]!, file);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff', file);
    }
    const worker = await rawGet(pulse.url, '/trace-viewer/sw.bundle.js');
    assert.match(String(worker.headers['content-type']), /^text\/javascript/);
    assert.match(String(worker.headers['content-security-policy']), /connect-src 'self' blob:;/, 'the service worker fetches traces from pulse only');

    // A link planted as a trace in the evidence leads nowhere.
    const runDir = path.join(dataDir, 'artifacts', path.dirname(trace));
    symlinkSync('/etc/passwd', path.join(runDir, 'planted-trace.zip'));
    t.after(() => removeDir(path.join(runDir, 'planted-trace.zip')));
    for (const requestPath of [
      '/trace-viewer/../package.json',
      '/trace-viewer/%2e%2e/package.json',
      '/trace-viewer/..%2f..%2fpackage.json',
      '/trace-viewer/%2e%2e%2f%2e%2e%2f%2e%2e%2fcli.js',
      '/trace-viewer/assets/../../../../package.json',
      '/trace-viewer//etc/passwd',
      '/trace-viewer/%2fetc%2fpasswd',
      '/trace-viewer/traces/../../runs.sqlite',
      '/trace-viewer/traces/%2e%2e%2fruns.sqlite',
      '/trace-viewer/traces/..%2f..%2f..%2fetc%2fpasswd',
      `/trace-viewer/traces/${path.dirname(trace)}/planted-trace.zip`,
      `/trace-viewer/traces/${path.dirname(trace)}/attempt-2-screenshot.png`,
      `/trace-viewer/traces/${path.dirname(trace)}/attempt-2-page.html`,
      '/trace-viewer/traces/',
      '/trace-viewer/',
    ]) {
      const answer = await rawGet(pulse.url, requestPath);
      assert.ok([400, 403, 404].includes(answer.status), `${requestPath} answered ${answer.status}`);
      assert.doesNotMatch(answer.body, /root:x:0:0|SQLite format|"name": "playwright-core"|PNG/, requestPath);
    }
    assert.equal((await rawGet(pulse.url, `/runs/${String(failed.runId)}/trace?attempt=1`)).status, 404, 'attempt 1 kept no trace');
    assert.equal((await rawGet(pulse.url, '/runs/no-such-run/trace')).status, 404);
  });

  test('over plain http on an address that is not loopback, the page says why in one sentence and offers the download and the command', async (t) => {
    const pulse = await daemon();
    const port = new URL(pulse.url).port;
    // A phone: where the viewer cannot run is often where on-call reads on one.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    t.after(() => phone.close());
    const page = await phone.newPage();
    const fitsThePhone = async () =>
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), `${page.url()} scrolls sideways on a phone`);

    await page.goto(`http://${PLAIN_HOST}:${port}${String(failed.runUrl)}`);
    await fitsThePhone();
    assert.equal(await page.evaluate(() => window.isSecureContext || 'serviceWorker' in navigator), false, 'the browser agrees: no service worker here');
    assert.equal(await page.getByTestId('trace-insecure').innerText(), NEEDS_SECURE_CONTEXT);
    assert.equal(await page.getByTestId('open-trace').count(), 0, 'no Open trace where it cannot open');
    const download = page.getByRole('link', { name: 'Download the trace' });
    assert.equal(await download.getAttribute('href'), `/artifacts/${trace}`);
    assert.match(await page.locator('main').innerText(), /npx playwright show-trace attempt-2-trace\.zip/);

    // Followed anyway, Open trace answers the same sentence, and hands out no pass.
    await page.goto(`http://${PLAIN_HOST}:${port}/runs/${String(failed.runId)}/trace`);
    assert.equal(await page.getByTestId('trace-insecure').innerText(), NEEDS_SECURE_CONTEXT);
    await page.getByRole('link', { name: 'Download the trace' }).waitFor();
    await fitsThePhone();
    const direct = await rawGet(pulse.url, `/runs/${String(failed.runId)}/trace`, { host: `${PLAIN_HOST}:${port}` });
    assert.equal(direct.status, 200);
    assert.ok(direct.body.includes(NEEDS_SECURE_CONTEXT));
    assert.equal(direct.headers['set-cookie'], undefined);

    // On loopback the same page offers the viewer, and the browser agrees it can run it.
    await page.goto(`${pulse.url}${String(failed.runUrl)}`);
    assert.equal(await page.evaluate(() => window.isSecureContext && 'serviceWorker' in navigator), true);
    assert.equal(await page.getByTestId('trace-insecure').count(), 0);
    await page.getByTestId('open-trace').first().waitFor();
  });

  test('with PULSE_AUTH_TOKEN the viewer loads on the pass Open trace hands out; without it the viewer and the trace are refused', async (t) => {
    await reader?.stop();
    reader = undefined;
    const pulse = await startReader({ PULSE_AUTH_TOKEN: TOKEN });
    t.after(() => pulse.stop());
    const context = await newContext(t);
    // The token goes only with the run page and Open trace (what a person's proxy or extension
    // would add); everything under /trace-viewer/ goes without it, the service worker's requests too.
    await context.route(`${pulse.url}/runs/**`, (route) => route.continue({ headers: { ...route.request().headers(), ...BEARER } }));
    await context.route(`${pulse.url}/trace-viewer/**`, (route) => {
      const headers = { ...route.request().headers() };
      delete headers.authorization;
      return route.continue({ headers });
    });
    const page = await context.newPage();
    await page.goto(`${pulse.url}${String(failed.runUrl)}`);
    await page.getByTestId('open-trace').first().click();
    await actionsOnceLoaded(page);

    const pass = (await context.cookies(`${pulse.url}/trace-viewer/`)).find((cookie) => cookie.name === TRACE_PASS_COOKIE);
    assert.ok(pass, 'Open trace handed out the pass');
    assert.equal(pass.path, '/trace-viewer/');
    assert.equal(pass.httpOnly, true);
    assert.equal(pass.sameSite, 'Strict');
    assert.equal(pass.secure, false, 'plain http on loopback: a Secure cookie would be dropped');
    const withPass = { cookie: `${TRACE_PASS_COOKIE}=${pass.value}` };

    const traceFile = `/trace-viewer/traces/${trace}`;
    const viewerFiles = ['/trace-viewer/index.html', '/trace-viewer/sw.bundle.js'];
    for (const file of [traceFile, ...viewerFiles]) {
      assert.equal((await rawGet(pulse.url, file)).status, 401, `${file} without the pass or the token`);
      assert.equal(
        (await rawGet(pulse.url, file, { cookie: `${TRACE_PASS_COOKIE}=${pass.value.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))}` })).status,
        401,
        `${file} with a forged pass`,
      );
      assert.equal((await rawGet(pulse.url, file, { authorization: 'Bearer wrong-token-0000000000' })).status, 401, `${file} with a wrong token`);
      assert.equal((await rawGet(pulse.url, file, withPass)).status, 200, `${file} with the pass`);
      assert.equal((await rawGet(pulse.url, file, BEARER)).status, 200, `${file} with the token`);
    }
    // The pass opens the viewer's path and nothing else: not the UI, the API, the evidence, nor a new pass.
    for (const other of [String(failed.runUrl), `${String(failed.runUrl)}/trace`, '/api/runs', '/', `/artifacts/${trace}`]) {
      assert.equal((await rawGet(pulse.url, other, withPass)).status, 401, `${other} with only the pass`);
    }
    // What the run page's request carried is what the service worker's fetch of the trace could not: the pass did it.
    const served = await rawGet(pulse.url, traceFile, withPass);
    assert.equal(served.headers['content-type'], 'application/zip');
    assert.equal(served.body.slice(0, 2), 'PK');

    // Behind a proxy that terminated TLS, the viewer is offered, and its pass is a Secure cookie.
    const port = new URL(pulse.url).port;
    const proxied = { host: `${PLAIN_HOST}:${port}`, 'x-forwarded-proto': 'https', ...BEARER };
    assert.match((await rawGet(pulse.url, String(failed.runUrl), proxied)).body, /data-testid="open-trace"/);
    const opened = await rawGet(pulse.url, `/runs/${String(failed.runId)}/trace`, proxied);
    assert.equal(opened.status, 303);
    assert.match(String(opened.headers.location), /^\/trace-viewer\/index\.html\?trace=/);
    assert.match(String(opened.headers['set-cookie']), /; HttpOnly; SameSite=Strict; Secure$/);
  });
});
