// Which version of a journey ran, against a real daemon, real Chromium and the demo shop: the
// journey file changes between runs, and the run page, "since the last good run" and
// pulse_journey_info follow what each run really ran.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { shortVersion } from '../../src/journey.ts';
import { JourneyVersions } from '../../src/registry/journey-version.ts';
import { CHROMIUM_ARGS, findBrowser } from '../../src/runner/find-browser.ts';
import { DaemonProcess, NEVER } from '../support/daemon-process.ts';
import { journeyDir } from '../support/journey-files.ts';
import { parseSamples } from '../support/prom-text.ts';
import { removeDir, tempDir } from '../support/temp.ts';

const TOKEN = 'versions-token-0123456789abcdef';
const json = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

const FIRST = `import { expect, journey } from 'pulse';

export default journey({ name: 'versioned', schedule: '${NEVER}', retries: 0 }, async ({ page, step, params }) => {
  await step('open home', async () => {
    await page.goto(params.baseUrl);
  });
  await step('check the heading', async () => {
    await expect(page.locator('h1').first()).toBeVisible({ timeout: 5_000 });
  });
});
`;

// The change: a helper module of its own, and the step that reads the heading now expects another one.
const SECOND = `import { expect, journey } from 'pulse';
import { expectedHeading } from './lib/headings.ts';

export default journey({ name: 'versioned', schedule: '${NEVER}', retries: 0 }, async ({ page, step, params }) => {
  await step('open home', async () => {
    await page.goto(params.baseUrl);
  });
  await step('check the heading', async () => {
    await expect(page.locator('h1').first()).toHaveText(expectedHeading, { timeout: 2_000 });
  });
});
`;
const SECRET = 'hunter2-in-the-journey-source';
// A secret written into a source by mistake: redacted in the stored source and the diff like anywhere else.
const HELPER = `export const expectedHeading = 'A heading the shop never shows';\n// the test password used to be ${SECRET}\n`;

interface ApiRun {
  runId: string;
  status: string;
  version?: { hash: string; commit?: string };
  sinceLastGood: { journeyChanged?: { then: { hash: string }; now: { hash: string }; diff?: string; atFailedStep: boolean } } | null;
}

