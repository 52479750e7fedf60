import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunResult } from '../../src/result.ts';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import type { Faults } from '../../src/demo/faults.ts';
import { CHECKOUT_ONLY } from '../support/journey-files.ts';
import { pngSize } from '../support/png.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { tempDir } from '../support/temp.ts';

describe('pulse once against the demo shop', () => {
  let shop: Shop;
  let dataDir: string;
  before(async () => {
    shop = await startShop();
  });
  after(async () => {
    await shop.close();
  });

  const once = async (args: string[]) => {
    const result = await runPulse(['once', ...args, '--base-url', shop.url, '--data-dir', dataDir]);
    return result;
  };

  test('a healthy checkout succeeds, prints every step with a duration, and the steps add up to the run', async (t) => {
    dataDir = tempDir(t);
    const table = await once(['checkout', ...CHECKOUT_ONLY]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /✓ checkout\s+SUCCESS/);
    for (const step of ['open home', 'search for a product', 'add to cart', 'review cart', 'check out', 'see order number']) {
      assert.match(table.stdout, new RegExp(`✓ ${step}\\s+\\d+(\\.\\d+)? (ms|s)`), `step ${step} in:\n${table.stdout}`);
    }

    const json = await once(['checkout', '--json', ...CHECKOUT_ONLY]);
    assert.equal(json.code, 0, json.stderr);
    const [result] = JSON.parse(json.stdout) as RunResult[];
    assert.ok(result);
    assert.equal(result.status, 'success');
    assert.equal(result.attempts, 1);
    assert.equal(result.steps.length, 6);
    const sum = result.steps.reduce((total, step) => total + step.durationMs, 0);
    assert.ok(Math.abs(result.durationMs - sum) <= result.durationMs * 0.03, `steps add to ${sum} ms, run took ${result.durationMs} ms`);
    assert.deepEqual(result.artifacts, {});
  });

  const faults: { name: string; faults: Partial<Faults>; step: string; reason: string }[] = [
    { name: 'checkout answers 500', faults: { checkout500: true }, step: 'see order number', reason: 'http' },
    { name: 'search page hangs', faults: { hangPath: '/search' }, step: 'search for a product', reason: 'timeout' },
    { name: 'responses slowed by 6 s', faults: { delayMs: 6_000 }, step: 'add to cart', reason: 'timeout' },
    { name: 'product page script crashes', faults: { jsError: true }, step: 'add to cart', reason: 'assertion' },
    { name: 'add-to-cart button missing', faults: { hideAddToCart: true }, step: 'add to cart', reason: 'assertion' },
    { name: 'whole site down', faults: { down: true }, step: 'open home', reason: 'navigation' },
    { name: 'every 2nd request fails', faults: { failOneIn: 2 }, step: 'search for a product', reason: 'http' },
  ];
  for (const fault of faults) {
    test(`fault: ${fault.name} -> exit 1, step '${fault.step}', reason ${fault.reason}, a PNG screenshot`, async (t) => {
      dataDir = tempDir(t);
      shop.setFaults(fault.faults);
      t.after(() => shop.resetFaults());
      const run = await once(['checkout', '--retries', '0', '--json', ...CHECKOUT_ONLY]);
      assert.equal(run.code, 1, run.stderr);
      const [result] = JSON.parse(run.stdout) as RunResult[];
      assert.ok(result);
      assert.equal(result.status, 'failure');
      assert.equal(result.error?.step, fault.step, result.error?.message);
      assert.equal(result.error?.reason, fault.reason, result.error?.message);
      assert.equal(result.steps.find((s) => s.status === 'failed')?.name, fault.step);
      assert.ok(result.artifacts.screenshot, 'screenshot recorded');
      const png = pngSize(path.join(dataDir, 'artifacts', result.artifacts.screenshot));
      assert.ok(png.width > 0 && png.height > 0 && png.bytes > 1_000, `PNG ${JSON.stringify(png)}`);
    });
  }

  test('the table names the failed step, the reason and the screenshot path', async (t) => {
    dataDir = tempDir(t);
    shop.setFaults({ checkout500: true });
    t.after(() => shop.resetFaults());
    const run = await once(['checkout', '--retries', '0', ...CHECKOUT_ONLY]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /✗ checkout\s+FAILURE/);
    assert.match(run.stdout, /✗ see order number/);
    assert.match(run.stdout, /http, cause target in step 'see order number': POST \/checkout answered 500/);
    assert.match(run.stdout, /screenshot: .*attempt-1-screenshot\.png/);
  });

  test('an unknown journey name is a usage error that lists the known ones', async (t) => {
    dataDir = tempDir(t);
    const run = await once(['no-such-journey']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown journey 'no-such-journey'; known journeys: account, catalog, checkout, mfa-sign-in, search/);
  });
});
