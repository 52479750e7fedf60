// Playwright Test spec files as journeys, against a real daemon, real Chromium and the demo shop:
// the example suite (examples/shop-suite, proven under `playwright test` by
// shop-suite-playwright.test.ts) runs unmodified, a heartbeat per test and project, its setup
// project's sign-in kept as a session; what pulse cannot honour is refused at its line.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import type { RunResult } from '../../src/result.ts';
import { DaemonProcess, NEVER, OPEN_WRITES, ROOT } from '../support/daemon-process.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { removeDir, tempDir } from '../support/temp.ts';

const SUITE = path.join(ROOT, 'examples', 'shop-suite');
const SUITE_ARGS = ['--journeys', path.join(SUITE, 'tests'), '--playwright-config', path.join(SUITE, 'playwright.config.ts')];
const KEY = 'a-passphrase-for-kept-sessions-in-tests';

/** Every test of the suite with a schedule, under each project that takes its file. */
const JOURNEYS = [
  'account-the-account-page-shows-the-signed-in-shopper-signed-in',
  'account-the-session-holds-while-the-shopper-browses-signed-in',
  'shop-a-shopper-buys-a-headlamp-desktop',
  'shop-a-shopper-buys-a-headlamp-mobile',
  'shop-search-finds-a-product-and-says-when-nothing-matches-desktop',
  'shop-search-finds-a-product-and-says-when-nothing-matches-mobile',
  'shop-the-catalog-api-answers-desktop',
  'shop-the-catalog-api-answers-mobile',
  'shop-the-home-page-lists-products-with-prices-desktop',
  'shop-the-home-page-lists-products-with-prices-mobile',
];

interface Run {
  status: string;
  steps: { name: string; status: string }[];
}

