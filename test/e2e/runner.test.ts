import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createRedactor } from '../../src/redact.ts';
import { writeJourney } from '../support/journey-files.ts';
import { pngSize } from '../support/png.ts';
import { browserMains } from '../support/processes.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { shopRig, TestProber } from '../support/test-runner.ts';

describe('runner', () => {
  const rig = shopRig('runner', 'test-1');
  const { runner } = rig;

  test('steps are timed, and a failed step skips the rest, including steps seen in earlier runs', async () => {
    const flag = path.join(rig.dir, 'fail-heading');
    const def = writeJourney(
      rig.dir,
      { name: 'steps', retries: 0 },
      `async ({ page, step, params }) => {
        await step('open', async () => {
          await page.goto(params.baseUrl);
        });
        await step('check heading', async () => {
          await expect(page.getByRole('heading', { level: 1 })).toHaveText(existsSync(params.flag) ? 'Nope' : 'Pulse Demo Shop', { timeout: 500 });
        });
        await step('search', async () => {
          await page.getByLabel('Search products').fill('mug');
        });
      }`,
      "import { existsSync } from 'node:fs';",
    );
    const stepsRunner = runner({ params: { baseUrl: rig.shop.url, flag } });
    const ok = await stepsRunner.run(def);
    assert.equal(ok.status, 'success', ok.error?.message);
    assert.deepEqual(
      ok.steps.map((s) => [s.name, s.status]),
      [
        ['open', 'passed'],
        ['check heading', 'passed'],
        ['search', 'passed'],
      ],
    );
    assert.ok(ok.steps.every((s) => s.durationMs > 0));

    writeFileSync(flag, '1');
    const bad = await stepsRunner.run(def);
    assert.equal(bad.status, 'failure');
    assert.deepEqual(
      bad.steps.map((s) => [s.name, s.status]),
      [
        ['open', 'passed'],
        ['check heading', 'failed'],
        ['search', 'skipped'],
      ],
    );
    assert.equal(bad.error?.step, 'check heading');
    assert.equal(bad.error?.reason, 'assertion');
    assert.doesNotMatch(bad.error.message, new RegExp(`${String.fromCharCode(27)}\\[`), 'no terminal colours in the message');
  });

  test('a step failure the journey swallows is still a failure, and later steps are skipped', async () => {
    const def = writeJourney(
      rig.dir,
      { name: 'swallowed', retries: 0 },
      `async ({ step }) => {
        try {
          await step('breaks', async () => {
            throw new Error('broken');
          });
        } catch {
          // a journey that carries on regardless
        }
        await step('after', async () => {}).catch(() => undefined);
      }`,
    );
    const result = await runner().run(def);
    assert.equal(result.status, 'failure');
    assert.equal(result.error?.step, 'breaks');
    assert.deepEqual(
      result.steps.map((s) => [s.name, s.status]),
      [
        ['breaks', 'failed'],
        ['after', 'skipped'],
      ],
    );
  });

  test('a run that hits its timeout is cut off, names its step, and still has a screenshot', async (t) => {
    rig.shop.setFaults({ hangPath: '/search' });
    t.after(() => rig.shop.resetFaults());
    const def = writeJourney(
      rig.dir,
      { name: 'hangs', timeout: '2s', retries: 0 },
      `async ({ page, step, params }) => {
        await step('open', async () => {
          await page.goto(params.baseUrl);
        });
        await step('search', async () => {
          await page.goto(params.baseUrl + '/search?q=mug', { timeout: 60_000 });
        });
      }`,
    );
    const result = await runner().run(def);
    assert.equal(result.status, 'failure');
    assert.equal(result.error?.reason, 'timeout');
    assert.equal(result.error?.step, 'search');
    // The request named first (its own origin: by path, no query), then what pulse's budget saw.
    assert.equal(result.cause, 'target');
    assert.match(result.error.message, /^GET \/search got no answer after [\d.]+ s\n.*run timeout of 2000 ms exceeded while waiting in page\.goto/s);
    assert.ok(result.durationMs < 10_000, `cut off at the budget, took ${result.durationMs} ms`);
    assert.ok(result.artifacts.screenshot);
    assert.ok(pngSize(path.join(rig.dataDir, 'artifacts', result.artifacts.screenshot)).width > 0);
    const log = JSON.parse(readFileSync(path.join(rig.dataDir, 'artifacts', result.artifacts.console!), 'utf8')) as { pending: string[] };
    assert.ok(log.pending.some((p) => p.includes('/search?q=mug')));
  });

  test('a run that needed its retry succeeds, is marked flaky, and every attempt is kept', async () => {
    const marker = path.join(rig.dir, 'flaky-attempted');
    rmSync(marker, { force: true });
    const def = writeJourney(
      rig.dir,
      { name: 'flaky', retries: 1 },
      `async ({ page, step, params }) => {
        await step('open', async () => {
          const first = !existsSync(params.marker);
          writeFileSync(params.marker, 'seen');
          await page.goto(first ? params.baseUrl + '/products/no-such-product' : params.baseUrl);
          await expect(page.getByRole('heading', { level: 1 })).toHaveText('Pulse Demo Shop', { timeout: 500 });
        });
      }`,
      "import { existsSync, writeFileSync } from 'node:fs';",
    );
    const result = await runner({ trace: 'on-retry', params: { baseUrl: rig.shop.url, marker } }).run(def);
    assert.equal(result.status, 'success', result.error?.message);
    assert.equal(result.attempts, 2);
    assert.equal(result.flaky, true);
    assert.deepEqual(
      result.attemptResults.map((a) => a.status),
      ['failure', 'success'],
    );
    assert.equal(result.attemptResults[0]?.error?.reason, 'http', 'the 404 page is what the user saw');
    assert.equal(result.artifacts.trace, undefined, 'a passing retry keeps no trace');
    assert.ok(result.artifacts.screenshot, 'the failed first attempt still has its screenshot');
  });

  test('a confirmed failure with trace on-retry has a trace zip from the retry', async () => {
    const def = writeJourney(
      rig.dir,
      { name: 'always-fails', retries: 1 },
      `async ({ page, step, params }) => {
        await step('open', async () => {
          await page.goto(params.baseUrl);
          await expect(page.getByRole('heading', { name: 'Not on this page' })).toBeVisible({ timeout: 300 });
        });
      }`,
    );
    const result = await runner({ trace: 'on-retry' }).run(def);
    assert.equal(result.status, 'failure');
    assert.equal(result.attempts, 2);
    assert.match(result.artifacts.trace ?? '', /attempt-2-trace\.zip$/);
    const zip = readFileSync(path.join(rig.dataDir, 'artifacts', result.artifacts.trace!));
    assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004', 'a zip file');
    assert.ok(zip.includes('trace.trace'), 'with a Playwright trace inside');
    assert.equal(result.attemptResults[0]?.artifacts.trace, undefined, 'the first attempt ran without tracing');
  });

  test('secret params never reach the error message, step names or evidence', async () => {
    const secret = 's3cr3t-Passw0rd';
    const def = writeJourney(
      rig.dir,
      { name: 'secrets', retries: 0 },
      `async ({ step, params }) => {
        await step('log in as qa with ' + params.password, async () => {
          throw new Error('login rejected for password ' + params.password);
        });
      }`,
    );
    const result = await runner({ params: { baseUrl: rig.shop.url, password: secret }, secrets: [secret], redact: createRedactor([secret]) }).run(def);
    assert.equal(result.status, 'failure');
    assert.equal(result.error?.reason, 'script');
    const text = JSON.stringify(result);
    assert.ok(!text.includes(secret), text);
    assert.match(result.error.message, /\[redacted\]/);
    assert.equal(result.steps[0]?.name, 'log in as qa with [redacted]');
  });

  test('secrets typed into a page are redacted from the trace, the page HTML and the console log', async () => {
    const secret = 'Tr4ce-s3cret-value';
    const def = writeJourney(
      rig.dir,
      { name: 'secret-trace', retries: 1 },
      `async ({ page, step, params }) => {
        await step('type the secret', async () => {
          await page.goto(params.baseUrl);
          await page.getByLabel('Search products').fill(params.password);
          await page.evaluate((value) => console.error('login failed for ' + value), params.password);
          await page.getByRole('button', { name: 'Search' }).click();
          await expect(page.getByRole('heading', { name: 'Never there' })).toBeVisible({ timeout: 300 });
        });
      }`,
    );
    const result = await runner({
      params: { baseUrl: rig.shop.url, password: secret },
      secrets: [secret],
      redact: createRedactor([secret]),
      trace: 'on-retry',
    }).run(def);
    assert.equal(result.status, 'failure');
    assert.ok(result.artifacts.trace && result.artifacts.html && result.artifacts.console);
    const zip = readFileSync(path.join(rig.dataDir, 'artifacts', result.artifacts.trace));
    assert.ok(zip.includes('trace.trace'));
    const { default: AdmZip } = await import('adm-zip');
    const entries = new AdmZip(path.join(rig.dataDir, 'artifacts', result.artifacts.trace)).getEntries();
    assert.ok(entries.length > 0);
    for (const entry of entries) {
      const body = entry.getData().toString('utf8');
      assert.ok(!body.includes(secret) && !body.includes(encodeURIComponent(secret)), `secret in trace entry ${entry.entryName}`);
    }
    for (const file of [result.artifacts.html, result.artifacts.console]) {
      assert.ok(!readFileSync(path.join(rig.dataDir, 'artifacts', file), 'utf8').includes(secret), file);
    }
  });

  test('evidence that cannot be written is logged, and the failure still comes out', async () => {
    const blocked = makeTempDir();
    // A file where the artifacts folder should be: every write under it fails.
    writeFileSync(path.join(blocked, 'artifacts'), 'not a folder');
    const warnings: string[] = [];
    const def = writeJourney(
      rig.dir,
      { name: 'unwritable', retries: 0 },
      `async ({ page, step, params }) => {
        await step('open', async () => {
          await page.goto(params.baseUrl);
          throw new Error('target broke');
        });
      }`,
    );
    const logging = new TestProber({ hooks: { warn: (_fields, message) => warnings.push(message) } });
    try {
      const result = await logging.runner({ params: { baseUrl: rig.shop.url }, location: 'test-1', dataDir: blocked }).run(def);
      assert.equal(result.status, 'failure');
      assert.equal(result.error?.message, 'target broke');
      assert.deepEqual(result.artifacts, {});
      assert.ok(
        warnings.some((w) => /could not capture the artifact folder/.test(w)),
        warnings.join('\n'),
      );
    } finally {
      await logging.close();
      removeDir(blocked);
    }
  });

  test('a run over its budget is never a success, even when the journey hogs the event loop below the kill grace', async () => {
    const def = writeJourney(
      rig.dir,
      { name: 'overran', timeout: '1s', retries: 0 },
      `async ({ step }) => {
        await step('spin', async () => {
          const end = Date.now() + 1_800;
          while (Date.now() < end) {
            // busy, but done before pulse would end the worker
          }
        });
      }`,
    );
    const result = await runner().run(def);
    assert.equal(result.status, 'failure');
    assert.equal(result.error?.reason, 'script');
    assert.equal(result.error?.step, 'spin');
    assert.match(result.error.message, /kept its worker busy for \d+ ms, past the run budget of 1000 ms/);
  });

  test('a browser killed mid-run: that run is an error, the browser is relaunched, the next run succeeds', async () => {
    const healthy = writeJourney(
      rig.dir,
      { name: 'after-crash' },
      `async ({ page, step, params }) => {
        await step('open', async () => {
          await page.goto(params.baseUrl);
        });
      }`,
    );
    // Warm: the worker and the browser are up, so the kill below lands while the page waits.
    assert.equal((await runner().run(healthy)).status, 'success');
    rig.shop.setFaults({ hangPath: '/search' });
    const def = writeJourney(
      rig.dir,
      { name: 'crash', timeout: '20s', retries: 1 },
      `async ({ page, step, params }) => {
        await step('open', async () => {
          await page.goto(params.baseUrl + '/search?q=x');
        });
      }`,
    );
    const restartsBefore = rig.prober.restarts;
    const running = runner().run(def);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const mains = browserMains(process.pid);
    assert.equal(mains.length, 1, `one warm browser: ${mains.map((m) => `${m.pid}<-${m.ppid} ${m.cmdline.slice(0, 80)}`).join('\n')}`);
    assert.equal(mains[0]!.pid, rig.prober.workers.browserPids[0], "the worker's own browser");
    process.kill(mains[0]!.pid, 'SIGKILL');
    const lost = await running;
    rig.shop.resetFaults();
    assert.equal(lost.attempts, 1, 'a rig.prober error is not retried as if the target failed');
    assert.equal(lost.error?.reason, 'crash', 'a crash has a reason of its own');
    assert.match(lost.error.message, /browser disconnected/);

    const next = await runner().run(healthy);
    assert.equal(next.status, 'success', next.error?.message);
    assert.equal(rig.prober.restarts, restartsBefore + 1);
    assert.equal(browserMains(process.pid).length, 1, 'still one browser');
  });
});
