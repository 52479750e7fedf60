// examples/shop-suite is a Playwright Test suite written as Playwright's documentation writes one
// (projects, a setup project and its storage state, a page-object fixture, steps, annotations).
// It must pass under the real `playwright test`, unchanged, before pulse runs it as monitors. The
// list reporter's lines are what a person sees; the JSON report beside it is read for what each
// test was: its project, outcome, annotations, tags, steps and attachments.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { startShop } from '../../src/demo/shop.ts';
import { ROOT, runCommand, type CliResult } from '../support/pulse-cli.ts';
import { folderCopy } from '../support/journey-files.ts';
import { freePort } from '../support/ports.ts';
import { tempDir } from '../support/temp.ts';

const PLAYWRIGHT = path.join(ROOT, 'node_modules', '.bin', 'playwright');
const SUITE = 'examples/shop-suite';
const EVERY_MINUTE = { type: 'schedule', description: '*/1 * * * *' };
const EVERY_OTHER_MINUTE = { type: 'schedule', description: '*/2 * * * *' };

/** The parts of Playwright's JSON report this file reads. */
interface ReportStep {
  title: string;
  error?: { message?: string };
  steps?: ReportStep[];
}

interface ReportSuite {
  title: string;
  specs?: {
    title: string;
    tags: string[];
    tests: {
      projectName: string;
      status: 'expected' | 'unexpected' | 'flaky' | 'skipped';
      annotations: { type: string; description?: string }[];
      results: { status: string; steps?: ReportStep[]; attachments: { name: string; body?: string }[] }[];
    }[];
  }[];
  suites?: ReportSuite[];
}

/** One test of one project, as the report tells it. */
interface Ran {
  project: string;
  title: string;
  tags: string[];
  status: 'expected' | 'unexpected' | 'flaky' | 'skipped';
  annotations: { type: string; description?: string }[];
  steps: ReportStep[];
  attachments: { name: string; body?: string }[];
}

function testsOf(suites: ReportSuite[]): Ran[] {
  return suites.flatMap((suite) => [
    ...(suite.specs ?? []).flatMap((spec) =>
      spec.tests.map((t) => ({
        project: t.projectName,
        title: spec.title,
        tags: spec.tags,
        status: t.status,
        annotations: t.annotations.map(({ type, description }) => ({ type, description })),
        steps: t.results.at(-1)?.steps ?? [],
        attachments: t.results.at(-1)?.attachments ?? [],
      })),
    ),
    ...testsOf(suite.suites ?? []),
  ]);
}

/** project -> outcome -> how many tests. */
function outcomes(tests: Ran[]): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const { project, status } of tests) {
    const byStatus = (counts[project] ??= {});
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  }
  return counts;
}

function one(tests: Ran[], project: string, title: string): Ran {
  const found = tests.filter((t) => t.project === project && t.title === title);
  assert.equal(found.length, 1, `one test "${title}" in project ${project}, found ${found.length}`);
  return found[0]!;
}

/** Step titles, nested steps as [title, [...]]. */
type StepTree = (string | [string, StepTree])[];
const stepTree = (steps: ReportStep[]): StepTree => steps.map((s) => (s.steps ? [s.title, stepTree(s.steps)] : s.title));

interface SuiteRun extends CliResult {
  tests: Ran[];
}

