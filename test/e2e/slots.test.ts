// Each concurrency slot is a journey worker with a browser of its own: what one journey does to
// "the browser" (closes it, or it crashes under it) reaches no other slot's run.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import type { JourneyDefinition } from '../../src/journey.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { browserMains } from '../support/processes.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { TestProber } from '../support/test-runner.ts';

describe('a browser per slot', () => {
  let shop: Shop;
  let prober: TestProber;
  let dataDir: string;
  let dir: string;
  let canary: JourneyDefinition;
  before(async () => {
    shop = await startShop();
    prober = new TestProber({ workers: 2 });
    dataDir = makeTempDir();
    dir = journeyDir('slots');
    // Slow enough to be in flight while the other slot's browser goes: the shop answers /search after 3 s.
    canary = writeJourney(
      dir,
      { name: 'canary', timeout: '30s', retries: 0 },
      `async ({ page, step, params }) => {
        await step('search slowly', async () => {
          await page.goto(params.baseUrl + '/search?q=mug');
          await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        });
      }`,
    );
    await prober.workers.warm();
  });
  after(async () => {
    await prober?.close();
    await shop?.close();
    removeDir(dataDir);
    removeDir(dir);
  });
  const runner = () => prober.runner({ params: { baseUrl: shop.url }, location: 'slots-1', dataDir });

  test('two slots, two browsers: each worker launched its own, warm before the first run', () => {
    assert.equal(prober.workers.browserPids.length, 2);
    assert.equal(new Set(prober.workers.browserPids).size, 2);
    const mains = browserMains(process.pid).map((main) => main.pid).sort();
    assert.deepEqual(mains, [...prober.workers.browserPids].sort());
  });

  test('a journey that closes its browser fails as its own fault; the canary in the other slot beats, and the slot gets a fresh browser', async () => {
    const closer = writeJourney(
      dir,
      { name: 'closer', retries: 0 },
      `async ({ page, step, params }) => {
        await step('open', async () => {
          await page.goto(params.baseUrl);
        });
        await step('close the browser', async () => {
          await page.context().browser()?.close();
          await page.goto(params.baseUrl + '/cart');
        });
      }`,
    );
    shop.setFaults({ delayMs: 2_000 });
    try {
      const running = runner().run(canary);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const closed = await runner().run({ ...closer, timeoutMs: 20_000 });
      const beat = await running;
      assert.equal(beat.status, 'success', `canary: ${beat.error?.message}`);
      assert.notEqual(closed.status, 'success');
      assert.equal(closed.cause, 'journey', `closer: ${closed.status} ${closed.cause} ${closed.error?.message}`);
    } finally {
      shop.resetFaults();
    }
    await prober.workers.warm();
    assert.equal(prober.workers.browserPids.length, 2, 'both slots have a browser again');
    assert.equal((await runner().run(canary)).status, 'success');
  });

  test('a browser killed under one slot\'s run is that run\'s prober error; the run in the other slot succeeds', async () => {
    const victim = writeJourney(
      dir,
      { name: 'victim', timeout: '20s', retries: 0 },
      `async ({ page, step, params }) => {
        await step('wait on a page that hangs', async () => {
          await page.goto(params.baseUrl + '/products/hang');
        });
      }`,
    );
    // The victim's page never answers; the canary's answers after 1.5 s, so both are in flight at the kill.
    shop.setFaults({ hangPath: '/products', delayMs: 1_500 });
    try {
      const running = runner().run(victim, { runId: 'victim-run' });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const canaryRun = runner().run(canary, { runId: 'canary-run' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const slot = prober.workers.runningIn('victim-run');
      assert.ok(slot?.browserPid, 'the victim runs in a worker with a browser');
      assert.notEqual(prober.workers.runningIn('canary-run')?.browserPid, slot.browserPid, 'the canary runs in the other browser');
      const restarts = prober.restarts;
      process.kill(slot.browserPid, 'SIGKILL');
      const lost = await running;
      const beat = await canaryRun;
      assert.equal(lost.status, 'error', lost.error?.message);
      assert.equal(lost.cause, 'prober');
      assert.match(lost.error?.message ?? '', /browser disconnected/);
      assert.equal(beat.status, 'success', `the other slot's run: ${beat.error?.message}`);
      assert.equal(prober.restarts, restarts + 1, 'one browser restart counted');
    } finally {
      shop.resetFaults();
    }
    await prober.workers.warm();
    assert.equal(prober.workers.browserPids.length, 2, 'the slot has a fresh browser');
    assert.equal((await runner().run(canary)).status, 'success');
  });

  test('memory a run leaves over the worker\'s cap, built faster than the sampler looks, fails that run, and the next run starts in a fresh worker', async () => {
    const small = new TestProber({ workers: 1, memoryLimitBytes: 400 * 1024 * 1024 });
    try {
      const hoarder = writeJourney(
        dir,
        { name: 'hoarder', retries: 0 },
        `async ({ step }) => {
          await step('hoard', async () => {
            // 300 MB written at once and kept past the run, back before the next memory sample.
            (globalThis as { kept?: Buffer[] }).kept = [Buffer.alloc(300 * 1024 * 1024, 1)];
          });
        }`,
      );
      const run = small.runner({ params: { baseUrl: shop.url }, location: 'slots-1', dataDir });
      const hoarded = await run.run(hoarder);
      assert.equal(hoarded.status, 'failure', 'never a heartbeat with the worker over its cap');
      assert.equal(hoarded.cause, 'journey');
      assert.match(hoarded.error?.message ?? '', /ran out of memory .*its cap is 400 MiB/);
      assert.ok(small.replaced.some((event) => event.reason === 'memory' && event.journey === 'hoarder'), 'the worker is replaced, naming the journey');
      const next = await run.run(canary);
      assert.equal(next.status, 'success', `the next run is not blamed: ${next.error?.message}`);
    } finally {
      await small.close();
    }
  });
});