describe('journey versions', () => {
  let shop: Shop;
  let browser: Browser;
  let dir: string;

  before(async () => {
    shop = await startShop();
    browser = await chromium.launch({ executablePath: findBrowser().executablePath, args: [...CHROMIUM_ARGS] });
    dir = journeyDir('versions');
    // A git checkout of its own, so that the commit is known whether or not the tree under test is one.
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['-c', 'user.name=pulse test', '-c', 'user.email=test@127.0.0.1', 'commit', '-q', '--allow-empty', '-m', 'the journeys'], { cwd: dir });
  });
  after(async () => {
    await browser?.close();
    await shop?.close();
    removeDir(dir);
  });

  test('a journey changed on disk: the run that still ran the old code says so, the first run of the new code shows its version, the diff and the step it changed; pulse_journey_info follows', async (t) => {
    const file = path.join(dir, 'versioned.journey.ts');
    writeFileSync(file, FIRST);
    const first = await new JourneyVersions().of(file, dir);
    assert.ok(first);

    const pulse = new DaemonProcess(['--journeys', dir, '--base-url', shop.url, '--data-dir', tempDir(t), '--concurrency', '1'], {
      PULSE_AUTH_TOKEN: TOKEN,
      PULSE_PARAM_PASSWORD: SECRET,
    });
    t.after(() => pulse.stop());
    await pulse.started();

    const infoSeries = async (want: string) => {
      const text = await pulse.metricsWhen((body) => body.includes(`pulse_journey_info{journey="versioned",version="${want}"} 1`), 20_000);
      return [...parseSamples(text)]
        .filter(([key]) => key.startsWith('pulse_journey_info{') && key.includes('journey="versioned"'))
        .map(([key, value]) => [/version="([^"]*)"/.exec(key)?.[1], value]);
    };
    assert.deepEqual(await infoSeries(shortVersion(first.hash)), [[shortVersion(first.hash), 1]], 'the version loaded, before any run');

    const one = await runNow(pulse);
    assert.equal(one.status, 'success');
    assert.equal(one.version?.hash, first.hash, 'the run ran the version on disk');
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    assert.equal(one.version?.commit, head, 'the journeys folder is in a git checkout: its commit is recorded');

    // The journey changes while the daemon runs. pulse does not reload it: its worker keeps the module it imported.
    mkdirSync(path.join(dir, 'lib'), { recursive: true });
    writeFileSync(path.join(dir, 'lib', 'headings.ts'), HELPER);
    writeFileSync(file, SECOND);
    const second = await new JourneyVersions().of(file, dir);
    assert.ok(second);
    assert.notEqual(second.hash, first.hash);
    assert.deepEqual(
      second.files.map((f) => f.path),
      ['versioned.journey.ts', 'lib/headings.ts'],
    );

    const two = await runNow(pulse);
    assert.equal(two.status, 'success', 'the worker still runs the code it imported');
    assert.equal(two.version?.hash, first.hash, 'and the run says which: the old version, not the file now on disk');

    // A fresh worker imports the file as it is now.
    const attempt = pulse.lines.find((line) => line.event === 'attempt_done' && line.runId === two.runId);
    assert.ok(attempt, 'the attempt names its worker');
    process.kill(Number(attempt.workerPid), 'SIGKILL');
    await reaped(Number(attempt.workerPid));

    const three = await runNow(pulse);
    assert.equal(three.status, 'failure', JSON.stringify(three));
    assert.equal(three.version?.hash, second.hash, 'the new code ran, and its version is recorded');
    const change = three.sinceLastGood?.journeyChanged;
    assert.equal(change?.then.hash, first.hash, 'compared with the last good run, which ran the old version');
    assert.equal(change?.now.hash, second.hash);
    assert.equal(change?.atFailedStep, true, 'the failed step is the one the change rewrote');

    const page = await browser.newPage({ extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` } });
    t.after(() => page.close());
    await page.goto(`${pulse.url}/runs/${encodeURIComponent(three.runId)}`);
    const version = await page.getByTestId('journey-version').innerText();
    assert.ok(version.includes(shortVersion(second.hash)), version);
    assert.ok(version.includes(head.slice(0, 12)), `the git commit: ${version}`);
    const changed = await page.getByTestId('journey-changed').innerText();
    assert.ok(changed.includes(shortVersion(first.hash)) && changed.includes(shortVersion(second.hash)), changed);
    const diff = await page.getByTestId('journey-diff').innerText();
    assert.ok(diff.includes('+++ b/lib/headings.ts'), `the new helper module is in the diff:\n${diff}`);
    assert.ok(diff.includes(`+export const expectedHeading = 'A heading the shop never shows';`), diff);
    assert.ok(diff.includes('+// the test password used to be [redacted]') && !diff.includes(SECRET), `the secret is redacted:\n${diff}`);
    assert.ok(!JSON.stringify(three).includes(SECRET), 'and in the API');
    assert.ok(diff.includes("-    await expect(page.locator('h1').first()).toBeVisible({ timeout: 5_000 });"), diff);
    assert.ok(diff.includes("+    await expect(page.locator('h1').first()).toHaveText(expectedHeading, { timeout: 2_000 });"), diff);
    const changedLines = diff.split('\n').filter((line) => /^[+-](?![+-]{2} )/.test(line));
    assert.ok(changedLines.length >= 4 && !changedLines.some((line) => line.includes('open home')), `the unchanged step is no changed line:\n${diff}`);
    const cause = await page.getByTestId('cause').innerText();
    assert.match(cause, /The journey changed at this step since the last good run/);
    const scrolls = await page
      .locator('.scroll-box')
      .filter({ has: page.getByTestId('journey-diff') })
      .count();
    assert.equal(scrolls, 1, 'the diff scrolls inside its own box');

    // The run that still ran the old code is a success: no comparison, and its page shows the old version.
    await page.goto(`${pulse.url}/runs/${encodeURIComponent(two.runId)}`);
    assert.ok((await page.getByTestId('journey-version').innerText()).includes(shortVersion(first.hash)));

    assert.deepEqual(
      await infoSeries(shortVersion(second.hash)),
      [[shortVersion(second.hash), 1]],
      'one series for the journey, with the version that ran last; the old one is gone',
    );
  });
});

/** Until the daemon has reaped its child: a pid still there is the daemon not knowing yet (a zombie answers signal 0). */
async function reaped(pid: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`worker ${pid} was not reaped within 30 s`);
}

/** Asks for a run now and waits for it in the history. */
function runNow(pulse: DaemonProcess): Promise<ApiRun> {
  return pulse.runNow<ApiRun>('versioned', { headers: json, timeoutMs: 90_000 });
}
