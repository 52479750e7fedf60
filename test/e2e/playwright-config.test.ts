// playwright.config.ts is read where journey code runs: by the first journey worker as it starts,
// never by the daemon (which then does not load Playwright at all). Its `use` still reaches every
// run, and a broken config (one that throws, ends its process, never finishes importing, or holds
// a function) still stops `pulse run` and `pulse once` with one line that names it.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { DaemonProcess } from '../support/daemon-process.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { removeDir, tempDir } from '../support/temp.ts';

/** A config as a user writes one, which also says which process imported it. */
const CONFIG = `import { writeFileSync } from 'node:fs';
import { defineConfig } from '@playwright/test';
import { pulseLaunchOptions } from 'pulse/playwright';

writeFileSync(process.env.CONFIG_READ_BY!, String(process.pid));
export default defineConfig({ use: { viewport: { width: 777, height: 555 }, locale: 'fr-FR', launchOptions: pulseLaunchOptions() } });
`;

describe('playwright.config.ts', () => {
  let shop: Shop;
  let dir: string;
  before(async () => {
    shop = await startShop();
    dir = journeyDir('playwright-config');
    writeJourney(
      dir,
      { name: 'reports-its-page', schedule: '*/2 * * * * *', retries: 0 },
      `async ({ page, step, params }) => {
  await step('open home', async () => {
    await page.goto(params.baseUrl);
    console.log(JSON.stringify({ pid: process.pid, viewport: page.viewportSize(), locale: await page.evaluate(() => navigator.language) }));
  });
}`,
    );
  });
  after(async () => {
    await shop.close();
    removeDir(dir);
  });

  test('read by the journey worker, not the daemon: its use reaches the runs', async (t) => {
    const config = path.join(dir, 'playwright.config.ts');
    writeFileSync(config, CONFIG);
    const readBy = path.join(tempDir(t), 'config-read-by');
    const pulse = new DaemonProcess(
      ['--journeys', dir, '--playwright-config', config, '--base-url', shop.url, '--data-dir', tempDir(t), '--concurrency', '1'],
      { CONFIG_READ_BY: readBy, PULSE_CONTROL_INTERVAL: 'off' },
    );
    t.after(() => pulse.stop());
    await pulse.started();
    const line = await pulse.waitFor((l) => l.event === 'journey_output' && String(l.text).includes('viewport'), 60_000);
    const seen = JSON.parse(String(line.text)) as { pid: number; viewport: unknown; locale: string };
    assert.deepEqual(seen.viewport, { width: 777, height: 555 }, 'the config reached the run');
    assert.equal(seen.locale, 'fr-FR');
    const reader = Number(readFileSync(readBy, 'utf8'));
    assert.notEqual(reader, pulse.child.pid, 'the daemon never imports the config');
    // One slot: the worker that read the config is the one that runs the journey.
    assert.equal(reader, seen.pid, 'the journey worker read it');
    assert.equal(await pulse.stop(), 0, pulse.tail());
  });

  for (const broken of [
    {
      name: 'a config that throws at import',
      source: `throw new Error('the config broke on purpose');\n`,
      said: / cannot be loaded: the config broke on purpose; fix: correct it/,
    },
    {
      name: 'a use that cannot be handed to the runs (a function)',
      source: `import { defineConfig } from '@playwright/test';\nexport default defineConfig({ use: { launchOptions: { logger: { isEnabled: () => false, log: () => undefined } } } });\n`,
      said: /: its `use` cannot be handed to pulse's runs \(.*could not be cloned.*\); fix: keep functions and class instances out of use and launchOptions/,
    },
    {
      name: 'a config that ends its process',
      source: `process.exit(0);\nexport default {};\n`,
      said: / cannot be loaded: .*process\.exit\(0\).*; fix: correct it/,
    },
    {
      // The worker's start deadline (60 s) ends it; the daemon, which never imports the config, does not hang with it.
      name: 'a config that never finishes importing',
      source: `await new Promise(() => undefined);\nexport default {};\n`,
      said: /: the journey worker that reads it did not start \(journey worker did not start within 60000 ms\); fix: correct the config/,
      commands: [['run', '--port', '0']],
    },
  ] as { name: string; source: string; said: RegExp; commands?: string[][] }[]) {
    test(`${broken.name}: pulse once and pulse run stop with one line naming the file`, async (t) => {
      const config = path.join(dir, `broken-${broken.name.length}.config.ts`);
      writeFileSync(config, broken.source);
      const args = ['--journeys', dir, '--playwright-config', config, '--base-url', shop.url, '--data-dir', tempDir(t)];
      for (const command of broken.commands ?? [
        ['once', 'reports-its-page'],
        ['run', '--port', '0'],
      ]) {
        const run = await runPulse([...command, ...args], { timeoutMs: 120_000 });
        assert.equal(run.code, 2, `${command[0]}: ${run.stderr}`);
        const lines = run.stderr.trim().split('\n');
        assert.equal(lines.length, 1, run.stderr);
        assert.match(lines[0] ?? '', new RegExp(`^pulse: .*${path.basename(config).replaceAll('.', '\\.')}`));
        assert.match(lines[0] ?? '', broken.said);
      }
    });
  }
});
