// Targets that make evidence hard to take, and renderers that die: every failed run still shows a
// picture of the moment (or says why not) and the DOM as it was, and a crash is named for what it
// was, on the target only when its page made it. A canary runs beside them in the same pool.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import type { JourneyDefinition } from '../../src/journey.ts';
import type { RunResult } from '../../src/result.ts';
import { startHostileTargets, type HostileTargets } from '../fixtures/hostile-targets/pages.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { pngSize } from '../support/png.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { TestProber } from '../support/test-runner.ts';

describe('evidence and crashes on hostile targets', () => {
  let shop: Shop;
  let hostile: HostileTargets;
  let prober: TestProber;
  let dataDir: string;
  let dir: string;
  let canary: JourneyDefinition;
  before(async () => {
    shop = await startShop();
    hostile = await startHostileTargets();
    // A small renderer heap, so that a page hoarding memory runs out of it in a second, not after gigabytes.
    prober = new TestProber({ workers: 2, launch: { args: ['--js-flags=--max-old-space-size=48'] } });
    dataDir = makeTempDir();
    dir = journeyDir('hostile-evidence');
    canary = writeJourney(dir, { name: 'canary', retries: 0 }, `async ({ page, step, params }) => {
      await step('open', async () => { await page.goto(params.baseUrl); });
    }`);
  });
  after(async () => {
    await prober?.close();
    await hostile?.close();
    await shop?.close();
    removeDir(dataDir);
    removeDir(dir);
  });

  /** A journey that opens `target` and waits for what never comes, beside a canary run. */
  const failAt = async (name: string, target: string, wait = "await expect(page.getByText('never there')).toBeVisible();"): Promise<RunResult> => {
    const def = writeJourney(dir, { name, timeout: '25s', stepTimeout: '4s', retries: 0 }, `async ({ page, step, params }) => {
      await step('open', async () => {
        await page.goto(params.target, { waitUntil: 'commit' });
        ${wait}
      });
    }`);
    const runner = prober.runner({ params: { baseUrl: shop.url, target: `${hostile.url}${target}` }, location: 'hostile-1', dataDir });
    const [result, beat] = await Promise.all([runner.run(def), runner.run(canary)]);
    assert.equal(beat.status, 'success', `the canary beside ${name}: ${beat.error?.message}`);
    return result;
  };
  const artifact = (file: string | undefined) => path.join(dataDir, 'artifacts', file ?? 'missing');

  for (const [name, target] of [['trickle', '/trickle'], ['huge', '/huge'], ['endless', '/endless']] as const) {
    test(`${name}: a failed run keeps a picture of the moment and the DOM as it stood`, { timeout: 90_000 }, async () => {
      const result = await failAt(name, target);
      assert.equal(result.status, 'failure', result.error?.message);
      const { screenshot, screenshotMissing, html } = result.artifacts;
      assert.ok(screenshot || screenshotMissing, `a picture or a note: ${JSON.stringify(result.artifacts)}`);
      if (screenshot) assert.ok(pngSize(artifact(screenshot)).width > 0, 'a real PNG');
      else assert.match(readFileSync(artifact(screenshotMissing), 'utf8'), /No picture of the page could be taken/);
      assert.ok(html && existsSync(artifact(html)), 'the page HTML is kept');
      assert.ok(statSync(artifact(html)).size > 0, 'and it is not empty');
      assert.match(readFileSync(artifact(html), 'utf8'), new RegExp(name === 'trickle' ? 'Arriving slowly' : name === 'huge' ? 'Huge' : 'Endless'));
    });
  }

  test('a renderer that runs out of memory on the target\'s page: reason crash, cause target, and the run says so', { timeout: 90_000 }, async () => {
    const result = await failAt('hog', '/hog', "await page.waitForTimeout(15_000);");
    assert.equal(result.error?.reason, 'crash', result.error?.message);
    assert.match(result.error?.message ?? '', /renderer (ran out of memory|crashed)/);
    if (/ran out of memory/.test(result.error?.message ?? '')) {
      assert.equal(result.status, 'failure');
      assert.equal(result.cause, 'target');
    } else {
      assert.equal(result.status, 'error');
      assert.equal(result.cause, 'prober');
    }
  });

  test('a renderer killed from outside (not the page\'s doing): reason crash, cause prober', { timeout: 90_000 }, async () => {
    const result = await failAt('killed', '/endless', "await page.goto('chrome://crash').catch(() => undefined); await page.waitForTimeout(5_000);");
    assert.equal(result.status, 'error', result.error?.message);
    assert.equal(result.error?.reason, 'crash');
    assert.equal(result.cause, 'prober');
    assert.match(result.error?.message ?? '', /renderer crashed/);
  });
});
