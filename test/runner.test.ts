import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startShop, type Shop } from '../src/demo/shop.ts';
import { expect } from '../src/index.ts';
import { journey, type JourneyBody, type JourneyOptions } from '../src/journey.ts';
import { createRedactor } from '../src/redact.ts';
import { validateJourney, type JourneyDefinition } from '../src/registry/validate.ts';
import { BrowserPool } from '../src/runner/browser-pool.ts';
import { findBrowser } from '../src/runner/find-browser.ts';
import { Runner, type RunnerOptions } from '../src/runner/runner.ts';
import { pngSize } from './support/png.ts';
import { browserMains } from './support/processes.ts';
import { makeTempDir, removeDir } from './support/temp.ts';

function define(options: Partial<JourneyOptions> & { name: string }, body: JourneyBody): JourneyDefinition {
  const { definition, problems } = validateJourney(journey({ schedule: '* * * * *', ...options }, body), 'test.journey.ts');
  assert.ok(definition, JSON.stringify(problems));
  return definition;
}

describe('runner', () => {
  let shop: Shop;
  let browsers: BrowserPool;
  let dataDir: string;
  let restarts = 0;
  const runner = (extra: Partial<RunnerOptions> = {}) =>
    new Runner({ browsers, params: { baseUrl: shop.url }, location: 'test-1', dataDir, ...extra });

  before(async () => {
    shop = await startShop();
    dataDir = makeTempDir();
    browsers = new BrowserPool({ browser: findBrowser(), onRestart: () => (restarts += 1) });
  });
  after(async () => {
    await browsers.close();
    await shop.close();
    removeDir(dataDir);
  });

  test('steps are timed, and a failed step skips the rest, including steps seen in earlier runs', async () => {
    let failAt: string | undefined;
    const def = define({ name: 'steps', retries: 0 }, async ({ page, step, params }) => {
      await step('open', async () => {
        await page.goto(params.baseUrl);
      });
      await step('check heading', async () => {
        await expect(page.getByRole('heading', { level: 1 })).toHaveText(failAt === 'check heading' ? 'Nope' : 'Pulse Demo Shop', { timeout: 500 });
      });
      await step('search', async () => {
        await page.getByLabel('Search products').fill('mug');
      });
    });
    const stepsRunner = runner();
    const ok = await stepsRunner.run(def);
    assert.equal(ok.status, 'success');
    assert.deepEqual(ok.steps.map((s) => [s.name, s.status]), [['open', 'passed'], ['check heading', 'passed'], ['search', 'passed']]);
    assert.ok(ok.steps.every((s) => s.durationMs > 0));

    failAt = 'check heading';
    const bad = await stepsRunner.run(def);
    assert.equal(bad.status, 'failure');
    assert.deepEqual(bad.steps.map((s) => [s.name, s.status]), [['open', 'passed'], ['check heading', 'failed'], ['search', 'skipped']]);
    assert.equal(bad.error?.step, 'check heading');
    assert.equal(bad.error?.reason, 'assertion');
    assert.doesNotMatch(bad.error!.message, /\u001b\[/, 'no terminal colours in the message');
  });

  test('a step failure the journey swallows is still a failure, and later steps are skipped', async () => {
    const def = define({ name: 'swallowed', retries: 0 }, async ({ step }) => {
      try {
        await step('breaks', async () => {
          throw new Error('broken');
        });
      } catch {
        // a journey that carries on regardless
      }
      await step('after', async () => {}).catch(() => undefined);
    });
    const result = await runner().run(def);
    assert.equal(result.status, 'failure');
    assert.equal(result.error?.step, 'breaks');
    assert.deepEqual(result.steps.map((s) => [s.name, s.status]), [['breaks', 'failed'], ['after', 'skipped']]);
  });

  test('a run that hits its timeout is cut off, names its step, and still has a screenshot', async (t) => {
    shop.setFaults({ hangPath: '/search' });
    t.after(() => shop.resetFaults());
    const def = define({ name: 'hangs', timeout: '2s', retries: 0 }, async ({ page, step, params }) => {
      await step('open', async () => {
        await page.goto(params.baseUrl);
      });
      await step('search', async () => {
        await page.goto(`${params.baseUrl}/search?q=mug`, { timeout: 60_000 });
      });
    });
    const result = await runner().run(def);
    assert.equal(result.status, 'failure');
    assert.equal(result.error?.reason, 'timeout');
    assert.equal(result.error?.step, 'search');
    assert.match(result.error!.message, /still waiting for GET .*\/search\?q=mug/);
    assert.ok(result.durationMs < 10_000, `cut off at the budget, took ${result.durationMs} ms`);
    assert.ok(result.artifacts.screenshot);
    assert.ok(pngSize(path.join(dataDir, 'artifacts', result.artifacts.screenshot)).width > 0);
    const log = JSON.parse(readFileSync(path.join(dataDir, 'artifacts', result.artifacts.console!), 'utf8')) as { pending: string[] };
    assert.ok(log.pending.some((p) => p.includes('/search?q=mug')));
  });

  test('a run that needed its retry succeeds, is marked flaky, and every attempt is kept', async () => {
    let attempts = 0;
    const def = define({ name: 'flaky', retries: 1 }, async ({ page, step, params }) => {
      await step('open', async () => {
        attempts += 1;
        await page.goto(attempts === 1 ? `${params.baseUrl}/products/no-such-product` : params.baseUrl);
        await expect(page.getByRole('heading', { level: 1 })).toHaveText('Pulse Demo Shop', { timeout: 500 });
      });
    });
    const result = await runner({ trace: 'on-retry' }).run(def);
    assert.equal(result.status, 'success');
    assert.equal(result.attempts, 2);
    assert.equal(result.flaky, true);
    assert.deepEqual(result.attemptResults.map((a) => a.status), ['failure', 'success']);
    assert.equal(result.attemptResults[0]?.error?.reason, 'http', 'the 404 page is what the user saw');
    assert.equal(result.artifacts.trace, undefined, 'a passing retry keeps no trace');
    assert.ok(result.artifacts.screenshot, 'the failed first attempt still has its screenshot');
  });

  test('a confirmed failure with trace on-retry has a trace zip from the retry', async () => {
    const def = define({ name: 'always-fails', retries: 1 }, async ({ page, step, params }) => {
      await step('open', async () => {
        await page.goto(params.baseUrl);
        await expect(page.getByRole('heading', { name: 'Not on this page' })).toBeVisible({ timeout: 300 });
      });
    });
    const result = await runner({ trace: 'on-retry' }).run(def);
    assert.equal(result.status, 'failure');
    assert.equal(result.attempts, 2);
    assert.match(result.artifacts.trace ?? '', /attempt-2-trace\.zip$/);
    const zip = readFileSync(path.join(dataDir, 'artifacts', result.artifacts.trace!));
    assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004', 'a zip file');
    assert.ok(zip.includes('trace.trace'), 'with a Playwright trace inside');
    assert.equal(result.attemptResults[0]?.artifacts.trace, undefined, 'the first attempt ran without tracing');
  });

  test('secret params never reach the error message, step names or evidence', async () => {
    const secret = 's3cr3t-Passw0rd';
    const def = define({ name: 'secrets', retries: 0 }, async ({ step, params }) => {
      await step(`log in as qa with ${params.password}`, async () => {
        throw new Error(`login rejected for password ${params.password}`);
      });
    });
    const result = await runner({ params: { baseUrl: shop.url, password: secret }, redact: createRedactor([secret]) }).run(def);
    assert.equal(result.status, 'failure');
    assert.equal(result.error?.reason, 'script');
    const text = JSON.stringify(result);
    assert.ok(!text.includes(secret), text);
    assert.match(result.error!.message, /\[redacted\]/);
    assert.equal(result.steps[0]?.name, 'log in as qa with [redacted]');
  });

  test('secrets typed into a page are redacted from the trace, the page HTML and the console log', async () => {
    const secret = 'Tr4ce-s3cret-value';
    const def = define({ name: 'secret-trace', retries: 1 }, async ({ page, step, params }) => {
      await step('type the secret', async () => {
        await page.goto(params.baseUrl);
        await page.getByLabel('Search products').fill(params.password!);
        await page.evaluate((value) => console.error(`login failed for ${value}`), params.password!);
        await page.getByRole('button', { name: 'Search' }).click();
        await expect(page.getByRole('heading', { name: 'Never there' })).toBeVisible({ timeout: 300 });
      });
    });
    const result = await runner({ params: { baseUrl: shop.url, password: secret }, redact: createRedactor([secret]), trace: 'on-retry' }).run(def);
    assert.equal(result.status, 'failure');
    assert.ok(result.artifacts.trace && result.artifacts.html && result.artifacts.console);
    const zip = readFileSync(path.join(dataDir, 'artifacts', result.artifacts.trace));
    assert.ok(zip.includes('trace.trace'));
    const { default: AdmZip } = await import('adm-zip');
    for (const entry of new AdmZip(path.join(dataDir, 'artifacts', result.artifacts.trace)).getEntries()) {
      const body = entry.getData().toString('utf8');
      assert.ok(!body.includes(secret) && !body.includes(encodeURIComponent(secret)), `secret in trace entry ${entry.entryName}`);
    }
    for (const file of [result.artifacts.html, result.artifacts.console]) {
      assert.ok(!readFileSync(path.join(dataDir, 'artifacts', file), 'utf8').includes(secret), file);
    }
  });

  test('evidence that cannot be written is logged, and the failure still comes out', async () => {
    const blocked = makeTempDir();
    // A file where the artifacts folder should be: every write under it fails.
    writeFileSync(path.join(blocked, 'artifacts'), 'not a folder');
    const warnings: string[] = [];
    const def = define({ name: 'unwritable', retries: 0 }, async ({ page, step, params }) => {
      await step('open', async () => {
        await page.goto(params.baseUrl);
        throw new Error('target broke');
      });
    });
    try {
      const result = await runner({ dataDir: blocked, log: { warn: (_fields, message) => warnings.push(message) } }).run(def);
      assert.equal(result.status, 'failure');
      assert.equal(result.error?.message, 'target broke');
      assert.deepEqual(result.artifacts, {});
      assert.ok(warnings.some((w) => /could not capture the artifact folder/.test(w)), warnings.join('\n'));
    } finally {
      removeDir(blocked);
    }
  });

  test('a browser killed mid-run: that run is an error, the browser is relaunched, the next run succeeds', async () => {
    shop.setFaults({ hangPath: '/search' });
    const def = define({ name: 'crash', timeout: '20s', retries: 1 }, async ({ page, step, params }) => {
      await step('open', async () => {
        await page.goto(`${params.baseUrl}/search?q=x`);
      });
    });
    const restartsBefore = restarts;
    const running = runner().run(def);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const mains = browserMains(process.pid);
    assert.equal(mains.length, 1, `one warm browser: ${mains.map((m) => `${m.pid}<-${m.ppid} ${m.cmdline.slice(0, 80)}`).join('\n')}`);
    process.kill(mains[0]!.pid, 'SIGKILL');
    const lost = await running;
    shop.resetFaults();
    assert.equal(lost.status, 'error');
    assert.equal(lost.attempts, 1, 'a prober error is not retried as if the target failed');
    assert.equal(lost.error?.reason, undefined);
    assert.match(lost.error!.message, /browser disconnected/);

    const next = await runner().run(define({ name: 'after-crash' }, async ({ page, step, params }) => {
      await step('open', async () => {
        await page.goto(params.baseUrl);
      });
    }));
    assert.equal(next.status, 'success');
    assert.equal(restarts, restartsBefore + 1);
    assert.equal(browserMains(process.pid).length, 1, 'still one browser');
  });
});
