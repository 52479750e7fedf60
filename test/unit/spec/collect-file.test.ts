// What a spec file declares as it loads, collected by pulse's `test` object: describes with their
// details and tags, hooks, test.use() blocks, configure(), the modifiers in each of their forms,
// .only, and the declarations it gets wrong. The "file" here is this test's own code, declaring
// inside collectFile() as a spec file's top level would.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collectFile, testsIn, type SpecTest, type Suite } from '../../../src/spec/collect.ts';
import { FixtureSet } from '../../../src/spec/fixtures.ts';
import { SpecMisuseError } from '../../../src/spec/running.ts';
import { makeTest, type TestApi } from '../../../src/spec/test-api.ts';

const HERE = fileURLToPath(import.meta.url);
const OWN_LINES = readFileSync(HERE, 'utf8').split('\n');

/** `file:line` of the line of this file holding `marker` (each marker is written once, on the call it marks). */
function lineOf(marker: string): string {
  const index = OWN_LINES.findIndex((line) => line.includes(marker) && !line.includes('lineOf('));
  assert.ok(index >= 0, marker);
  return `${HERE}:${index + 1}:`;
}

type Call = (...args: unknown[]) => void;
/** A member of the test object (test.describe, test.skip, ...), callable as spec files call it. */
function member(on: unknown, ...names: string[]): Call {
  let at: unknown = on;
  for (const name of names) at = (at as Record<string, unknown>)[name];
  assert.equal(typeof at, 'function', names.join('.'));
  return at as Call;
}

function suites(suite: Suite): Suite[] {
  return suite.entries.flatMap((entry) => (entry.kind === 'describe' ? [entry, ...suites(entry)] : []));
}

function byTitle(tests: SpecTest[], title: string): SpecTest {
  const found = tests.find((entry) => entry.title === title);
  assert.ok(found, `no test '${title}' among ${tests.map((entry) => entry.title).join(', ')}`);
  return found;
}

const body = async () => undefined;

test('describes with details and tags, hooks with and without titles, test.use() and configure() are collected where they are written', async () => {
  const spec = makeTest(FixtureSet.builtins());
  const describe = member(spec, 'describe');
  const { root, misdeclared } = await collectFile('/specs/shop.spec.ts', async () => {
    member(spec, 'use')({ locale: 'en-GB' });
    member(spec, 'beforeAll')(body);
    describe('checkout @critical', { tag: ['@money', '@critical'], annotation: { type: 'schedule', description: '*/5 * * * *' } }, () => {
      member(spec, 'beforeEach')('sign in', body);
      member(spec, 'afterEach')(body);
      member(spec, 'afterAll')('empty the cart', body);
      member(spec, 'use')({ viewport: { width: 390, height: 844 } });
      member(describe, 'configure')({ retries: 2, timeout: 90_000 });
      spec('pays by card @smoke', { tag: '@card', annotation: [{ type: 'issue', description: 'SHOP-1' }, { type: 7 }, 'loose'] }, body); // marker: pays by card
      describe(() => {
        spec('an anonymous describe holds this', body);
      });
    });
    spec('top level', body);
  });
  assert.deepEqual(misdeclared, []);
  assert.equal(root.title, '');
  assert.equal(root.location, '/specs/shop.spec.ts');
  assert.deepEqual(
    root.uses.map((use) => use.values),
    [{ locale: 'en-GB' }],
  );
  assert.deepEqual(
    root.hooks.map((hook) => [hook.kind, hook.title]),
    [['beforeAll', undefined]],
  );
  const [checkout, anonymous] = suites(root);
  assert.ok(checkout && anonymous);
  assert.equal(checkout.title, 'checkout @critical');
  assert.equal(checkout.parent, root);
  assert.deepEqual(checkout.tags, ['@money', '@critical'], 'a tag given twice is one tag');
  assert.deepEqual(checkout.annotations, [{ type: 'schedule', description: '*/5 * * * *' }]);
  assert.deepEqual(
    checkout.hooks.map((hook) => [hook.kind, hook.title]),
    [
      ['beforeEach', 'sign in'],
      ['afterEach', undefined],
      ['afterAll', 'empty the cart'],
    ],
  );
  assert.deepEqual(
    checkout.uses.map((use) => use.values),
    [{ viewport: { width: 390, height: 844 } }],
  );
  assert.deepEqual([checkout.retries, checkout.timeoutMs, checkout.mode], [2, 90_000, undefined]);
  assert.equal(anonymous.title, '');
  assert.equal(anonymous.parent, checkout);

  const tests = testsIn(root);
  assert.deepEqual(
    tests.map((entry) => entry.title),
    ['pays by card @smoke', 'an anonymous describe holds this', 'top level'],
  );
  const card = byTitle(tests, 'pays by card @smoke');
  assert.deepEqual(card.tags, ['@card', '@smoke']);
  assert.deepEqual(card.annotations, [{ type: 'issue', description: 'SHOP-1' }], 'annotations that are no { type } are dropped');
  assert.equal(card.parent, checkout);
  assert.equal(card.fn, body);
  assert.ok(card.location.startsWith(lineOf('marker: pays by card')), card.location);
  assert.ok(checkout.location.startsWith(HERE), 'a describe is placed at its call too');
});

