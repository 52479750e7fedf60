// Each concurrency slot is a journey worker with a browser of its own: what one journey does to
// "the browser" (closes it, or it crashes under it) reaches no other slot's run.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { JourneyDefinition } from '../../src/journey.ts';
import { writeJourney } from '../support/journey-files.ts';
import { browserMains } from '../support/processes.ts';
import { shopRig, TestProber } from '../support/test-runner.ts';

describe('a browser per slot', () => {
  const rig = shopRig('slots', 'slots-1', {}, { workers: 2 });
  let canary: JourneyDefinition;
  before(async () => {
    // Slow enough to be in flight while the other slot's browser goes, once a test sets the shop's delay.
    canary = writeJourney(
      rig.dir,
      { name: 'canary', timeout: '30s', retries: 0 },
      `async ({ page, step, params }) => {
        await step('search slowly', async () => {
          await page.goto(params.baseUrl + '/search?q=mug');
          await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        });
      }`,
    );
    await rig.prober.workers.warm();
  });
  const runner = () => rig.runner();

  test('two slots, two browsers: each worker launched its own, warm before the first run', () => {
    assert.equal(rig.prober.workers.browserPids.length, 2);
    assert.equal(new Set(rig.prober.workers.browserPids).size, 2);
    const mains = browserMains(process.pid)
      .map((main) => main.pid)
      .sort();
    assert.deepEqual(mains, [...rig.prober.workers.browserPids].sort());
  });

  test('a journey that closes its browser fails as its own fault; the canary in the other slot beats, and the slot gets a fresh browser', async () => {
    const closer = writeJourney(
      rig.dir,
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
    rig.shop.setFaults({ delayMs: 2_000 });
    try {
      const running = runner().run(canary);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const closed = await runner().run({ ...closer, timeoutMs: 20_000 });
      const beat = await running;
      assert.equal(beat.status, 'success', `canary: ${beat.error?.message}`);
      assert.notEqual(closed.status, 'success');
      assert.equal(closed.cause, 'journey', `closer: ${closed.status} ${closed.cause} ${closed.error?.message}`);
    } finally {
      rig.shop.resetFaults();
    }
    await rig.prober.workers.warm();
    assert.equal(rig.prober.workers.browserPids.length, 2, 'both slots have a browser again');
    assert.equal((await runner().run(canary)).status, 'success');
  });

  test("a browser killed under one slot's run is that run's prober error; the run in the other slot succeeds", async () => {
    const victim = writeJourney(
      rig.dir,
      { name: 'victim', timeout: '20s', retries: 0 },
      `async ({ page, step, params }) => {
        await step('wait on a page that hangs', async () => {
          await page.goto(params.baseUrl + '/products/hang');
        });
      }`,
    );
    // The victim's page never answers; the canary's answers after 1.5 s, so both are in flight at the kill.
    rig.shop.setFaults({ hangPath: '/products', delayMs: 1_500 });
    try {
      const running = runner().run(victim, { runId: 'victim-run' });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const canaryRun = runner().run(canary, { runId: 'canary-run' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const slot = rig.prober.workers.runningIn('victim-run');
      assert.ok(slot?.browserPid, 'the victim runs in a worker with a browser');
      assert.notEqual(rig.prober.workers.runningIn('canary-run')?.browserPid, slot.browserPid, 'the canary runs in the other browser');
      const restarts = rig.prober.restarts;
      process.kill(slot.browserPid, 'SIGKILL');
      const lost = await running;
      const beat = await canaryRun;
      assert.equal(lost.status, 'error', lost.error?.message);
      assert.equal(lost.cause, 'prober');
      assert.match(lost.error?.message ?? '', /browser disconnected/);
      assert.equal(beat.status, 'success', `the other slot's run: ${beat.error?.message}`);
      assert.equal(rig.prober.restarts, restarts + 1, 'one browser restart counted');
    } finally {
      rig.shop.resetFaults();
    }
    await rig.prober.workers.warm();
    assert.equal(rig.prober.workers.browserPids.length, 2, 'the slot has a fresh browser');
    assert.equal((await runner().run(canary)).status, 'success');
  });

  test("memory a run leaves over the worker's cap, built faster than the sampler looks, fails that run, and the next run starts in a fresh worker", async () => {
    const small = new TestProber({ workers: 1, memoryLimitBytes: 400 * 1024 * 1024 });
    try {
      const hoarder = writeJourney(
        rig.dir,
        { name: 'hoarder', retries: 0 },
        `async ({ step }) => {
          await step('hoard', async () => {
            // 300 MB written at once and kept past the run, back before the next memory sample.
            (globalThis as { kept?: Buffer[] }).kept = [Buffer.alloc(300 * 1024 * 1024, 1)];
          });
        }`,
      );
      const run = small.runner({ params: { baseUrl: rig.shop.url }, location: 'slots-1', dataDir: rig.dataDir });
      const hoarded = await run.run(hoarder);
      assert.equal(hoarded.status, 'failure', 'never a heartbeat with the worker over its cap');
      assert.equal(hoarded.cause, 'journey');
      // The memory sampler or the check at the run's end, whichever sees it first: either names the cap.
      assert.match(hoarded.error?.message ?? '', /ran out of memory .*its cap is 400 MiB|went up to \d+ MiB resident during the run, over its cap of 400 MiB/);
      assert.ok(
        small.replaced.some((event) => event.reason === 'memory' && event.journey === 'hoarder'),
        'the worker is replaced, naming the journey',
      );
      const next = await run.run(canary);
      assert.equal(next.status, 'success', `the next run is not blamed: ${next.error?.message}`);
    } finally {
      await small.close();
    }
  });
});
