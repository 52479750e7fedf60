// A spec test while it runs: test.step() as pulse's steps (nested titles joined with " › ", its own
// timeout), expect.soft failing the step it is in at that step's end, test.skip() and its kin
// called from a body, and a collected test run as a journey body with its hooks and fixtures.
// pulse's step() is a recording stand-in and the page a plain value: no browser is needed here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrowserContext, Page } from 'playwright';
import type { JourneyParams, StepFn } from '../../../src/journey.ts';
import { collectFile, testsIn } from '../../../src/spec/collect.ts';
import { FixtureSet, type Use } from '../../../src/spec/fixtures.ts';
import { expect } from '../../../src/spec/playwright-test.ts';
import { loadSpecConfig } from '../../../src/spec/projects.ts';
import { SpecMisuseError, specRun, type SpecRun, type SpecTestInfo } from '../../../src/spec/running.ts';
import { specBody, titlePath } from '../../../src/spec/spec-body.ts';
import { makeTest, type TestApi } from '../../../src/spec/test-api.ts';

/** The calls a running test makes on its `test` object. */
interface RunningApi {
  step(title: string, body: (stepInfo: { skip(condition?: unknown): void }) => unknown, options?: { timeout?: number }): Promise<unknown>;
  skip(...args: unknown[]): void;
  fixme(...args: unknown[]): void;
  fail(...args: unknown[]): void;
  slow(...args: unknown[]): void;
  info(): unknown;
  setTimeout(timeout: number): void;
  extend(fixtures: Record<string, unknown>): Api;
  beforeAll: (...args: unknown[]) => void;
  beforeEach: (...args: unknown[]) => void;
  afterEach: (...args: unknown[]) => void;
  afterAll: (...args: unknown[]) => void;
  describe: (...args: unknown[]) => void;
}
type Api = TestApi & RunningApi;

function api(): Api {
  return makeTest(FixtureSet.builtins()) as Api;
}

/** pulse's step(), recording each step's name and whether it passed. */
function recordingStep(log: string[]): StepFn {
  return async (name, body) => {
    log.push(`step ${name}`);
    try {
      const value = await body();
      log.push(`passed ${name}`);
      return value;
    } catch (error) {
      log.push(`failed ${name}`);
      throw error;
    }
  };
}

function runOf(step: StepFn, info: Partial<SpecTestInfo> = {}): SpecRun {
  return { step, info: { title: 'a test', timeout: 30_000, ...info } as SpecTestInfo, stepPath: [], softErrors: [] };
}

test('test.step() names each step by the titles it is inside of, joined with " › ", and hands back its value', async () => {
  const spec = api();
  const log: string[] = [];
  const value = await specRun.run(runOf(recordingStep(log)), async () =>
    spec.step('check out', async () => {
      await spec.step('fill the address', async () => {
        await spec.step('postcode', () => undefined);
      });
      return spec.step('pay', () => 'paid');
    }),
  );
  assert.equal(value, 'paid');
  assert.deepEqual(log, [
    'step check out',
    'step check out › fill the address',
    'step check out › fill the address › postcode',
    'passed check out › fill the address › postcode',
    'passed check out › fill the address',
    'step check out › pay',
    'passed check out › pay',
    'passed check out',
  ]);
  await assert.rejects(
    spec.step('stray', () => undefined),
    /^Error: test\.step\('stray'\) was called outside a running test, at /,
  );
});

test('a step with its own timeout fails when it is over it; one within it passes and leaves no timer', async () => {
  const spec = api();
  const log: string[] = [];
  await specRun.run(runOf(recordingStep(log)), async () => {
    await assert.rejects(
      spec.step('wait for ever', () => new Promise(() => undefined), { timeout: 50 }),
      /^Error: test\.step\('wait for ever'\) ran out of its own timeout of 50 ms$/,
    );
    assert.equal(await spec.step('quick', () => 'done', { timeout: 600_000 }), 'done');
    assert.equal(await spec.step('no budget', () => 'done', { timeout: 0 }), 'done');
  });
  assert.deepEqual(log, ['step wait for ever', 'failed wait for ever', 'step quick', 'passed quick', 'step no budget', 'passed no budget']);
});

