import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffVersions, touchesStep } from '../../../src/store/journey-diff.ts';
import { compareWithLastGood, type ComparedRun } from '../../../src/store/since-last-good.ts';

const BEFORE = `import { journey } from 'pulse';
import { fillAddress } from './lib/address.ts';

export default journey({ name: 'checkout', schedule: '* * * * *' }, async ({ page, step }) => {
  await step('open home', async () => {
    await page.goto('/');
  });
  await step('add to cart', async () => {
    await page.click('#add');
    await page.waitForURL('**/cart');
  });
  await step('check out', async () => {
    await fillAddress(page);
  });
});
`;

const files = (journey: string, helper = 'export const fillAddress = async (page: unknown) => page;\n') => ({
  files: [
    { path: 'checkout.journey.ts', text: journey },
    { path: 'lib/address.ts', text: helper },
  ],
});

test('a change inside a step body touches that step, not its neighbours; the diff is unified, file by file', () => {
  const after = BEFORE.replace("await page.click('#add');", "await page.click('#add-to-cart');");
  const diff = diffVersions(files(BEFORE), files(after));
  assert.deepEqual(diff.touchedSteps, ['add to cart']);
  assert.ok(touchesStep(diff, 'add to cart'));
  assert.ok(!touchesStep(diff, 'open home') && !touchesStep(diff, 'check out'));
  assert.match(diff.text, /^--- a\/checkout\.journey\.ts\n\+\+\+ b\/checkout\.journey\.ts\n@@ /m);
  assert.match(diff.text, /^- {4}await page\.click\('#add'\);$/m);
  assert.match(diff.text, /^\+ {4}await page\.click\('#add-to-cart'\);$/m);
  assert.ok(!diff.text.includes('lib/address.ts'), 'an unchanged file is not in the diff');
  assert.equal(diff.partial, false);
});

test('a removed last line of a body, a renamed step and a new helper file', () => {
  const removed = diffVersions(files(BEFORE), files(BEFORE.replace("    await page.waitForURL('**/cart');\n", '')));
  assert.deepEqual(removed.touchedSteps, ['add to cart'], 'a line removed at the end of the body still belongs to it');

  const renamed = diffVersions(files(BEFORE), files(BEFORE.replace("step('check out'", "step('pay now'")));
  assert.ok(touchesStep(renamed, 'pay now'));

  const helper = diffVersions(files(BEFORE), {
    files: [...files(BEFORE).files, { path: 'lib/card.ts', text: "export const card = '4242';\n" }],
  });
  assert.match(helper.text, /^--- \/dev\/null\n\+\+\+ b\/lib\/card\.ts$/m);
  assert.deepEqual(helper.touchedSteps, [], 'a new file no step calls yet touches no step');
});

test('a helper changed in its own module touches no step by its layout, but a line naming the step does', () => {
  const helper = diffVersions(files(BEFORE), files(BEFORE, 'export const fillAddress = async (page: unknown) => [page];\n'));
  assert.deepEqual(helper.touchedSteps, []);
  assert.ok(!touchesStep(helper, 'check out'));
  const named = diffVersions(files(BEFORE), files(BEFORE, "export const fillAddress = async (page: unknown) => log('check out', page);\n"));
  assert.ok(touchesStep(named, 'check out'), 'the quoted name is on a changed line');
  assert.ok(!touchesStep(named, 'check'), 'a part of the name is not the name');
});

test('a change outside every step (an import, the end of the journey) touches none; a step on one line spans that line only', () => {
  const diff = diffVersions(files(BEFORE), files(BEFORE.replace("import { journey } from 'pulse';", "import { expect, journey } from 'pulse';")));
  assert.deepEqual(diff.touchedSteps, []);
  const oneLine = BEFORE.replace(
    "  await step('check out', async () => {\n    await fillAddress(page);\n  });\n",
    "  await step('check out', () => fillAddress(page));\n",
  );
  const closing = diffVersions(files(oneLine), files(oneLine.replace(/^\}\);\n$/m, '}, 1);\n')));
  assert.deepEqual(closing.touchedSteps, [], 'the closing line of the journey is not part of the last step');
});

test('two large unrelated sources: the diff gives up in time or is cut, and says it is partial', () => {
  const lines = (seed: string) => Array.from({ length: 20_000 }, (_, i) => `const ${seed}${i} = '${seed.repeat(20)}${i}';`).join('\n');
  const diff = diffVersions({ files: [{ path: 'big.ts', text: lines('a') }] }, { files: [{ path: 'big.ts', text: lines('b') }] });
  assert.equal(diff.partial, true);
  assert.ok(diff.text.length <= 200_002);
});

const good: ComparedRun = {
  runId: '20260101T000000Z-good00',
  startedAt: '2026-01-01T00:00:00.000Z',
  steps: [
    { name: 'open home', status: 'passed', durationMs: 100 },
    { name: 'add to cart', status: 'passed', durationMs: 100 },
    { name: 'check out', status: 'passed', durationMs: 100 },
  ],
  version: { hash: 'a'.repeat(64), commit: '1'.repeat(40) },
};

function failedAt(step: string, hash = 'b'.repeat(64)): ComparedRun {
  return {
    runId: '20260101T000100Z-failed',
    startedAt: '2026-01-01T00:01:00.000Z',
    steps: [{ name: step, status: 'failed', durationMs: 100 }],
    error: { message: 'boom', step, reason: 'assertion' },
    version: { hash },
  };
}

test('since the last good run: the journey changed, with the diff, and whether the change reached the step that failed', () => {
  const after = BEFORE.replace("await page.click('#add');", "await page.click('#add-to-cart');");
  const sources = { then: files(BEFORE), now: files(after) };
  const there = compareWithLastGood(failedAt('add to cart'), good, sources).journeyChanged;
  assert.equal(there?.then.hash, good.version!.hash);
  assert.equal(there?.then.commit, good.version!.commit);
  assert.equal(there?.now.hash, 'b'.repeat(64));
  assert.match(there?.diff ?? '', /\+ {4}await page\.click\('#add-to-cart'\);/);
  assert.equal(there?.atFailedStep, true);

  assert.equal(
    compareWithLastGood(failedAt('check out'), good, sources).journeyChanged?.atFailedStep,
    false,
    'the change is elsewhere: the product is the suspect again',
  );
  assert.equal(compareWithLastGood(failedAt('confirm order'), good, sources).journeyChanged?.atFailedStep, true, 'a step the good run never had is new');

  const gone = compareWithLastGood(failedAt('add to cart'), good, { now: files(after) }).journeyChanged;
  assert.equal(gone?.diff, undefined, 'the good version’s source is no longer kept: no diff');
  assert.equal(gone?.atFailedStep, false, 'and no claim about the step it cannot see');

  assert.equal(compareWithLastGood(failedAt('add to cart', good.version!.hash), good, sources).journeyChanged, undefined, 'the same version: nothing to say');
  const { version: _unknown, ...unversioned } = good;
  assert.equal(
    compareWithLastGood(failedAt('add to cart'), unversioned, sources).journeyChanged,
    undefined,
    'a good run from before versions were recorded: no claim',
  );
});
