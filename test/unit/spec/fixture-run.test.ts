// Playwright Test fixtures as pulse makes them for one run: test.extend()'s forms, the order they
// are set up and torn down in, overrides, options from test.use(), and fixtures that misbehave.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import vm from 'node:vm';
import { FixtureRun, FixtureSet, UnknownFixtureError, type Use } from '../../../src/spec/fixtures.ts';
import { SpecMisuseError } from '../../../src/spec/running.ts';

type Fixtures = Record<string, unknown>;

/** A run over `set` whose only lent built-in is the page, a plain value (no browser needed). */
function runOf(set: FixtureSet, options: Fixtures = {}): FixtureRun {
  return new FixtureRun({ set, options, builtins: { page: () => 'the page' }, info: { title: 'a test' } });
}

test('test.extend(): a tuple gives its options, a plain array is a value', () => {
  const fixture = async ({ page }: Fixtures, use: Use) => use(page);
  const set = FixtureSet.builtins().extend(
    {
      locale: ['en-GB', { option: true }],
      watcher: [fixture, { scope: 'worker', auto: true }],
      permissions: ['geolocation'],
      pair: ['a', 'b'],
      objects: [{ a: 1 }, { b: 2 }],
      plain: fixture,
    },
    'shop.spec.ts:3:14',
  );
  const at = (name: string) => set.definitions.get(name)!;
  assert.deepEqual([at('locale').value, at('locale').option, at('locale').scope, at('locale').auto], ['en-GB', true, 'test', false]);
  assert.deepEqual([at('watcher').value, at('watcher').option, at('watcher').scope, at('watcher').auto], [fixture, false, 'worker', true]);
  assert.deepEqual(at('permissions').value, ['geolocation']);
  assert.deepEqual(at('pair').value, ['a', 'b']);
  assert.deepEqual(at('objects').value, [{ a: 1 }, { b: 2 }]);
  assert.equal(at('plain').value, fixture);
  assert.equal(at('plain').location, 'shop.spec.ts:3:14');
  assert.equal(at('plain').builtin, false);
  // A built-in given again is an override: the built-in stays reachable as its parent.
  const over = set.extend({ page: fixture }, 'shop.spec.ts:9:1').definitions.get('page')!;
  assert.equal(over.builtin, false);
  assert.equal(over.parent?.builtin, true);
  assert.equal(FixtureSet.builtins().definitions.get('page')?.builtin, true);
});

test('fixtures are set up in dependency order, once each, and torn down in reverse after use() returns', async () => {
  const log: string[] = [];
  const set = FixtureSet.builtins().extend(
    {
      account: async ({ page }: Fixtures, use: Use) => {
        log.push(`account up on ${String(page)}`);
        await use('ann');
        log.push('account down');
      },
      cart: async ({ account }: Fixtures, use: Use) => {
        log.push('cart up');
        await use(`${String(account)}'s cart`);
        log.push('cart down');
      },
    },
    'shop.spec.ts:1:1',
  );
  const run = runOf(set);
  const given = await run.argumentsFor(async ({ cart, account, page }: Fixtures) => [cart, account, page], 'the test');
  assert.deepEqual(given, { cart: "ann's cart", account: 'ann', page: 'the page' });
  assert.deepEqual(log, ['account up on the page', 'cart up']);
  // A hook asking again gets the same values, none made twice.
  assert.deepEqual(await run.argumentsFor(async ({ account }: Fixtures) => account, 'the afterEach hook'), { account: 'ann' });
  assert.equal(log.length, 2);
  await run.tearDown();
  assert.deepEqual(log, ['account up on the page', 'cart up', 'cart down', 'account down']);
  // Torn down once: a second tearDown() has nothing left.
  await run.tearDown();
  assert.equal(log.length, 4);
});

test('teardown runs after a failed test too, and a failed teardown still lets the others run', async () => {
  const log: string[] = [];
  const set = FixtureSet.builtins().extend(
    {
      first: async ({ page }: Fixtures, use: Use) => {
        await use(page);
        log.push('first down');
      },
      second: async ({ first }: Fixtures, use: Use) => {
        await use(first);
        throw new Error('second could not clean up');
      },
    },
    'shop.spec.ts:1:1',
  );
  const run = runOf(set);
  const testBody = async ({ second }: Fixtures) => {
    throw new Error(`the test failed with ${String(second)}`);
  };
  await assert.rejects(async () => testBody(await run.argumentsFor(testBody, 'the test')), /the test failed with the page/);
  await assert.rejects(run.tearDown(), /second could not clean up/);
  assert.deepEqual(log, ['first down']);
});