test('expect.soft lets the step go on and fails it at its end; outside a run it throws at once', async () => {
  const spec = api();
  const log: string[] = [];
  const run = runOf(recordingStep(log));
  await specRun.run(run, async () => {
    await assert.rejects(
      spec.step('look at the title', async () => {
        expect.soft('Shop', 'the title names the shop').toBe('No such title');
        expect.soft('Shop').not.toBe('Shop');
        await expect.soft(Promise.resolve(1)).resolves.toBe(2);
        log.push('went on after the soft failures');
      }),
      /the title names the shop/,
    );
    await spec.step('the next step has its own soft failures', () => {
      expect.soft(1).toBe(1);
    });
    // A soft failure outside any step is kept for the test's end (spec-body throws it then).
    expect.soft(2).toBe(3);
  });
  assert.deepEqual(log, [
    'step look at the title',
    'went on after the soft failures',
    'failed look at the title',
    'step the next step has its own soft failures',
    'passed the next step has its own soft failures',
  ]);
  assert.equal(run.softErrors.length, 1);
  assert.throws(() => expect.soft(1).toBe(2), /toBe/);
  // A step the test skips does not fail for its soft failures.
  await specRun.run(runOf(recordingStep([])), () =>
    spec.step('skipped', (stepInfo) => {
      expect.soft(1).toBe(2);
      stepInfo.skip();
    }),
  );
});

test('test.skip(), fixme() and fail() while a test runs are misuse (a false condition is nothing); slow() is let be', async () => {
  const spec = api();
  await specRun.run(runOf(recordingStep([])), async () => {
    assert.throws(
      () => spec.skip(),
      (error: unknown) =>
        error instanceof SpecMisuseError && /the test called test\.skip\(\) while it ran: a monitor must run what it monitors/.test(error.message),
    );
    assert.throws(() => spec.skip(true, 'not on mobile'), /test\.skip\(\) while it ran: not on mobile: a monitor/);
    assert.throws(() => spec.fixme(1), /test\.fixme\(\) while it ran/);
    assert.throws(() => spec.fail(), /test\.fail\(\) was called while the test ran: pulse does not monitor a test that is expected to fail/);
    spec.skip(false, 'never');
    spec.fixme(0);
    spec.fail(undefined);
    spec.slow();
    spec.slow(true, 'it is slow');
    assert.equal((spec.info() as SpecTestInfo).title, 'a test');
  });
  assert.throws(() => spec.info(), /^Error: test\.info\(\) can only be called while a test runs, at /);
});

test('declaring while a test runs is misuse, not a test', async () => {
  const spec = api();
  await specRun.run(runOf(recordingStep([])), async () => {
    assert.throws(() => spec('inside a test', async () => undefined), SpecMisuseError);
    assert.throws(() => spec.describe('inside a test', () => undefined), SpecMisuseError);
  });
});

interface Lent {
  log: string[];
  run: () => Promise<void>;
}

/** The file's one test, run as a journey body over a stand-in page and step(). */
async function journeyOf(declare: (spec: Api) => void, options: Record<string, unknown> = {}): Promise<Lent> {
  const spec = api();
  const { root, misdeclared } = await collectFile('/specs/journey.spec.ts', async () => declare(spec));
  assert.deepEqual(misdeclared, []);
  const [only] = testsIn(root);
  assert.ok(only);
  const [project] = (await loadSpecConfig(undefined, '/specs')).projects;
  assert.ok(project);
  const log: string[] = [];
  const body = specBody({ test: only, project, options, timeoutMs: 30_000 });
  const params: JourneyParams = { baseUrl: '' };
  return {
    log,
    run: () => body({ page: 'the page' as unknown as Page, context: {} as BrowserContext, step: recordingStep(log), params }),
  };
}

