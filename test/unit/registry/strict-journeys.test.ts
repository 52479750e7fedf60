import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isJourney, journey } from '../../../src/journey.ts';
import { formatProblem } from '../../../src/problem.ts';
import { scanJourneySource } from '../../../src/registry/journey-source.ts';
import { meantOption } from '../../../src/registry/strict-source.ts';
import { validateJourney } from '../../../src/registry/validate.ts';
import { RepeatedSteps } from '../../../src/runner/repeated-steps.ts';

const FIXTURES = 'test/fixtures/invalid-journeys';

async function validateFixture(name: string): Promise<string[]> {
  const file = path.join(FIXTURES, name);
  const exported = ((await import(pathToFileURL(path.resolve(file)).href)) as { default: unknown }).default;
  assert.ok(isJourney(exported));
  const { definition, problems } = validateJourney(exported, file);
  assert.equal(definition, undefined, 'a journey with a problem is not loaded');
  return problems.map(formatProblem);
}

test('misspelled options are refused at the line of each key, with the option meant', async () => {
  assert.deepEqual(await validateFixture('misspelled-options.journey.ts'), [
    `${FIXTURES}/misspelled-options.journey.ts:8: retry: unknown option \`retry\` in journey 'misspelled-options': did you mean \`retries\`?; fix: rename it to retries`,
    `${FIXTURES}/misspelled-options.journey.ts:9: timout: unknown option \`timout\` in journey 'misspelled-options': did you mean \`timeout\`?; fix: rename it to timeout`,
    `${FIXTURES}/misspelled-options.journey.ts:11: frobnicate: unknown option \`frobnicate\` in journey 'misspelled-options'; fix: remove it; journey() takes name, schedule, timezone, timeout, stepTimeout, retries, tags, origins, thresholds, session`,
  ]);
});

test('a literal step name used twice is refused at the second, naming the first; options given to step() are refused', async () => {
  const file = `${FIXTURES}/duplicate-steps.journey.ts`;
  assert.deepEqual(await validateFixture('duplicate-steps.journey.ts'), [
    `${file}:15: step('open home'): the step name 'open home' is already used at line 5 of journey 'duplicate-steps': both would be timed as one step in /metrics, the waterfall and thresholds; fix: give each step a name of its own, e.g. 'open home again'`,
    `${file}:21: step('check out'): unknown option \`timeout\`: step() takes a name and a function, no options; fix: set stepTimeout in the options of journey() instead (it applies to every step)`,
  ]);
});

test('the scan tells code from comments, strings, templates and regular expressions', () => {
  const source = readFileSync(new URL('data/tricky.journey.txt', import.meta.url), 'utf8');
  const scanned = scanJourneySource(source, 5);
  assert.deepEqual(
    scanned.journeyOptions?.map((key) => `${key.name}:${key.line}`),
    ['name:7', 'schedule:8', 'retries:9', 'tags:10', 'thresholds:12'],
  );
  assert.deepEqual(
    scanned.steps.map((step) => `${step.name}:${step.line}`),
    ["open 'home':18", 'search "x":19', 'a/b:20', 'add to cart:24'],
  );
  // Options given as a variable: no keys to point at, and none made up.
  assert.equal(scanJourneySource('export default journey(options, async () => {});\n').journeyOptions, undefined);
});

test('options built in code are checked too; their problem points at the journey() call', () => {
  const options = { name: 'built', schedule: '*/5 * * * *', ...{ retrys: 1 } };
  const { problems } = validateJourney(
    journey(options, async () => {}),
    'no/such/file.journey.ts',
  );
  assert.deepEqual(
    problems.map((p) => [p.field, p.message]),
    [['retrys', "unknown option `retrys` in journey 'built': did you mean `retries`?"]],
  );
});

test('did you mean: aliases, case and small typos; nothing for a key far from every option', () => {
  assert.equal(meantOption('retry'), 'retries');
  assert.equal(meantOption('cron'), 'schedule');
  assert.equal(meantOption('step_timeout'), 'stepTimeout');
  assert.equal(meantOption('steptimeout'), 'stepTimeout');
  assert.equal(meantOption('timeZone'), 'timezone');
  assert.equal(meantOption('shedule'), 'schedule');
  assert.equal(meantOption('orgins'), 'origins');
  assert.equal(meantOption('frobnicate'), undefined);
  assert.equal(meantOption('x'), undefined);
});

test('a step name run twice in one run (not literal) is said once per journey and name, skipped steps aside', () => {
  const lines: { fields: Record<string, unknown>; message: string }[] = [];
  const log = { warn: (fields: object, message: string) => lines.push({ fields: fields as Record<string, unknown>, message }) };
  const repeated = new RepeatedSteps();
  const steps = [
    { name: 'add item', status: 'passed' as const, durationMs: 1 },
    { name: 'add item', status: 'passed' as const, durationMs: 1 },
    { name: 'pay', status: 'failed' as const, durationMs: 1 },
    { name: 'pay', status: 'skipped' as const, durationMs: 0 },
  ];
  repeated.check('shop', steps, log);
  repeated.check('shop', steps, log);
  repeated.check('other', steps, log);
  assert.deepEqual(
    lines.map((line) => line.fields),
    [
      { event: 'step_name_repeated', journey: 'shop', step: 'add item', times: 2 },
      { event: 'step_name_repeated', journey: 'other', step: 'add item', times: 2 },
    ],
  );
  assert.match(lines[0]!.message, /^step 'add item' ran 2 times in one run of shop: .*; give each its own name/);
});
