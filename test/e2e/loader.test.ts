import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { journey } from '../../src/journey.ts';
import { loadInOwnWorker } from '../../src/runner/own-worker.ts';
import { formatProblem } from '../../src/problem.ts';
import { validateJourney } from '../../src/registry/validate.ts';
import { runPulse } from '../support/pulse-cli.ts';

const FIXTURES = 'test/fixtures/invalid-journeys';

describe('loading journeys', () => {
  test('every broken file is reported with its file, and the valid journeys still load', async () => {
    const registry = await loadInOwnWorker({ dir: FIXTURES });
    assert.deepEqual(
      registry.journeys.map((j) => j.name),
      ['good', 'same-name'],
    );
    const lines = registry.problems.map(formatProblem);
    const expectOne = (pattern: RegExp) => assert.equal(lines.filter((l) => pattern.test(l)).length, 1, `${pattern} in\n${lines.join('\n')}`);
    expectOne(/syntax-error\.journey\.ts: cannot be loaded: syntax error at line 4:\d+/);
    expectOne(/throws-on-import\.journey\.ts: cannot be loaded: journey helper misconfigured: TEST_USER is not set \(thrown at line 3\)/);
    expectOne(/nested\/duplicate-b\.journey\.ts:3: name: 'same-name' is already used by .*duplicate-a\.journey\.ts/);
    expectOne(/bad-schedule\.journey\.ts:3: schedule: '\*\/5 \* \* \*' is not a valid cron expression.*; fix: /);
    expectOne(/bad-schedule\.journey\.ts:3: timeout: "soon" is not a duration/);
    expectOne(
      /misspelled-options\.journey\.ts:8: retry: unknown option `retry` in journey 'misspelled-options': did you mean `retries`\?; fix: rename it to retries/,
    );
    expectOne(/misspelled-options\.journey\.ts:9: timout: unknown option `timout` .*did you mean `timeout`\?/);
    expectOne(/misspelled-options\.journey\.ts:11: frobnicate: unknown option `frobnicate`/);
    expectOne(/duplicate-steps\.journey\.ts:15: step\('open home'\): the step name 'open home' is already used at line 5/);
    expectOne(/duplicate-steps\.journey\.ts:21: step\('check out'\): unknown option `timeout`: step\(\) takes a name and a function, no options/);
    assert.ok(!lines.some((l) => l.includes('helper.ts')), 'files without the .journey.ts suffix are not loaded');
    assert.ok(
      lines.every((l) => l.includes('; fix: ')),
      'every problem says how to fix it',
    );
  });

  test('pulse validate lists every kind of problem at once, each at its file and line, and exits non-zero', async () => {
    const run = await runPulse(['validate', '--journeys', FIXTURES]);
    assert.equal(run.code, 1);
    for (const file of [
      'syntax-error.journey.ts',
      'throws-on-import.journey.ts',
      'duplicate-b.journey.ts',
      'bad-schedule.journey.ts',
      'misspelled-options.journey.ts:8',
      'duplicate-steps.journey.ts:15',
    ]) {
      assert.match(run.stderr, new RegExp(`✗ ${FIXTURES}/(nested/)?${file.replace('.', '\\.')}`));
    }
    assert.match(run.stdout, /2 valid journeys: good, same-name/);
    assert.match(run.stderr, /10 problems found/);
  });

  test('a file that hangs, loops or exits at import is reported by name within its deadline, and the rest still load', async () => {
    const started = Date.now();
    const run = await runPulse(['validate', '--journeys', 'test/fixtures/import-faults'], { env: { PULSE_LOAD_TIMEOUT: '1s' }, timeoutMs: 30_000 });
    const took = Date.now() - started;
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /✗ test\/fixtures\/import-faults\/hangs\.journey\.ts: did not finish loading within 1000 ms \(a top-level await that never settles, or a loop at import\?\); fix: /,
    );
    assert.match(run.stderr, /✗ test\/fixtures\/import-faults\/loops\.journey\.ts: did not finish loading within 1000 ms/);
    assert.match(run.stderr, /✗ test\/fixtures\/import-faults\/exits\.journey\.ts: cannot be loaded: the journey called process\.exit\(0\)/);
    assert.match(run.stdout, /1 valid journey: good/);
    assert.match(run.stderr, /3 problems found/);
    // Two deadlines of 1 s plus starting workers; far below what a hang would take.
    assert.ok(took < 20_000, `took ${took} ms`);
  });

  test('pulse validate and list pass on the shipped examples', async () => {
    const validate = await runPulse(['validate']);
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /5 valid journeys: account, catalog, checkout, mfa-sign-in, search/);
    const list = await runPulse(['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^checkout\s+\*\/1 \* \* \* \*\s+\d{4}-\d\d-\d\dT\d\d:\d\d:00Z\s+journeys\/checkout\.journey\.ts:\d+$/m);
  });

  test('a missing journeys folder is one problem that says which setting to fix', async () => {
    const registry = await loadInOwnWorker({ dir: 'no/such/folder' });
    assert.equal(registry.journeys.length, 0);
    assert.match(formatProblem(registry.problems[0]!), /no\/such\/folder: folder does not exist; fix: point PULSE_JOURNEYS or --journeys/);
  });

  test('definitions get defaults and every field is checked', () => {
    const body = async () => {};
    const ok = validateJourney(journey({ name: 'buy-now', schedule: '*/10 * * * * *' }, body), 'x.journey.ts');
    assert.equal(ok.definition?.timeoutMs, 60_000);
    assert.equal(ok.definition?.stepTimeoutMs, 60_000);
    assert.equal(ok.definition?.retries, 1);
    assert.equal(ok.definition?.timezone, 'UTC');

    const bad = validateJourney(
      journey({ name: 'Buy Now', schedule: 'every minute', timeout: '0s', stepTimeout: 'later', retries: -1, timezone: 'Mars/Olympus' }, body),
      'y.journey.ts',
    );
    assert.equal(bad.definition, undefined);
    assert.deepEqual(bad.problems.map((p) => p.field).sort(), ['name', 'retries', 'schedule', 'stepTimeout', 'timeout', 'timezone']);

    const capped = validateJourney(journey({ name: 'a', schedule: '* * * * *', timeout: '10s', stepTimeout: '1m' }, body), 'z.journey.ts');
    assert.equal(capped.definition?.stepTimeoutMs, 10_000, 'a step never gets more than the whole run');
  });
});
