// A worker's browser that goes away while pulse itself is still opening the run's context or page:
// the attempt says the browser went away, at once, instead of waiting on a call that may never
// answer and calling the browser unresponsive.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext } from 'playwright';
import { OwnOrigins } from '../../src/origins.ts';
import { pulseLaunchOptions } from '../../src/playwright.ts';
import { createRedactor } from '../../src/redact.ts';
import { runAttempt, type AttemptOptions } from '../../src/worker/attempt.ts';
import { browserMains } from '../support/processes.ts';
import { tempDir } from '../support/temp.ts';

function options(browser: Browser, artifactsRoot: string): AttemptOptions {
  return {
    body: async ({ step }) => {
      await step('never reached', () => undefined);
    },
    journey: { name: 'gone', timeoutMs: 20_000, stepTimeoutMs: 10_000 },
    runId: 'gone-1',
    attempt: 1,
    browser,
    contextOptions: {},
    params: { baseUrl: 'http://127.0.0.1:9' },
    vitals: true,
    observe: true,
    ownOrigins: new OwnOrigins(['http://127.0.0.1:9']),
    tracing: false,
    artifactsRoot,
    redact: createRedactor([]),
    events: { phase: () => undefined, stepStarted: () => undefined, stepEnded: () => undefined },
  };
}

/** A property of the object behind a proxy, its methods bound to that object. */
function own(target: object, property: string | symbol): unknown {
  const value: unknown = Reflect.get(target, property, target);
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

/** The browser as pulse holds it, except that opening a page first SIGKILLs the browser's main process. */
function killedAtNewPage(browser: Browser, pid: number): Browser {
  const killingContext = (context: BrowserContext) =>
    new Proxy(context, {
      get(target, property) {
        if (property === 'newPage')
          return () => {
            process.kill(pid, 'SIGKILL');
            return target.newPage();
          };
        return own(target, property);
      },
    });
  return new Proxy(browser, {
    get(target, property) {
      if (property === 'newContext') return async (...args: Parameters<Browser['newContext']>) => killingContext(await target.newContext(...args));
      return own(target, property);
    },
  });
}

describe('the browser goes away before the journey begins', () => {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch(pulseLaunchOptions({ headed: false }));
  });
  after(async () => {
    await browser.close().catch(() => undefined);
  });

  test('killed while pulse opens the page: an error naming the lost browser, not a 30 s wait for an answer', async (t) => {
    const [main] = browserMains(process.pid);
    assert.ok(main, "the browser's main process runs under the test");
    const report = await runAttempt(options(killedAtNewPage(browser, main.pid), tempDir(t)));
    assert.equal(report.browser, 'lost');
    assert.equal(report.result.status, 'error');
    assert.equal(report.result.cause, 'prober');
    assert.equal(report.result.error?.reason, 'crash');
    assert.match(String(report.result.error?.message), /^browser disconnected during the run: .*context\.newPage/);
    assert.doesNotMatch(String(report.result.error?.message), /did not answer|stopped answering/);
    assert.deepEqual(report.result.steps, []);
  });

  test('gone before the attempt: the context cannot open, and the error says the browser went away', async (t) => {
    const closed = await chromium.launch(pulseLaunchOptions({ headed: false }));
    await closed.close();
    const report = await runAttempt(options(closed, tempDir(t)));
    assert.equal(report.browser, 'lost');
    assert.equal(report.result.status, 'error');
    assert.equal(report.result.cause, 'prober');
    assert.match(String(report.result.error?.message), /^browser disconnected during the run: could not start a browser context/);
  });
});
