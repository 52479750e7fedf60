/**
 * The on-call pages on a phone: a real daemon runs the journeys of test/fixtures/phone-pages (a
 * long journey name with no dash to break at, twelve steps that end in a long error, a healthy
 * journey of ten steps) against the demo shop, and Chromium opens every HTML page of the UI as a
 * 390x844 phone. No page may scroll sideways: wide tables scroll in their own box, long ids and
 * errors wrap and still copy whole, the screenshot fits. On a desktop the tables stay whole.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { CHROMIUM_ARGS, findBrowser } from '../../src/runner/find-browser.ts';
import { DaemonProcess, NEVER, type LogLine } from '../support/daemon-process.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { webGetRoutes } from '../support/web-routes.ts';

const JOURNEYS = 'test/fixtures/phone-pages';
const LONG = 'returning-customer-checkout-with-giftcardandloyaltypointsredemptionandexpressdeliveryeuwest';
const TEN = 'browse-the-catalogue-in-ten-steps';
const TOKEN = 'phone-pages-token-0123456789abcdef';
const BEARER = { authorization: `Bearer ${TOKEN}` };
/** An iPhone-sized screen: the layout viewport follows the page's viewport meta tag, as on a phone. */
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
/** A daemon starts in seconds; on a machine shared with other test runs it may take much longer. */
const STARTUP_MS = 180_000;
const REASON = `deploy of the loyalty service ${'https://deploy.example/pipelines/loyalty-service/runs/'}${'4f3e2d1c'.repeat(12)}`;

/** One HTML page of the UI, by the route that serves it. */
interface UiPage {
  route: string;
  path: string;
}

/** Routes that answer with something other than a page of pulse's own, and why. */
const NOT_UI_PAGES: Record<string, string> = {
  '/artifacts/*': "evidence files as they were captured (the page HTML is the target's own page, not pulse's)",
  '/runs/:id/trace':
    "opens Playwright's own trace viewer, not a page of pulse's; where the viewer cannot run, its page of one sentence is checked at 390 px in trace-viewer.test.ts",
};

interface Width {
  scrollWidth: number;
  innerWidth: number;
  clipped: string[];
  outside: string[];
}

/**
 * How wide the page is, and what sticks out of the screen: every element not inside a box of its
 * own that scrolls or clips (such a box is itself checked) must lie within the viewport, and the
 * page itself must not hide what sticks out.
 */
function measure(page: Page): Promise<Width> {
  // No named functions inside: the code runs in the page, without the helpers the TypeScript loader adds.
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const outside: string[] = [];
    for (const element of Array.from(document.body.querySelectorAll('*'))) {
      let boxed = false;
      for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
        if (getComputedStyle(parent).overflowX !== 'visible') {
          boxed = true;
          break;
        }
      }
      if (boxed) continue;
      const rect = element.getBoundingClientRect();
      if (rect.width > 0 && (rect.right > width + 1 || rect.left < -1))
        outside.push(
          `${element.tagName.toLowerCase()}.${element.getAttribute('class') ?? ''} [${Math.round(rect.left)}, ${Math.round(rect.right)}] "${(element.textContent ?? '').trim().slice(0, 40)}"`,
        );
    }
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      clipped: [document.documentElement, document.body]
        .filter((element) => getComputedStyle(element).overflowX !== 'visible')
        .map((element) => element.tagName.toLowerCase()),
      outside,
    };
  });
}

/** What a person copies after selecting the element's whole text, and how far right its text reaches on the screen. */
function copied(page: Page, selector: string): Promise<{ text: string; right: number }> {
  return page
    .locator(selector)
    .first()
    .evaluate((element) => {
      const range = document.createRange();
      range.selectNodeContents(element);
      const selection = window.getSelection()!;
      selection.removeAllRanges();
      selection.addRange(range);
      return { text: selection.toString(), right: Math.max(...Array.from(range.getClientRects()).map((rect) => rect.right)) };
    });
}