test('test.describe.configure() modes, and describe.serial / parallel', async () => {
  const spec = makeTest(FixtureSet.builtins());
  const describe = member(spec, 'describe');
  const { root } = await collectFile('/specs/modes.spec.ts', async () => {
    member(describe, 'configure')({ mode: 'parallel' });
    member(describe, 'serial')('a flow in order', () => {
      spec('first', body);
    });
    describe('told serial', () => {
      member(describe, 'configure')({ mode: 'serial' }); // marker: configure serial
    });
    member(describe, 'parallel')('side by side', () => undefined);
  });
  const [flow, told, side] = suites(root);
  assert.equal(root.mode?.mode, 'parallel');
  assert.equal(flow?.mode?.mode, 'serial');
  assert.equal(told?.mode?.mode, 'serial');
  assert.ok(told?.mode?.location.startsWith(lineOf('marker: configure serial')));
  assert.equal(side?.mode?.mode, 'parallel');
});

test('test.skip(), fixme(), fail() and slow() in every declaring form', async () => {
  const spec = makeTest(FixtureSet.builtins());
  const describe = member(spec, 'describe');
  const mobile = ({ isMobile }: Record<string, unknown>) => isMobile === true;
  const { root } = await collectFile('/specs/modifiers.spec.ts', async () => {
    member(spec, 'skip')('skipped test', body);
    member(spec, 'fixme')('fixme test', { tag: '@later' }, body);
    member(spec, 'fail')('failing test', body);
    member(spec, 'slow')('slow test', body);
    describe('at describe level', () => {
      member(spec, 'skip')(mobile, 'no phone checkout yet');
      member(spec, 'fixme')(true, 'broken since the redesign');
      member(spec, 'slow')(false);
      member(spec, 'fail')(); // marker: bare fail
      spec('inside', body);
    });
    member(describe, 'skip')('a skipped describe', () => undefined);
    member(describe, 'fixme')('a fixme describe', () => undefined);
    member(describe, 'serial', 'skip')('a skipped serial describe', () => undefined);
  });
  const tests = testsIn(root);
  const kinds = (title: string) => byTitle(tests, title).modifiers.map((modifier) => [modifier.kind, modifier.condition]);
  assert.deepEqual(kinds('skipped test'), [['skip', undefined]]);
  assert.deepEqual(kinds('fixme test'), [['fixme', undefined]]);
  assert.deepEqual(byTitle(tests, 'fixme test').tags, ['@later']);
  assert.deepEqual(kinds('failing test'), [['fail', undefined]]);
  assert.deepEqual(kinds('slow test'), [['slow', undefined]]);
  assert.deepEqual(kinds('inside'), [], "a describe's modifiers stay on the describe");

  const [level, skipped, fixme, serial] = suites(root);
  assert.deepEqual(
    level?.modifiers.map((modifier) => [modifier.kind, modifier.condition, modifier.description]),
    [
      ['skip', mobile, 'no phone checkout yet'],
      ['fixme', true, 'broken since the redesign'],
      ['slow', false, undefined],
      ['fail', undefined, undefined],
    ],
  );
  assert.ok(level?.modifiers[3]?.location.startsWith(lineOf('marker: bare fail')));
  assert.deepEqual(
    [skipped, fixme, serial].map((suite) => [suite?.title, suite?.modifiers.map((modifier) => modifier.kind), suite?.mode?.mode]),
    [
      ['a skipped describe', ['skip'], undefined],
      ['a fixme describe', ['fixme'], undefined],
      ['a skipped serial describe', ['skip'], 'serial'],
    ],
  );
});

test('test.only, test.fail.only and describe.only (serial and parallel too) are marked for pulse to refuse', async () => {
  const spec = makeTest(FixtureSet.builtins());
  const describe = member(spec, 'describe');
  const { root } = await collectFile('/specs/focused.spec.ts', async () => {
    member(spec, 'only')('focused', body);
    member(spec, 'fail', 'only')('focused failing', body);
    spec('unfocused', body);
    member(describe, 'only')('focused describe', () => undefined);
    member(describe, 'serial', 'only')('focused serial', () => undefined);
    member(describe, 'parallel', 'only')('focused parallel', () => undefined);
    describe('plain', () => undefined);
  });
  assert.deepEqual(
    testsIn(root).map((entry) => [entry.title, entry.only]),
    [
      ['focused', true],
      ['focused failing', true],
      ['unfocused', false],
    ],
  );
  assert.deepEqual(
    suites(root).map((suite) => [suite.title, suite.only]),
    [
      ['focused describe', true],
      ['focused serial', true],
      ['focused parallel', true],
      ['plain', false],
    ],
  );
});

