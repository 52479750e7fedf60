// Targets that make evidence hard to take, and renderers that die: every failed run still shows a
// picture of the moment (or says why not) and the DOM as it was, and a crash is named for what it
// was, on the target only when its page made it. A canary runs beside them in the same pool.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { JourneyDefinition } from '../../src/journey.ts';
import type { RunResult } from '../../src/result.ts';
import { startHostileTargets, type HostileTargets } from '../fixtures/hostile-targets/pages.ts';
import { writeJourney } from '../support/journey-files.ts';
import { pngSize } from '../support/png.ts';
import { shopRig } from '../support/test-runner.ts';

describe('evidence and crashes on hostile targets', () => {
  // A small renderer heap, so that a page hoarding memory runs out of it in a second, not after gigabytes.
  const rig = shopRig('hostile-evidence', 'hostile-1', {}, { workers: 2, launch: { args: ['--js-flags=--max-old-space-size=48'] } });
  let hostile: HostileTargets;
  let canary: JourneyDefinition;
  before(async () => {
    hostile = await startHostileTargets();
    canary = writeJourney(
      rig.dir,
      { name: 'canary', retries: 0 },
      `async ({ page, step, params }) => {
      await step('open', async () => { await page.goto(params.baseUrl); });
    }`,
    );
  });
  after(async () => {
    await hostile?.close();
  });

  /** A journey that opens `target` and waits for what never comes, beside a canary run. */
  const failAt = async (name: string, target: string, wait = "await expect(page.getByText('never there')).toBeVisible();"): Promise<RunResult> => {
    const def = writeJourney(
      rig.dir,
      { name, timeout: '25s', stepTimeout: '4s', retries: 0 },
      `async ({ page, step, params }) => {
      await step('open', async () => {
        await page.goto(params.target, { waitUntil: 'commit' });
        ${wait}
      });
    }`,
    );
    const runner = rig.runner({ params: { baseUrl: rig.shop.url, target: `${hostile.url}${target}` } });
    const [result, beat] = await Promise.all([runner.run(def), runner.run(canary)]);
    assert.equal(beat.status, 'success', `the canary beside ${name}: ${beat.error?.message}`);
    return result;
  };
  const artifact = (file: string | undefined) => path.join(rig.dataDir, 'artifacts', file ?? 'missing');

  for (const [name, target, heading] of [
    ['trickle', '/trickle', 'Arriving slowly'],
    ['endless', '/endless', 'Endless'],
  ] as const) {
    test(`${name}: a failed run keeps a picture of the moment and the DOM as it stood`, { timeout: 90_000 }, async () => {
      const result = await failAt(name, target);
      assert.equal(result.status, 'failure', result.error?.message);
      const { screenshot, html } = result.artifacts;
      assert.ok(
        screenshot && pngSize(artifact(screenshot)).width > 0,
        `a real PNG: ${JSON.stringify(result.artifacts)} ${result.artifacts.notCaptured ? readFileSync(artifact(result.artifacts.notCaptured), 'utf8') : ''}`,
      );
      assert.ok(html && statSync(artifact(html)).size > 0, 'the page HTML is kept, not empty');
      assert.match(readFileSync(artifact(html), 'utf8'), new RegExp(heading));
    });
  }

  test('huge: a renderer too busy to answer still leaves a note of what could not be captured and why, beside the log', { timeout: 90_000 }, async () => {
    const result = await failAt('huge', '/huge');
    // With the test's small renderer heap, serialising the page for its evidence may run the renderer
    // out of memory and take the browser with it: the failure was decided before and stands.
    assert.equal(result.status, 'failure', result.error?.message);
    const { screenshot, html, notCaptured, console: log } = result.artifacts;
    assert.ok(log && existsSync(artifact(log)), 'the console and network log');
    assert.ok(screenshot || notCaptured, `a picture or a note: ${JSON.stringify(result.artifacts)}`);
    if (screenshot) assert.ok(pngSize(artifact(screenshot)).width > 0);
    if (!screenshot || !html) {
      const note = readFileSync(artifact(notCaptured), 'utf8');
      if (!screenshot) assert.match(note, /No picture of the page could be taken[^]*full page: [^]*viewport: [^]*last frame: /);
      if (!html) assert.match(note, /The page's HTML could not be read|The browser went away while pulse took this evidence/);
    }
  });

  test(
    "a renderer that dies of the page hoarding memory: reason crash, with Chromium's termination status in the run's error",
    { timeout: 90_000 },
    async () => {
      const result = await failAt('hog', '/hog', 'await page.waitForTimeout(15_000);');
      assert.equal(result.error?.reason, 'crash', result.error?.message);
      // V8 running out of heap ends the renderer like any other fatal error (a trap, code 5); only an
      // 'oom' status would put it on the target's page, and this Chromium does not give one for it.
      assert.match(result.error?.message ?? '', /renderer crashed \(Chromium's termination status: crashed, code \d+\)/);
      assert.equal(result.status, 'error');
      assert.equal(result.cause, 'prober');
    },
  );

  test("a renderer killed from outside (not the page's doing): reason crash, cause prober", { timeout: 90_000 }, async () => {
    // SIGKILL from outside, as the kernel's OOM killer would: the renderers of this worker's own browser
    // (the canary runs in the other worker). Navigating to chrome://crash instead left the renderer
    // alive now and then.
    const kill = `const cdp = await page.context().browser().newBrowserCDPSession();
        const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
        for (const info of processInfo) if (info.type === 'renderer') process.kill(info.id, 'SIGKILL');
        await page.waitForTimeout(5_000);`;
    const result = await failAt('killed', '/endless', kill);
    assert.equal(result.status, 'error', result.error?.message);
    assert.equal(result.error?.reason, 'crash');
    assert.equal(result.cause, 'prober');
    assert.match(result.error?.message ?? '', /renderer crashed/);
  });
});