describe('the on-call pages on a phone', () => {
  let shop: Shop;
  let browser: Browser;
  let dataDir: string;
  let pulse: DaemonProcess;
  let failed: LogLine;
  let succeeded: LogLine;
  let pages: UiPage[];

  before(async () => {
    shop = await startShop();
    browser = await chromium.launch({ executablePath: findBrowser().executablePath, args: [...CHROMIUM_ARGS] });
    dataDir = makeTempDir();
    // One daemon that runs nothing on its own, with auth (so the journey page shows its forms), asked for
    // the runs the pages need, on one slot, with the traffic marker on so that a run has a trace id to show.
    pulse = new DaemonProcess(['--journeys', JOURNEYS, '--base-url', shop.url, '--data-dir', dataDir, '--schedule', NEVER, '--concurrency', '1'], {
      PULSE_AUTH_TOKEN: TOKEN,
      PULSE_MARK_TRAFFIC: 'on',
    });
    await pulse.waitFor((l) => l.event === 'started', STARTUP_MS);
    const long = await pulse.runNow(LONG, { headers: BEARER, timeoutMs: 180_000 });
    failed = await pulse.waitFor((l) => l.event === 'journey_failed' && l.runId === long.runId, 60_000);
    for (let count = 0; count < 3; count++) {
      const ten = await pulse.runNow(TEN, { headers: BEARER, timeoutMs: 180_000 });
      succeeded = await pulse.waitFor((l) => l.event === 'heartbeat' && l.runId === ten.runId, 60_000);
    }
    const pause = await fetch(`${pulse.url}/api/pauses`, {
      method: 'POST',
      headers: { ...BEARER, 'content-type': 'application/json' },
      body: JSON.stringify({ journey: LONG, for: '2h', reason: REASON }),
    });
    assert.equal(pause.status, 201, await pause.text());
    const started = encodeURIComponent(String(failed.runId));
    pages = [
      { route: '/', path: '/' },
      { route: '/', path: '/?sort=flaky' },
      { route: '/journeys/:name', path: `/journeys/${LONG}` },
      { route: '/journeys/:name', path: `/journeys/${LONG}?started=${started}&busy=${started}` },
      { route: '/journeys/:name', path: `/journeys/${TEN}` },
      { route: '/runs/:id', path: String(failed.runUrl) },
      { route: '/runs/:id', path: `/runs/${encodeURIComponent(String(succeeded.runId))}` },
      { route: '/control/', path: '/control/' },
    ];
  });
  after(async () => {
    await pulse?.stop();
    await browser?.close();
    await shop?.close();
    removeDir(dataDir);
  });

  test('the fixtures give the pages what makes them wide: a long name, a long error, ten steps, a twelve-step waterfall with a screenshot', async (t) => {
    const context = await browser.newContext({ ...DESKTOP, extraHTTPHeaders: BEARER });
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`${pulse.url}${String(failed.runUrl)}`);
    assert.equal(await page.locator('table.waterfall tbody tr').count(), 12);
    assert.ok((await page.locator('pre.error').innerText()).length > 400, 'the error is long');
    await page.locator('img.screenshot').waitFor();
    await page.goto(`${pulse.url}/journeys/${TEN}`);
    assert.equal(await page.locator('svg[aria-label^="step durations"] polyline').count(), 10, 'a line for each of ten steps');
  });

  test('on a 390 px phone no page of the UI scrolls sideways', async (t) => {
    const context = await browser.newContext({ ...PHONE, extraHTTPHeaders: BEARER });
    t.after(() => context.close());
    const page = await context.newPage();
    const wide: string[] = [];
    for (const { path } of pages) {
      const response = await page.goto(`${pulse.url}${path}`);
      assert.equal(response?.status(), 200, path);
      const width = await measure(page);
      if (width.innerWidth !== 390 || width.scrollWidth > 390 || width.clipped.length > 0 || width.outside.length > 0)
        wide.push(
          `${path}: ${width.scrollWidth} px wide in a ${width.innerWidth} px viewport${width.clipped.length ? `, clipped by ${width.clipped.join(', ')}` : ''}${width.outside.length ? `; off the screen: ${width.outside.slice(0, 6).join('; ')}` : ''}`,
        );
    }
    assert.deepEqual(wide, []);
  });

  test('on a phone long ids, names and errors wrap and still copy whole', async (t) => {
    const run = (await (await fetch(`${pulse.url}/api/runs/${encodeURIComponent(String(failed.runId))}`, { headers: BEARER })).json()) as {
      runId: string;
      traceId?: string;
      error: { message: string };
    };
    const context = await browser.newContext({ ...PHONE, extraHTTPHeaders: BEARER });
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`${pulse.url}${String(failed.runUrl)}`);
    assert.ok(run.traceId, 'the run has a trace id');
    const values: [string, string][] = [
      ['h1 a', LONG],
      ['pre.error', run.error.message],
      ['[data-testid="trace-id"]', run.traceId],
      [`code:text-is("${run.runId}")`, run.runId],
    ];
    for (const [selector, value] of values) {
      const shown = await copied(page, selector);
      assert.equal(shown.text, value, selector);
      assert.ok(shown.right <= 390, `${selector} reaches ${shown.right} px`);
    }
    // Wrapped, not cut: the heading takes more than one line.
    const heading = await page.locator('h1').boundingBox();
    assert.ok(heading && heading.height > 40, `heading ${JSON.stringify(heading)}`);

    await page.goto(`${pulse.url}/journeys/${LONG}`);
    assert.match(await page.locator('main').innerText(), new RegExp(REASON.replace(/[.?/]/g, '\\$&')));
  });

  test('on a phone the screenshot fits the width and keeps its proportions', async (t) => {
    const context = await browser.newContext({ ...PHONE, extraHTTPHeaders: BEARER });
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`${pulse.url}${String(failed.runUrl)}`);
    const image = page.locator('img.screenshot');
    await image.scrollIntoViewIfNeeded();
    const size = await image.evaluate(async (img: HTMLImageElement) => {
      if (!img.complete) await new Promise((resolve) => (img.onload = resolve));
      const rect = img.getBoundingClientRect();
      return { natural: [img.naturalWidth, img.naturalHeight], shown: [rect.width, rect.height], right: rect.right };
    });
    const [naturalWidth, naturalHeight] = size.natural as [number, number];
    const [shownWidth, shownHeight] = size.shown as [number, number];
    assert.ok(naturalWidth > 390, `the screenshot is wider than a phone (${naturalWidth} px)`);
    assert.ok(size.right <= 390, `shown ${shownWidth} px wide, to ${size.right}`);
    assert.ok(
      Math.abs(shownHeight / shownWidth - naturalHeight / naturalWidth) < 0.02,
      `shown ${shownWidth}x${shownHeight} of ${naturalWidth}x${naturalHeight}`,
    );
  });

  test("every HTML page the web server's router serves is among the pages checked", async () => {
    const routes = await webGetRoutes();
    const example: Record<string, string> = { ':name': LONG, ':id': String(failed.runId) };
    const checked = new Set(pages.map((page) => page.route));
    const unchecked: string[] = [];
    for (const route of routes) {
      if (NOT_UI_PAGES[route]) continue;
      const path = route.replace(/:[a-z]+/g, (param) => encodeURIComponent(example[param] ?? 'x'));
      const response = await fetch(`${pulse.url}${path}`, { headers: BEARER });
      await response.arrayBuffer();
      if ((response.headers.get('content-type') ?? '').startsWith('text/html') && !checked.has(route)) unchecked.push(route);
    }
    assert.ok(routes.includes('/runs/:id') && routes.includes('/'), `routes read from the router: ${routes.join(' ')}`);
    assert.deepEqual(unchecked, []);
  });

  test('on a desktop the pages keep their layout: nothing scrolls sideways, neither the page nor a table in it', async (t) => {
    const context = await browser.newContext({ ...DESKTOP, extraHTTPHeaders: BEARER });
    t.after(() => context.close());
    const page = await context.newPage();
    const scrolling: string[] = [];
    for (const { path } of pages) {
      await page.goto(`${pulse.url}${path}`);
      const width = await measure(page);
      if (width.scrollWidth > 1280) scrolling.push(`${path}: ${width.scrollWidth} px wide`);
      const boxes = await page.evaluate(
        () =>
          Array.from(document.querySelectorAll('table')).filter((table) => {
            const box = table.parentElement!;
            return getComputedStyle(box).overflowX !== 'visible' && box.scrollWidth > box.clientWidth + 1;
          }).length,
      );
      if (boxes > 0) scrolling.push(`${path}: ${boxes} table(s) scroll in their box`);
      // The tables take the width of the page as before, not the width of their content.
      const narrow = await page.evaluate(() => {
        const main = document.querySelector('main')?.getBoundingClientRect().width ?? 0;
        return Array.from(document.querySelectorAll('main table')).filter((table) => table.getBoundingClientRect().width < main - 60).length;
      });
      if (narrow > 0) scrolling.push(`${path}: ${narrow} table(s) narrower than the page`);
    }
    assert.deepEqual(scrolling, []);
  });
});