test('a fixture that names itself gets the definition it overrides, down to the built-in', async () => {
  const base = FixtureSet.builtins().extend({ greeting: async ({ page }: Fixtures, use: Use) => use(`hello from ${String(page)}`) }, 'base.ts:1:1');
  const extended = base
    .extend({ greeting: async ({ greeting }: Fixtures, use: Use) => use(`${String(greeting)}, again`) }, 'extended.ts:1:1')
    .extend({ page: async ({ page }: Fixtures, use: Use) => use(`${String(page)}, opened`) }, 'pages.ts:1:1');
  const given = await runOf(extended).argumentsFor(async ({ greeting }: Fixtures) => greeting, 'the test');
  assert.deepEqual(given, { greeting: 'hello from the page, opened, again' });
  // Nothing before it: it cannot name itself.
  const alone = FixtureSet.builtins().extend({ lonely: async ({ lonely }: Fixtures, use: Use) => use(lonely) }, 'alone.ts:2:3');
  await assert.rejects(
    runOf(alone).argumentsFor(async ({ lonely }: Fixtures) => lonely, 'the test'),
    (error: unknown) => {
      assert.ok(error instanceof UnknownFixtureError);
      assert.match(error.message, /fixture 'lonely' \(alone\.ts:2:3\) asks for 'lonely', which it overrides, but nothing defines it before/);
      return true;
    },
  );
});

test('a fixture that returns without use(), throws before it or calls it twice is told as misuse or by its own error', async () => {
  const set = FixtureSet.builtins().extend(
    {
      forgetful: async ({ page }: Fixtures) => page,
      broken: async ({ page }: Fixtures, use: Use) => {
        if (page) throw new Error('the shop is down');
        await use(page);
      },
      greedy: async ({ page }: Fixtures, use: Use) => {
        void use(page);
        await use(page);
      },
      plainFunction: ({ page }: Fixtures) => page,
    },
    'hostile.spec.ts:4:2',
  );
  await assert.rejects(
    runOf(set).argumentsFor(async ({ forgetful }: Fixtures) => forgetful, 'the test'),
    (error: unknown) => {
      assert.ok(error instanceof SpecMisuseError);
      assert.equal(error.message, "fixture 'forgetful' (hostile.spec.ts:4:2) returned without calling use(value)");
      return true;
    },
  );
  await assert.rejects(
    runOf(set).argumentsFor(async ({ plainFunction }: Fixtures) => plainFunction, 'the test'),
    SpecMisuseError,
  );
  await assert.rejects(
    runOf(set).argumentsFor(async ({ broken }: Fixtures) => broken, 'the test'),
    /^Error: the shop is down$/,
  );
  const greedy = runOf(set);
  assert.deepEqual(await greedy.argumentsFor(async ({ greedy }: Fixtures) => greedy, 'the test'), { greedy: 'the page' });
  await assert.rejects(greedy.tearDown(), (error: unknown) => {
    assert.ok(error instanceof SpecMisuseError);
    assert.equal(error.message, "fixture 'greedy' (hostile.spec.ts:4:2) called use() twice");
    return true;
  });
});

test('test.use(): an option over its default, a function over a fixture, made once for everything that names it', async () => {
  let made = 0;
  const set = FixtureSet.builtins().extend(
    {
      locale: ['en-GB', { option: true }],
      currency: ['EUR', { option: true }],
      price: async ({ locale, currency }: Fixtures, use: Use) => use(`${String(locale)} ${String(currency)}`),
      shopper: async ({ page }: Fixtures, use: Use) => use(`shopper on ${String(page)}`),
      basket: async ({ shopper }: Fixtures, use: Use) => use(`basket of ${String(shopper)}`),
    },
    'shop.spec.ts:1:1',
  );
  const options = {
    locale: 'de-DE',
    shopper: async ({ page }: Fixtures, use: Use) => {
      made += 1;
      await use(`guest ${made} on ${String(page)}`);
    },
  };
  const run = runOf(set, options);
  const given = await run.argumentsFor(async ({ price, shopper, basket }: Fixtures) => [price, shopper, basket], 'the test');
  assert.deepEqual(given, { price: 'de-DE EUR', shopper: 'guest 1 on the page', basket: 'basket of guest 1 on the page' });
  assert.equal(made, 1, "test.use()'s fixture is made once per run, as any fixture");
  await run.tearDown();
  // A built-in's option value (baseURL, headless, ...) comes from use when the run lends none.
  const headless = await runOf(FixtureSet.builtins(), { headless: false }).argumentsFor(async ({ headless }: Fixtures) => headless, 'the test');
  assert.deepEqual(headless, { headless: false });
  // A plain value for a lent built-in never replaces what the run lends.
  assert.deepEqual(await runOf(FixtureSet.builtins(), { page: 'a string' }).argumentsFor(async ({ page }: Fixtures) => page, 'the test'), { page: 'the page' });
  // An option set to undefined is given as undefined, not refused as unknown.
  assert.deepEqual(
    await runOf(FixtureSet.builtins(), { storageState: undefined }).argumentsFor(async ({ storageState }: Fixtures) => storageState, 'the test'),
    {
      storageState: undefined,
    },
  );
});

