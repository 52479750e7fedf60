import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, runCommand } from '../support/pulse-cli.ts';
import { freePort } from '../support/ports.ts';
import { tempDir } from '../support/temp.ts';

const PLAYWRIGHT = path.join(ROOT, 'node_modules', '.bin', 'playwright');

describe('npx playwright test runs the journeys', () => {
  const playwrightTest = async (t: Parameters<typeof tempDir>[0], faults?: string) => {
    const output = tempDir(t);
    // The config starts its own demo shop on this port, with the faults switched on from the start.
    const env = { CI: '1', PULSE_DEMO_PORT: String(await freePort()), DEMO_SHOP_FAULTS: faults ?? '', PULSE_PARAM_BASE_URL: undefined };
    return runCommand(PLAYWRIGHT, ['test', '--reporter=list', '--output', output], { env, timeoutMs: 180_000 });
  };

  test('every journey passes as a test against the healthy shop, each step a test.step', async (t) => {
    const run = await playwrightTest(t);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /checkout @shop @critical/);
    assert.match(run.stdout, /search @shop/);
    assert.match(run.stdout, /catalog @shop/);
    assert.match(run.stdout, /account @shop/);
    assert.match(run.stdout, /4 passed/);
  });

  test('with the checkout fault on, the checkout test fails at its step', async (t) => {
    const run = await playwrightTest(t, 'checkout500');
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /1 failed/);
    assert.match(run.stdout, /checkout @shop @critical/);
    assert.match(run.stdout, /see order number/, 'the failing test.step is named');
    assert.match(run.stdout, /3 passed/, 'search, catalog and account are unaffected');
  });
});
