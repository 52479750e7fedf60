// The spec-suite section of the bench: how per-run figures become CPU per heartbeat of each side,
// and what RESULTS.md says when runs fail or a title is hostile to a table or a --grep.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specFigures, specsSection, specsSummary } from '../../../bench/specs-report.ts';
import { grepFor, SPEC_SUITE, type SpecRun, type SpecsResult, type SpecTestResult } from '../../../bench/specs.ts';

const run = (cpuS: number, extra: Partial<SpecRun> = {}): SpecRun => ({ cpuS, wallMs: cpuS * 1000, signedIn: false, ...extra });

function specTest(title: string, project: string, pulse: SpecRun[], playwrightTest: SpecRun[], failures: [number, number] = [0, 0]): SpecTestResult {
  return {
    journey: `${title}-${project}`.replace(/\W+/g, '-'),
    title,
    project,
    session: project === 'signed-in',
    pulse: { runs: pulse, failures: failures[0], failureExamples: failures[0] ? ['failed: in step x'] : [] },
    playwrightTest: { runs: playwrightTest, failures: failures[1], failureExamples: failures[1] ? ['exit 1: 1 failed'] : [] },
  };
}

const result = (tests: SpecTestResult[], rounds = 3): SpecsResult => ({ suite: SPEC_SUITE, rounds, tests, cgroupUsed: false, browserVersion: '131.0.0.0' });

test('CPU per heartbeat is the mean over the tests of each mean, so the sign-in weighs on the runs of its own test', () => {
  const specs = result([
    // pulse signs in once; `playwright test` runs the setup project every time.
    specTest(
      'account › the account page',
      'signed-in',
      [run(1.2, { signedIn: true }), run(0.2), run(0.1)],
      [run(5, { signedIn: true }), run(6, { signedIn: true })],
    ),
    specTest('shop › the catalog API answers', 'desktop', [run(0.1)], [run(3)]),
  ]);
  const figures = specFigures(specs);
  assert.equal(figures.compared, 2);
  assert.equal(figures.tests, 2);
  assert.ok(Math.abs(figures.pulse.cpuS - (0.5 + 0.1) / 2) < 1e-9, String(figures.pulse.cpuS));
  assert.ok(Math.abs(figures.playwrightTest.cpuS - (5.5 + 3) / 2) < 1e-9, String(figures.playwrightTest.cpuS));
  assert.ok(Math.abs(figures.cpuRatio - 4.25 / 0.3) < 1e-9, String(figures.cpuRatio));
  assert.ok(Math.abs(figures.pulse.wallMs - 300) < 1e-6, String(figures.pulse.wallMs));
  assert.equal(figures.pulse.signIns, 1);
  assert.equal(figures.playwrightTest.signIns, 2);
  assert.equal(figures.pulse.heartbeats, 4);
  assert.equal(figures.playwrightTest.heartbeats, 3);
  // No cgroup counted these runs: no check row.
  assert.equal(figures.pulse.cgroupCpuS, undefined);
  assert.doesNotMatch(specsSection(specs, '6'), /cgroup check/);
});

test('a test that never succeeded on one side is left out of both means, and its failures are still counted and shown', () => {
  const specs = result([
    specTest('shop › a shopper buys a headlamp', 'desktop', [run(1)], [run(4)]),
    specTest('shop › a shopper buys a headlamp', 'mobile', [run(9)], [], [0, 2]),
  ]);
  const figures = specFigures(specs);
  assert.equal(figures.compared, 1);
  assert.equal(figures.pulse.cpuS, 1, 'the mobile run, with no `playwright test` figure to set against it, is not in the mean');
  assert.equal(figures.playwrightTest.cpuS, 4);
  assert.equal(figures.playwrightTest.failures, 2);
  assert.equal(figures.pulse.heartbeats, 2, 'every successful run is still counted');
  const section = specsSection(specs, '6');
  assert.match(section, /\(1 of 2 tests ran on both sides\)/);
  assert.match(section, /\| failed runs \| 0 \| 2 \| {2}\|/);
  assert.match(section, /\n- `playwright test`, mobile › shop › a shopper buys a headlamp: exit 1: 1 failed/);
  // The mobile row has no ratio to show.
  const mobile = section.split('\n').find((line) => line.includes('| mobile |'));
  assert.ok(mobile, section);
  assert.match(mobile, /\| – \| 0 \/ 2 \|$/);
});

test('with no test run on both sides the ratio is a dash, never NaN or Infinity', () => {
  const specs = result([specTest('shop › home', 'desktop', [], [run(4)], [3, 0])]);
  const section = specsSection(specs, '6');
  const summary = specsSummary(specs);
  for (const text of [section, summary]) assert.doesNotMatch(text, /NaN|Infinity/, text);
  assert.match(section, /\| CPU-s per heartbeat \| – \| – \| – \|/);
});

test('the cgroup check row appears when every compared run was counted by one', () => {
  const specs = result([specTest('shop › home', 'desktop', [run(0.5, { cgroupCpuS: 0.6 })], [run(3, { cgroupCpuS: 3.3 })])]);
  assert.match(specsSection(specs, '6'), /\| CPU-s per heartbeat, cgroup check \| 0\.600 \| 3\.30 \| 5\.50x \|/);
});

test('the section states the rounds, names each test and project once per row, and a | in a title does not break the table', () => {
  const specs = result([specTest('shop › a | b', 'desktop', [run(0.5), run(0.7)], [run(3), run(5)]), specTest('shop › c', 'mobile', [run(0.4)], [run(2)])], 2);
  const section = specsSection(specs, '6');
  assert.match(section, /^## 6\. A Playwright Test suite: pulse against `playwright test` per run\n/);
  assert.match(section, /each run once a round for 2 rounds/);
  assert.match(section, /`playwright test -c examples\/shop-suite --project <project> --grep <title>/);
  const rows = section.split('\n').filter((line) => line.startsWith('| shop › '));
  assert.equal(rows.length, 2);
  // Ten cells each: the escaped pipe stays inside the title's cell.
  for (const row of rows) assert.equal(row.split(/(?<!\\)\|/).length - 2, 10, row);
  assert.match(rows[0]!, /^\| shop › a \\\| b \| desktop \| 2 \| 0\.600 \|/);
});

test('--grep gets the test’s own title with every regular-expression character escaped', () => {
  assert.equal(grepFor('shop › the catalog API answers'), 'the catalog API answers');
  const hostile = 'shop › a (b) costs $1.50 [c]? {d}+ e|f ^g\\ /h';
  const pattern = new RegExp(grepFor(hostile));
  assert.ok(pattern.test('shop a (b) costs $1.50 [c]? {d}+ e|f ^g\\ /h @monitor'));
  assert.ok(!pattern.test('shop a b costs $1x50 c d e'), 'no character left special');
  assert.equal(grepFor('no describe'), 'no describe');
});
