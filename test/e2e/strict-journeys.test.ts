import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import type { RunResult } from '../../src/result.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { tempDir } from '../support/temp.ts';

describe('step names and options only a run can see', () => {
  let shop: Shop;
  let dir: string;
  before(async () => {
    shop = await startShop();
    dir = journeyDir('strict-runtime');
    // Names made in a loop: no scan of the file sees them repeat; the run does.
    writeJourney(
      dir,
      { name: 'looped', retries: 0 },
      `async ({ page, step, params }) => {
        await step('open home', async () => { await page.goto(params.baseUrl); });
        for (const query of ['mug', 'tent', 'lamp']) {
          await step('search', async () => {
            await page.getByLabel('Search products').fill(query);
            await page.getByRole('button', { name: 'Search' }).click();
          });
        }
      }`,
    );
    // Options handed to step() through a variable: the scan sees no object literal; the run refuses them.
    writeJourney(
      dir,
      { name: 'step-options', retries: 0 },
      `async ({ page, step, params }) => {
        const options = { timeout: 5000 };
        await step('open home', async () => { await page.goto(params.baseUrl); }, options);
      }`,
    );
  });
  after(async () => {
    await shop.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a step name repeated at run time is said once, with the journey, the name and how often; the run still succeeds', { timeout: 180_000 }, async (t) => {
    const dataDir = tempDir(t);
    const runs: RunResult[] = [];
    let stderr = '';
    for (let i = 0; i < 2; i += 1) {
      const run = await runPulse(['once', 'looped', 'looped', '--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--json'], {
        timeoutMs: 150_000,
      });
      assert.equal(run.code, 0, run.stderr);
      runs.push(...(JSON.parse(run.stdout) as RunResult[]));
      stderr += run.stderr;
      if (i === 0) {
        const told = run.stderr.split('\n').filter((line) => line.includes('"step_name_repeated"'));
        assert.equal(told.length, 1, `once for two runs in one process:\n${run.stderr}`);
        const line = JSON.parse(told[0]!) as Record<string, unknown>;
        assert.equal(line.journey, 'looped');
        assert.equal(line.step, 'search');
        assert.equal(line.times, 3);
        assert.match(String(line.msg), /^step 'search' ran 3 times in one run of looped: .*give each its own name/);
      }
    }
    assert.ok(runs.length === 4 && runs.every((run) => run.status === 'success'));
    assert.deepEqual(
      runs[0]!.steps.map((step) => step.name),
      ['open home', 'search', 'search', 'search'],
    );
    assert.ok(!stderr.includes('"step_name_repeated","journey":"looped","step":"open home"'));
  });

  test("options given to step() at run time fail that step as the journey's own fault, saying where they belong", { timeout: 180_000 }, async (t) => {
    const run = await runPulse(['once', 'step-options', '--journeys', dir, '--base-url', shop.url, '--data-dir', tempDir(t), '--json'], { timeoutMs: 150_000 });
    assert.equal(run.code, 1, run.stderr);
    const [result] = JSON.parse(run.stdout) as RunResult[];
    assert.equal(result?.error?.step, 'open home');
    assert.match(result.error.message, /step\('open home'\) takes a name and a function, no options; set stepTimeout in the options of journey\(\) instead/);
    assert.equal(result.cause, 'journey');
    assert.equal(result.error.reason, 'script');
  });
});