test('test.extend() makes a test object whose tests carry its fixtures; the base keeps its own', async () => {
  const base = makeTest(FixtureSet.builtins());
  const extended = member(
    base,
    'extend',
  )({ shop: async ({ page }: Record<string, unknown>, use: (value: unknown) => Promise<void>) => use(page) }) as unknown as TestApi;
  const { root } = await collectFile('/specs/extended.spec.ts', async () => {
    base('with the base', body);
    extended('with the shop', body);
  });
  const [plain, shop] = testsIn(root);
  assert.equal(plain?.fixtures.definitions.has('shop'), false);
  assert.equal(shop?.fixtures.definitions.has('shop'), true);
  assert.equal(shop?.fixtures.definitions.get('shop')?.location.startsWith(HERE), true, 'the fixture is placed where test.extend() was called');
});

test('declaring outside collection is misuse naming the call site; a wrong call names what it takes', async () => {
  const spec = makeTest(FixtureSet.builtins());
  assert.throws(
    () => spec('declared late', body), // marker: declared late
    (error: unknown) => {
      assert.ok(error instanceof SpecMisuseError);
      assert.ok(error.message.startsWith(`test() was called at ${lineOf('marker: declared late')}`), error.message);
      assert.match(error.message, /declare tests while the file loads$/);
      return true;
    },
  );
  for (const [call, names] of [
    ['test.describe()', ['describe']],
    ['test.beforeEach()', ['beforeEach']],
    ['test.use()', ['use']],
    ['test.skip()', ['skip']],
    ['test.describe.configure()', ['describe', 'configure']],
  ] as const)
    assert.throws(() => member(spec, ...names)(body), new RegExp(`^SpecMisuseError: ${call.replace(/[.()]/g, '\\$&')} was called at ${HERE}:`));

  await collectFile('/specs/wrong.spec.ts', async () => {
    assert.throws(() => spec('no body'), /^TypeError: test\(\) takes a title and a function \(and details between them\), at /);
    assert.throws(() => spec(42, body), /^TypeError: test\(\) takes a title/);
    assert.throws(() => member(spec, 'describe')('no callback', { tag: '@x' }), /^TypeError: test\.describe\(\) takes a title/);
    assert.throws(() => member(spec, 'afterAll')('a title only'), /^TypeError: test\.afterAll\(\) takes a function \(and a title before it\), at /);
  });
});

test('an async describe callback is misdeclared at its line, and nothing it declares, before an await or after, is collected', async () => {
  const spec = makeTest(FixtureSet.builtins());
  const describe = member(spec, 'describe');
  let declaredLate = false;
  const { root, misdeclared } = await collectFile('/specs/async.spec.ts', async () => {
    describe('outer', () => {
      describe('waits', async () => {
        spec('before the await', body);
        await Promise.resolve();
        member(spec, 'beforeEach')(body);
        spec('after the await', body);
        declaredLate = true;
      });
      spec('beside it', body);
    });
    spec('at the top', body);
    await new Promise((resolve) => setImmediate(resolve));
  });
  assert.equal(declaredLate, true, 'the async callback ran to its end while the file was collected');
  assert.equal(misdeclared.length, 1);
  assert.ok(misdeclared[0]?.location.startsWith(lineOf("describe('waits'")));
  assert.equal(misdeclared[0]?.message, 'the test.describe() callback is async');
  assert.match(misdeclared[0]?.fix ?? '', /make it a plain function/);
  assert.deepEqual(
    testsIn(root).map((entry) => entry.title),
    ['beside it', 'at the top'],
  );
  assert.deepEqual(
    suites(root).map((suite) => [suite.title, suite.hooks.length]),
    [['outer', 0]],
    'the hook declared after the await went nowhere else',
  );
});

test('a file whose top level throws leaves no collection behind, and the next file collects on its own', async () => {
  const spec = makeTest(FixtureSet.builtins());
  await assert.rejects(
    collectFile('/specs/throws.spec.ts', async () => {
      spec('declared before the throw', body);
      throw new Error('cannot find module ./pages');
    }),
    /cannot find module/,
  );
  const { root } = await collectFile('/specs/next.spec.ts', async () => spec('next', body));
  assert.deepEqual(
    testsIn(root).map((entry) => entry.title),
    ['next'],
  );
  // One file at a time: a second collection while one runs is refused, never mixed in.
  let release!: () => void;
  const first = collectFile('/specs/slow.spec.ts', () => new Promise<void>((resolve) => (release = resolve)));
  await assert.rejects(
    collectFile('/specs/other.spec.ts', async () => undefined),
    /a spec file is being collected already; \/specs\/other\.spec\.ts must wait for it/,
  );
  release();
  await first;
});