test('a fixture nothing provides, and a body that destructures nothing, are refused naming the test', async () => {
  await assert.rejects(
    runOf(FixtureSet.builtins()).argumentsFor(async ({ todoPage }: Fixtures) => todoPage, "test 'adds a todo' (todo.spec.ts:5:1)"),
    (error: unknown) => {
      assert.ok(error instanceof UnknownFixtureError);
      assert.ok(error instanceof SpecMisuseError);
      assert.equal(error.message, "test 'adds a todo' (todo.spec.ts:5:1) uses fixture 'todoPage', which no test.extend(), option or built-in fixture provides");
      return true;
    },
  );
  const set = FixtureSet.builtins().extend({ needy: async ({ nowhere }: Fixtures, use: Use) => use(nowhere) }, 'needy.ts:1:1');
  await assert.rejects(
    runOf(set).argumentsFor(async ({ needy }: Fixtures) => needy, 'the test'),
    /fixture 'needy' \(needy\.ts:1:1\) uses fixture 'nowhere'/,
  );
  const bare: unknown = vm.runInThisContext('(async page => page.goto("/"))');
  await assert.rejects(
    runOf(set).argumentsFor(bare as (...args: never[]) => unknown, 'the test'),
    /the test: its first parameter must destructure the fixtures it uses/,
  );
});

test('auto fixtures are set up for every test and hook, named or not, and torn down with the rest', async () => {
  const log: string[] = [];
  const set = FixtureSet.builtins().extend(
    {
      consoleWatch: [
        async ({ page }: Fixtures, use: Use) => {
          log.push(`watching ${String(page)}`);
          await use(undefined);
          log.push('watch stopped');
        },
        { auto: true },
      ],
      idle: async ({ page }: Fixtures, use: Use) => {
        log.push('idle made');
        await use(page);
      },
    },
    'watch.ts:1:1',
  );
  const run = runOf(set);
  const empty: unknown = vm.runInThisContext('(async ({}, testInfo) => testInfo)');
  assert.deepEqual(await run.argumentsFor(empty as (...args: never[]) => unknown, 'the test'), {});
  await run.argumentsFor(async () => undefined, 'the afterEach hook');
  assert.deepEqual(log, ['watching the page']);
  await run.tearDown();
  assert.deepEqual(log, ['watching the page', 'watch stopped']);
});

test('fixtures that need each other in a cycle are refused naming the cycle, never left waiting for ever', { timeout: 60_000 }, async () => {
  const set = FixtureSet.builtins().extend(
    {
      account: async ({ basket }: Fixtures, use: Use) => use(basket),
      basket: async ({ coupon }: Fixtures, use: Use) => use(coupon),
      coupon: async ({ account }: Fixtures, use: Use) => use(account),
    },
    'loop.spec.ts:2:1',
  );
  await assert.rejects(
    runOf(set).argumentsFor(async ({ basket }: Fixtures) => basket, 'the test'),
    (error: unknown) => {
      assert.ok(error instanceof SpecMisuseError);
      assert.equal(
        error.message,
        "fixtures 'basket' (loop.spec.ts:2:1) -> 'coupon' (loop.spec.ts:2:1) -> 'account' (loop.spec.ts:2:1) -> 'basket' (loop.spec.ts:2:1) depend on each other in a cycle: none of them can be set up",
      );
      return true;
    },
  );
  // An override that names itself is no cycle: it gets the definition it overrides.
  const over = set
    .extend({ account: async ({ page }: Fixtures, use: Use) => use(page) }, 'fix.ts:1:1')
    .extend({ account: async ({ account }: Fixtures, use: Use) => use(`${String(account)}!`) }, 'fix.ts:2:1');
  assert.deepEqual(await runOf(over).argumentsFor(async ({ account }: Fixtures) => account, 'the test'), { account: 'the page!' });
});