test('a journey body runs the hooks in Playwright Test order, each as a step, around the test; after hooks in the order they were written', async () => {
  const { log, run } = await journeyOf((spec) => {
    spec.beforeAll(async () => log.push('outer beforeAll'));
    spec.beforeEach(async () => log.push('outer beforeEach'));
    spec.afterEach('outer after 1', async () => log.push('outer afterEach 1'));
    spec.afterEach('outer after 2', async () => log.push('outer afterEach 2'));
    spec.afterAll(async () => log.push('outer afterAll'));
    spec.describe('cart', () => {
      spec.beforeAll('fill the shelf', async () => log.push('inner beforeAll'));
      spec.beforeEach(async () => log.push('inner beforeEach'));
      spec.afterEach('inner after 1', async () => log.push('inner afterEach 1'));
      spec.afterEach('inner after 2', async () => log.push('inner afterEach 2'));
      spec.afterAll('inner afterAll 1', async () => log.push('inner afterAll 1'));
      spec.afterAll('inner afterAll 2', async () => log.push('inner afterAll 2'));
      spec('adds a headlamp', async ({ page }: Record<string, unknown>) => log.push(`test on ${String(page)}`));
    });
  });
  await run();
  assert.deepEqual(
    log.filter((line) => !line.startsWith('passed ')),
    [
      'step before all',
      'outer beforeAll',
      'step fill the shelf',
      'inner beforeAll',
      'step before each',
      'outer beforeEach',
      'step before each 2',
      'inner beforeEach',
      'step adds a headlamp',
      'test on the page',
      // Playwright Test: the innermost describe's after hooks first, each describe's in the order written.
      'step inner after 1',
      'inner afterEach 1',
      'step inner after 2',
      'inner afterEach 2',
      'step outer after 1',
      'outer afterEach 1',
      'step outer after 2',
      'outer afterEach 2',
      'step inner afterAll 1',
      'inner afterAll 1',
      'step inner afterAll 2',
      'inner afterAll 2',
      'step after all',
      'outer afterAll',
    ],
  );
});

test('after a failed test its after hooks still run (not as steps), fixtures are torn down, and the first failure is the one told', async () => {
  let log: string[] = [];
  const lent = await journeyOf((spec) => {
    const withCart = spec.extend({
      cart: async ({ page }: Record<string, unknown>, use: Use) => {
        log.push(`cart up on ${String(page)}`);
        await use('cart');
        log.push('cart down');
      },
    });
    withCart.afterEach(async () => {
      log.push('afterEach ran');
      throw new Error('the afterEach failed too');
    });
    withCart('buys', async ({ cart }: Record<string, unknown>) => {
      log.push(`test with ${String(cart)}`);
      throw new Error('the pay button is missing');
    });
  });
  log = lent.log;
  await assert.rejects(lent.run(), /^Error: the pay button is missing$/);
  assert.deepEqual(log, ['step buys', 'cart up on the page', 'test with cart', 'failed buys', 'afterEach ran', 'cart down']);
});

test('a test that calls test.step() has those as its steps; a soft failure in the test body fails the run at its end', async () => {
  let log: string[] = [];
  const lent = await journeyOf((spec) => {
    spec('checks out', async () => {
      await spec.step('open the cart', async () => log.push('in the cart'));
      expect.soft(1, 'one is two').toBe(2);
      log.push('went on');
    });
  });
  log = lent.log;
  await assert.rejects(lent.run(), /one is two/);
  assert.deepEqual(log, ['step open the cart', 'in the cart', 'passed open the cart', 'went on']);
});

test("the title path leaves out the file's root and anonymous describes", async () => {
  const spec = api();
  const { root } = await collectFile('/specs/titles.spec.ts', async () => {
    spec.describe('shop', () => {
      spec.describe(() => {
        spec('buys', async () => undefined);
      });
    });
  });
  assert.deepEqual(titlePath(testsIn(root)[0]!), ['shop', 'buys']);
});
