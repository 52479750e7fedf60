// fixtureNames() reads the fixtures a test, hook or fixture function names from the function's own
// text, as Playwright Test does. Each shape below is source text a spec author writes, compiled as
// written (vm keeps the text, comments included, where tsx would reprint it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import vm from 'node:vm';
import { fixtureNames } from '../../../src/spec/fixtures.ts';

function compiled(source: string): (...args: never[]) => unknown {
  const made: unknown = vm.runInThisContext(`(${source})`);
  assert.equal(typeof made, 'function', source);
  return made as (...args: never[]) => unknown;
}

const NAMED: [string, string[]][] = [
  ['({ page }) => {}', ['page']],
  ['async ({ page, context }) => {}', ['page', 'context']],
  ['async function ({ page, request }, use) {}', ['page', 'request']],
  ['async function shop({ page }, use, testInfo) {}', ['page']],
  ['async function* walk({ page }) {}', ['page']],
  ['({ async shop({ page }, use) {} }).shop', ['page']],
  ['({ shop({ page, baseURL }, use) {} }).shop', ['page', 'baseURL']],
  ['({ async "shop page"({ page }, use) {} })["shop page"]', ['page']],
  ['(class { static async shop({ page }) {} }).shop', ['page']],
  ['async ({ page: p, context: c }) => {}', ['page', 'context']],
  ['async ({ a = 1, b = { x: 1 }, c = "}", d = [1, 2] }) => {}', ['a', 'b', 'c', 'd']],
  ['async ({ a = (1, 2), b = x => ({ y: x }), c = 1 > 0 ? {} : [] }) => {}', ['a', 'b', 'c']],
  ['async ({ "quoted-key": q, \'single\': s, plain }) => {}', ['quoted-key', 'single', 'plain']],
  ['async ({ page: { url }, todo: [first, second] }) => {}', ['page', 'todo']],
  ["async ({ a = \"({\", b = `}`, c = 'it\\'s }' }) => {}", ['a', 'b', 'c']],
  ['async ({ page, }) => {}', ['page']],
  ['async (\n  {\n    page,\n    context,\n  },\n  use,\n) => {}', ['page', 'context']],
  ['async ({}, use) => {}', []],
  ['async () => {}', []],
  ['async function () {}', []],
];

test('the fixtures named by each function shape spec authors write', () => {
  for (const [source, names] of NAMED) assert.deepEqual(fixtureNames(compiled(source)), names, source);
});

test('a comment never names a fixture, and one before the pattern does not hide it', () => {
  const cases: [string, string[]][] = [
    ['async ({ page /* , fake */, context // , other\n }) => {}', ['page', 'context']],
    ['async (/* { fake } */ { page }) => {}', ['page']],
    ['async ({\n  // the shop page, {as} set up by the shop fixture\n  shop,\n}) => {}', ['shop']],
    ['async ({ page = "/* not a comment */", context }) => {}', ['page', 'context']],
  ];
  for (const [source, names] of cases) assert.deepEqual(fixtureNames(compiled(source)), names, source);
});

test('a first parameter that is no object pattern names nothing it could be given: undefined', () => {
  for (const source of ['async (page) => {}', 'async function (fixtures, use) {}', 'async page => {}', 'page => {}', 'async ({ page, ...rest }) => {}'])
    assert.equal(fixtureNames(compiled(source)), undefined, source);
});