describe('Playwright Test spec files as journeys', () => {
  let shop: Shop;
  /** `pulse once --json` on a folder of test/fixtures, without a Playwright config, against the shop. */
  const onceWithoutConfig = (fixture: string, dataDir: string) =>
    runPulse(
      [
        'once',
        '--journeys',
        path.join(ROOT, 'test', 'fixtures', fixture),
        '--playwright-config',
        'none',
        '--base-url',
        shop.url,
        '--data-dir',
        dataDir,
        '--json',
      ],
      { timeoutMs: 240_000 },
    );
  before(async () => {
    shop = await startShop();
  });
  after(() => shop.close());

  test('the example suite under pulse run: a heartbeat per test and project, the setup sign-in done once and kept encrypted, never written by the setup test', async (t) => {
    const dataDir = tempDir(t);
    // What a `playwright test` run of the suite saved (shop-suite-playwright.test.ts makes one): gone, to see pulse write none.
    const stateFile = path.join(SUITE, 'playwright', '.auth', 'shopper.json');
    rmSync(stateFile, { force: true });
    // Every test run once, when asked: not also on the suite's own schedules while the test waits.
    const pulse = new DaemonProcess([...SUITE_ARGS, '--base-url', shop.url, '--data-dir', dataDir, '--concurrency', '1', '--schedule', NEVER], {
      ...OPEN_WRITES,
      PULSE_CONTROL_INTERVAL: 'off',
      PULSE_SESSION_KEY: KEY,
    });
    t.after(() => pulse.stop());
    await pulse.waitFor((line) => line.event === 'started', 180_000);
    const signInsBefore = ((await (await fetch(`${shop.url}/__account`)).json()) as { signIns: number }).signIns;

    const runs = new Map<string, Run>();
    for (const journey of JOURNEYS) runs.set(journey, await pulse.runNow<Run>(journey));
    for (const [journey, run] of runs) assert.equal(run.status, 'success', `${journey}: ${JSON.stringify(run.steps)}`);

    const beat = (journey: string) => new RegExp(`pulse_heartbeats_total\\{journey="${journey}",location="[^"]+"\\} [1-9]`);
    const metrics = await pulse.metricsWhen((text) => JOURNEYS.every((journey) => beat(journey).test(text)));
    for (const journey of JOURNEYS) assert.match(metrics, beat(journey), `${journey} beat`);

    // test.step() titles are the steps, nested ones joined; hooks are steps of their own.
    const purchase = runs.get('shop-a-shopper-buys-a-headlamp-desktop')!.steps.map((step) => step.name);
    assert.deepEqual(purchase.slice(0, 4), [
      'before each',
      'put two headlamps in the cart › find the headlamp',
      'put two headlamps in the cart › add two',
      'put two headlamps in the cart',
    ]);
    assert.ok(purchase.includes('see the order number'));

    // The journey page says which test of which project it runs.
    const page = await (await fetch(`${pulse.url}/journeys/shop-a-shopper-buys-a-headlamp-mobile`)).text();
    assert.match(page, /data-testid="spec-test">shop › a shopper buys a headlamp <span class="muted">\(project mobile\)<\/span>/);

    // The setup project signed in once, for both signed-in tests, as the first one's first step.
    const signedIn = JOURNEYS.filter((journey) => journey.endsWith('-signed-in')).map((journey) => runs.get(journey)!.steps.map((step) => step.name));
    assert.deepEqual(
      signedIn.map((steps) => steps.filter((name) => name.startsWith('sign in (')).length),
      [1, 0],
    );
    const signIns = ((await (await fetch(`${shop.url}/__account`)).json()) as { signIns: number }).signIns;
    assert.equal(signIns - signInsBefore, 1, 'one sign-in for both signed-in tests');

    // Kept by pulse, encrypted; the setup test's storageState({ path }) wrote nothing.
    assert.equal(existsSync(stateFile), false, 'no storage state file in clear');
    const kept = readdirSync(path.join(dataDir, 'sessions'));
    assert.equal(kept.length, 1);
    const { tokens } = (await (await fetch(`${shop.url}/__account/tokens`)).json()) as { tokens: string[] };
    assert.ok(tokens.length > 0);
    const sealed = readFileSync(path.join(dataDir, 'sessions', kept[0]!), 'utf8');
    for (const token of tokens) assert.ok(!sealed.includes(token), 'the session cookie is not in the kept file in clear');
  });

  test('with the checkout fault on, the purchase fails at its step on both projects; the other tests pass', async (t) => {
    shop.setFaults({ checkout500: true });
    t.after(() => shop.resetFaults());
    const run = await runPulse(['once', ...SUITE_ARGS, '--base-url', shop.url, '--data-dir', tempDir(t), '--json', '--retries', '0'], {
      env: { PULSE_SESSION_KEY: undefined },
      timeoutMs: 240_000,
    });
    const results = JSON.parse(run.stdout || '[]') as RunResult[];
    assert.equal(results.length, JOURNEYS.length, run.stderr);
    const failed = results.filter((result) => result.status !== 'success');
    assert.deepEqual(failed.map((result) => result.journey).sort(), ['shop-a-shopper-buys-a-headlamp-desktop', 'shop-a-shopper-buys-a-headlamp-mobile']);
    for (const result of failed) {
      assert.equal(result.status, 'failure');
      assert.equal(result.error?.step, 'see the order number');
      assert.equal(result.cause, 'target');
    }
    assert.equal(run.code, 1);
  });

  test('pulse list names every test that is no journey and why; PULSE_PROJECTS picks the projects, and an unknown one is named', async () => {
    const listed = await runPulse(['list', ...SUITE_ARGS, '--projects', 'desktop'], { timeoutMs: 120_000 });
    assert.equal(listed.code, 0, listed.stderr);
    const names = listed.stdout.split('\n').map((line) => line.split(/\s+/)[0]);
    for (const journey of JOURNEYS) assert.equal(names.includes(journey), journey.endsWith('-desktop'), journey);
    assert.match(
      listed.stdout,
      /a shopper saves a product to the wishlist\s+desktop\s+examples\/shop-suite\/tests\/shop\.spec\.ts:\d+\s+marked test\.fixme\(\)/,
    );
    assert.match(listed.stdout, /a product the shop does not sell is a 404 page\s+desktop\s+\S+\s+no schedule: give it/);
    assert.match(listed.stdout, /mobile\s+\S+\s+project 'mobile' is not among PULSE_PROJECTS/);

    const wrong = await runPulse(['validate', ...SUITE_ARGS, '--projects', 'desktop,tablet'], { timeoutMs: 120_000 });
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.stderr + wrong.stdout,
      /PULSE_PROJECTS="tablet": no project of examples\/shop-suite\/playwright\.config\.ts is named 'tablet'; fix: name one of: setup, desktop, mobile, signed-in/,
    );
  });

  test('a Playwright config that throws is one problem naming it; the journey files beside the spec files still load', async (t) => {
    const dir = journeyDir('spec-config');
    t.after(() => removeDir(dir));
    writeFileSync(path.join(dir, 'playwright.config.ts'), "throw new Error('the config reads a variable that is not set');\nexport default {};\n");
    writeFileSync(path.join(dir, 'home.spec.ts'), "import { test } from '@playwright/test';\ntest('home', async ({ page }) => { await page.goto('/'); });\n");
    writeJourney(
      dir,
      { name: 'plain', schedule: '*/5 * * * *' },
      'async ({ page, step, params }) => { await step("open", async () => { await page.goto(params.baseUrl); }); }',
    );
    const run = await runPulse(['validate', '--journeys', dir, '--playwright-config', path.join(dir, 'playwright.config.ts')], { timeoutMs: 120_000 });
    assert.equal(run.code, 1);
    const out = run.stdout + run.stderr;
    assert.match(out, /playwright\.config\.ts: cannot be loaded: the config reads a variable that is not set; fix: correct it/);
    assert.match(out, /1 problem found/);
    assert.match(out, /1 valid journey: plain/);
  });

  test('pulse validate refuses what pulse cannot honour, each at its line with a fix, and loads the rest', async () => {
    const dir = path.join(ROOT, 'test', 'fixtures', 'specs-hostile');
    const run = await runPulse(['validate', '--journeys', path.join(dir, 'tests'), '--playwright-config', path.join(dir, 'playwright.config.ts')], {
      timeoutMs: 120_000,
    });
    assert.equal(run.code, 1);
    const out = run.stdout + run.stderr;
    const at = (file: string) => `test/fixtures/specs-hostile/tests/${file}`;
    const expected = [
      `${at('broken.spec.ts')}: cannot be loaded: syntax error at line 5`,
      `${at('budget.spec.ts')}:3: the test calls test.setTimeout() while it runs`,
      "test/fixtures/specs-hostile/playwright.config.ts: projects[firefox].use: runs the tests in firefox; pulse runs Chromium only; fix: set browserName: 'chromium'",
      'test/fixtures/specs-hostile/playwright.config.ts: projects[iphone].use: runs the tests in webkit',
      `${at('fixture.spec.ts')}:3: uses fixture 'todoPage', which no test.extend(), option or built-in fixture provides`,
      `${at('only.spec.ts')}:4: .only focuses this file on part of its tests`,
      `${at('serial.spec.ts')}:3: serial mode`,
      `${at('slow.spec.ts')}:4: test.slow() triples the test's timeout of 1500000 to 75 min`,
      `${at('stale.spec.ts')}:3: project 'stale' starts signed in from no-such-state.json, which does not exist and no setup project makes`,
      `${at('steps.spec.ts')}:3: test.step('open') is written twice in this test`,
      `${at('typo.spec.ts')}: monitor.schedual: is not a default pulse knows; fix: did you mean 'schedule'?`,
    ];
    for (const line of expected) assert.ok(out.includes(line), `missing: ${line}\n${out}`);
    assert.match(out, /11 problems found/);
    // Never half-run: none of the refused tests is a journey; the one without a fault is.
    assert.match(out, /1 valid journey: fine-home-chromium/);
  });

  test("a spec test misusing the API while it runs fails as the journey's own fault, with the daemon's other journeys unaffected", async (t) => {
    const run = await onceWithoutConfig('specs-runtime', tempDir(t));
    const results = new Map((JSON.parse(run.stdout || '[]') as RunResult[]).map((result) => [result.journey, result]));
    assert.equal(results.size, 6, run.stderr);
    assert.equal(results.get('ok-the-home-page-answers')?.status, 'success', 'the healthy spec beside them');
    const failure = (journey: string) => {
      const result = results.get(journey);
      assert.equal(result?.status, 'failure', journey);
      return { message: result.error?.message ?? '', cause: result.cause, step: result.error?.step };
    };
    assert.deepEqual(failure('skips-skips-itself-while-it-runs'), {
      message: 'the test called test.skip() while it ran: needs a feature flag: a monitor must run what it monitors',
      cause: 'journey',
      step: 'skips itself while it runs',
    });
    assert.equal(failure('declares-declares-a-test-while-it-runs').cause, 'journey');
    assert.match(failure('declares-declares-a-test-while-it-runs').message, /test\(\) was called at .*declares\.spec\.ts:7:3, outside the top level/);
    const soft = failure('soft-a-soft-assertion-fails-its-step');
    assert.equal(soft.step, 'look at the title', 'the soft assertion fails the step it was in, when it ends');
    assert.match(soft.message, /the title names the shop[\s\S]*Expected: "No such title"/);
    const softSteps = results.get('soft-a-soft-assertion-fails-its-step')!.steps.map((step) => `${step.name}:${step.status}`);
    assert.deepEqual(softSteps, ['look at the title:failed'], 'the failed step threw: the next one is never called');
    assert.match(failure('teardown-a-fixture-that-fails-its-teardown').message, /the ledger fixture could not clean up/);
    const closed = failure('closes-closes-the-browser-it-was-lent');
    assert.equal(closed.cause, 'journey');
    assert.match(closed.message, /the journey called browser\.close\(\)/);
  });

  test('a CommonJS spec file (a project without "type": "module") gets the same test API', async (t) => {
    const run = await onceWithoutConfig('specs-cjs', tempDir(t));
    const [result] = JSON.parse(run.stdout || '[]') as RunResult[];
    assert.equal(result?.journey, 'home-the-home-page-answers', run.stderr);
    assert.equal(result.status, 'success', JSON.stringify(result.error));
    assert.deepEqual(
      result.steps.map((step) => step.name),
      ['open the shop'],
    );
  });
});