/** `playwright test -c examples/shop-suite` as QA would run it, from the repository's root (on a copy of the folder). */
async function runSuite(t: TestContext, options: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<SuiteRun> {
  const output = tempDir(t);
  const report = path.join(output, 'report.json');
  const env = {
    CI: '1',
    // The config starts its own demo shop on this port (with DEMO_SHOP_FAULTS from the start) unless PULSE_PARAM_BASE_URL is set.
    PULSE_DEMO_PORT: String(await freePort()),
    DEMO_SHOP_FAULTS: '',
    PULSE_PARAM_BASE_URL: undefined,
    PULSE_PARAM_SHOP_USER: undefined,
    PULSE_PARAM_SHOP_PASSWORD: undefined,
    PLAYWRIGHT_JSON_OUTPUT_FILE: report,
    ...options.env,
  };
  // A copy: the setup project writes its storage state beside the config, which another test file removes.
  const args = ['test', '-c', folderCopy(t, path.join(ROOT, SUITE)), '--reporter=list,json', '--output', path.join(output, 'results'), ...(options.args ?? [])];
  const run = await runCommand(PLAYWRIGHT, args, { env, timeoutMs: 300_000 });
  let parsed: { suites: ReportSuite[] };
  try {
    parsed = JSON.parse(readFileSync(report, 'utf8')) as { suites: ReportSuite[] };
  } catch (error) {
    assert.fail(`no JSON report from playwright test (${String(error)})\n${run.stdout}\n${run.stderr}`);
  }
  return { ...run, tests: testsOf(parsed.suites) };
}

describe('npx playwright test runs the example suite unchanged', () => {
  test('against the healthy shop every test passes in every project, the fixme one skipped', async (t) => {
    const run = await runSuite(t);
    const shown = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.code, 0, shown);
    assert.match(run.stdout, /13 passed/, shown);
    assert.match(run.stdout, /2 skipped/, shown);
    assert.deepEqual(outcomes(run.tests), {
      setup: { expected: 1 },
      desktop: { expected: 5, skipped: 1 },
      mobile: { expected: 5, skipped: 1 },
      'signed-in': { expected: 2 },
    });
    assert.match(run.stdout, /✓ .*\[setup\] › .*auth\.setup\.ts.* › sign in as the shopper/);
    assert.match(run.stdout, /✓ .*\[desktop\] › .*shop\.spec\.ts.* › shop › a shopper buys a headlamp @monitor/);
    assert.match(run.stdout, /✓ .*\[mobile\] › .*shop\.spec\.ts.* › shop › a shopper buys a headlamp @monitor/);
    assert.match(run.stdout, /✓ .*\[signed-in\] › .*account\.spec\.ts.* › account › the account page shows the signed-in shopper @monitor/);
    assert.match(run.stdout, /- .*\[desktop\] › .*shop\.spec\.ts.* › shop › a shopper saves a product to the wishlist @monitor/);

    const wishlist = one(run.tests, 'mobile', 'a shopper saves a product to the wishlist');
    assert.equal(wishlist.status, 'skipped');
    assert.ok(
      wishlist.annotations.some((a) => a.type === 'fixme'),
      'test.fixme',
    );

    const checkout = one(run.tests, 'desktop', 'a shopper buys a headlamp');
    assert.deepEqual(stepTree(checkout.steps), [
      ['put two headlamps in the cart', ['find the headlamp', 'add two']],
      'review the cart',
      'pay with the test card',
      'see the order number',
    ]);
    // What pulse reads to schedule them: the describe's annotation, a test's own after it, none outside.
    assert.deepEqual(checkout.annotations, [EVERY_MINUTE]);
    assert.deepEqual(checkout.tags, ['monitor']);
    assert.deepEqual(one(run.tests, 'desktop', 'the catalog API answers').annotations, [EVERY_MINUTE, EVERY_OTHER_MINUTE]);
    const unscheduled = one(run.tests, 'desktop', 'a product the shop does not sell is a 404 page');
    assert.deepEqual(unscheduled.annotations, []);
    assert.deepEqual(unscheduled.tags, []);
    assert.deepEqual(one(run.tests, 'signed-in', 'the account page shows the signed-in shopper').annotations, [EVERY_MINUTE]);
    assert.ok(
      run.tests.every((test) => test.attachments.every((a) => a.name !== 'last page')),
      'afterEach attaches the last page only to a test that failed',
    );
  });

  test('with the checkout fault on, the headlamp purchase fails at its order number on desktop and mobile, nothing else', async (t) => {
    const run = await runSuite(t, { env: { DEMO_SHOP_FAULTS: 'checkout500' } });
    const shown = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.code, 1, shown);
    assert.match(run.stdout, /2 failed/, shown);
    assert.match(run.stdout, /11 passed/, shown);
    assert.deepEqual(outcomes(run.tests), {
      setup: { expected: 1 },
      desktop: { expected: 4, unexpected: 1, skipped: 1 },
      mobile: { expected: 4, unexpected: 1, skipped: 1 },
      'signed-in': { expected: 2 },
    });
    for (const project of ['desktop', 'mobile']) {
      const checkout = one(run.tests, project, 'a shopper buys a headlamp');
      assert.equal(checkout.status, 'unexpected', project);
      assert.match(
        run.stdout,
        new RegExp(`\\[${project}\\] › .* › shop › a shopper buys a headlamp @monitor › see the order number`),
        `${project}: the step is named`,
      );
      const failed = checkout.steps.filter((step) => step.error);
      assert.deepEqual(
        failed.map((step) => step.title),
        ['see the order number'],
        `${project}: paying went through, the order page is where it broke`,
      );
      assert.match(failed[0]?.error?.message ?? '', /Something went wrong/, `${project}: the shop's error page was seen`);
      const lastPage = checkout.attachments.find((a) => a.name === 'last page');
      assert.ok(lastPage?.body, `${project}: afterEach attached the last page`);
      assert.match(Buffer.from(lastPage.body, 'base64').toString(), /^http:\/\/127\.0\.0\.1:\d+\/checkout$/);
    }
  });

  test('PULSE_PARAM_BASE_URL points the suite at a running shop: no shop of its own, the setup signs in there once', async (t) => {
    const shop = await startShop();
    t.after(() => shop.close());
    // Had the config started its own shop anyway, it would have found this port taken and stopped (CI=1 reuses nothing).
    const port = new URL(shop.url).port;
    const run = await runSuite(t, { env: { PULSE_PARAM_BASE_URL: shop.url, PULSE_DEMO_PORT: port }, args: ['--project=signed-in'] });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.deepEqual(outcomes(run.tests), { setup: { expected: 1 }, 'signed-in': { expected: 2 } });
    const account = (await (await fetch(`${shop.url}/__account`)).json()) as { signIns: number; failedSignIns: number };
    assert.equal(account.signIns, 1, 'one sign-in, by the setup project; the signed-in tests reused its storage state');
    assert.equal(account.failedSignIns, 0);
  });

  test('a wrong password fails the setup, and the signed-in tests do not run signed out', async (t) => {
    const run = await runSuite(t, { env: { PULSE_PARAM_SHOP_PASSWORD: 'not-the-password' }, args: ['--project=signed-in'] });
    const shown = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.code, 1, shown);
    assert.match(run.stdout, /1 failed/, shown);
    assert.match(run.stdout, /2 did not run/, shown);
    assert.match(run.stdout, /the shop took the email and password/, 'the setup says what went wrong');
    assert.equal(one(run.tests, 'setup', 'sign in as the shopper').status, 'unexpected');
  });

  test("the root config's `playwright test` does not pick the example up", async () => {
    const run = await runCommand(PLAYWRIGHT, ['test', '--list'], { env: { CI: '1', PULSE_DEMO_PORT: String(await freePort()) }, timeoutMs: 120_000 });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /› checkout/, 'it lists the journeys');
    assert.doesNotMatch(run.stdout, /shop-suite|shop\.spec|auth\.setup|buys a headlamp/);
  });
});
