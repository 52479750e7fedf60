// The spec-suite section of RESULTS.md and its stdout line, from bench/specs.ts's figures.
import path from 'node:path';
import type { SpecRun, SpecSide, SpecsResult, SpecTestResult } from './specs.ts';
import { fmt, median } from './stats.ts';

export interface SpecSideFigures {
  /**
   * CPU-seconds per heartbeat of the suite: the mean over the compared tests of each test's mean
   * over its successful runs, so a sign-in weighs on the heartbeats of the test it happened in,
   * and each test weighs the same whatever runs failed on either side.
   */
  cpuS: number;
  wallMs: number;
  /** The same from the cpuacct cgroup, when every compared run has that count. */
  cgroupCpuS: number | undefined;
  /** Successful runs, of every test. */
  heartbeats: number;
  failures: number;
  /** Successful runs that signed in. */
  signIns: number;
}

export interface SpecFigures {
  /** Tests with successful runs on both sides: the means are over these. */
  compared: number;
  tests: number;
  pulse: SpecSideFigures;
  playwrightTest: SpecSideFigures;
  /** `playwright test` per run over pulse, CPU and wall per heartbeat. */
  cpuRatio: number;
  wallRatio: number;
}

const mean = (values: readonly number[]) => (values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length);

function sideFigures(tests: readonly SpecTestResult[], compared: readonly SpecTestResult[], pick: (test: SpecTestResult) => SpecSide): SpecSideFigures {
  const over = (value: (run: SpecRun) => number) => mean(compared.map((test) => mean(pick(test).runs.map(value))));
  const counted = compared.every((test) => pick(test).runs.every((run) => run.cgroupCpuS !== undefined));
  const all = tests.flatMap((test) => pick(test).runs);
  return {
    cpuS: over((run) => run.cpuS),
    wallMs: over((run) => run.wallMs),
    cgroupCpuS: compared.length > 0 && counted ? over((run) => run.cgroupCpuS!) : undefined,
    heartbeats: all.length,
    failures: tests.reduce((sum, test) => sum + pick(test).failures, 0),
    signIns: all.filter((run) => run.signedIn).length,
  };
}

export function specFigures(specs: SpecsResult): SpecFigures {
  const compared = specs.tests.filter((test) => test.pulse.runs.length > 0 && test.playwrightTest.runs.length > 0);
  const pulse = sideFigures(specs.tests, compared, (test) => test.pulse);
  const playwrightTest = sideFigures(specs.tests, compared, (test) => test.playwrightTest);
  return {
    compared: compared.length,
    tests: specs.tests.length,
    pulse,
    playwrightTest,
    cpuRatio: playwrightTest.cpuS / pulse.cpuS,
    wallRatio: playwrightTest.wallMs / pulse.wallMs,
  };
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );
}

/** Text in a table cell: a `|` of a title would end the cell. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

/** A ratio as a table shows it: '–' when either side has no figure. */
const times = (ratio: number) => (Number.isFinite(ratio) ? `${fmt(ratio)}x` : '–');

const medianOf = (side: SpecSide, value: (run: SpecRun) => number) => median(side.runs.map(value));

export function specsSection(specs: SpecsResult, number: string): string {
  const figures = specFigures(specs);
  const { pulse, playwrightTest } = figures;
  const projects = [...new Set(specs.tests.map((test) => test.project))];
  const suiteRows = [
    ['CPU-s per heartbeat', fmt(pulse.cpuS), fmt(playwrightTest.cpuS), times(figures.cpuRatio)],
    ['wall ms per heartbeat', fmt(pulse.wallMs, 4), fmt(playwrightTest.wallMs, 4), times(figures.wallRatio)],
    ...(pulse.cgroupCpuS !== undefined && playwrightTest.cgroupCpuS !== undefined
      ? [['CPU-s per heartbeat, cgroup check', fmt(pulse.cgroupCpuS), fmt(playwrightTest.cgroupCpuS), times(playwrightTest.cgroupCpuS / pulse.cgroupCpuS)]]
      : []),
    ['successful runs', String(pulse.heartbeats), String(playwrightTest.heartbeats), ''],
    ['of them signed in (the setup project ran)', String(pulse.signIns), String(playwrightTest.signIns), ''],
    ['failed runs', String(pulse.failures), String(playwrightTest.failures), ''],
  ];
  const testRows = specs.tests.map((test) => {
    const cpu = (side: SpecSide) => medianOf(side, (run) => run.cpuS);
    return [
      cell(test.title),
      cell(test.project),
      String(test.pulse.runs.length),
      fmt(cpu(test.pulse)),
      fmt(
        medianOf(test.pulse, (run) => run.wallMs),
        4,
      ),
      String(test.playwrightTest.runs.length),
      fmt(cpu(test.playwrightTest)),
      fmt(
        medianOf(test.playwrightTest, (run) => run.wallMs),
        4,
      ),
      times(cpu(test.playwrightTest) / cpu(test.pulse)),
      `${test.pulse.failures} / ${test.playwrightTest.failures}`,
    ];
  });
  const examples = specs.tests.flatMap((test) => [
    ...test.pulse.failureExamples.map((error) => `- pulse, \`${test.journey}\`: ${error}`),
    ...test.playwrightTest.failureExamples.map((error) => `- \`playwright test\`, ${test.project} › ${test.title}: ${error}`),
  ]);
  return [
    `## ${number}. A Playwright Test suite: pulse against \`playwright test\` per run`,
    '',
    `The scheduled tests of \`${specs.suite.dir}\` under the projects of \`${specs.suite.config}\` (${figures.tests}: ${projects.join(', ')}), each run once a round for ${specs.rounds} round${specs.rounds === 1 ? '' : 's'}, by two sides against the same shop and headless shell; which side goes first alternates every round. **pulse** runs them as \`pulse run --journeys ${specs.suite.dir} --playwright-config ${specs.suite.config}\` does: one journey worker with its own browser for the whole section (warmed by a discarded run of each test needing no sign-in), \`Runner.run()\` with kept sessions in memory, then the three sinks; its CPU is that of section 1's pulse (the runner's Node.js process, the journey worker and its browser tree from \`/proc\`), the browser idle between its blocks not counted. **\`playwright test\` per run** starts \`playwright test -c ${path.posix.dirname(specs.suite.config)} --project <project> --grep <title> --workers=1 --reporter=line\` for each run, as a cron job (or Checkly) starts a check, with \`CI=1\`, \`PULSE_PARAM_BASE_URL\` at the bench's shop (so no webServer starts) and \`PULSE_BROWSER_PATH\` at the same headless shell; its CPU is that of the whole spawned tree, as section 1's spawn-per-run. The setup project's sign-in counts where it happens: pulse signs in on the first run that finds no kept session (then once per 30 min TTL), \`playwright test\` runs the setup project before every run of a signed-in test. Per heartbeat is the mean over the tests of each test's mean over its successful runs (${figures.compared} of ${figures.tests} tests ran on both sides).`,
    '',
    table(['suite', 'pulse', '`playwright test` per run', '`playwright test` / pulse'], suiteRows),
    '',
    table(
      [
        'test',
        'project',
        'n pulse',
        'pulse CPU s median',
        'pulse wall ms median',
        'n `playwright test`',
        '`playwright test` CPU s median',
        'wall ms median',
        'CPU ratio',
        'failed (pulse / `playwright test`)',
      ],
      testRows,
    ),
    ...(examples.length > 0 ? ['', 'Failures (first three per test and side):', '', ...examples] : []),
  ].join('\n');
}

/** One line for stdout. */
export function specsSummary(specs: SpecsResult): string {
  const { pulse, playwrightTest, cpuRatio } = specFigures(specs);
  return `specs: pulse ${fmt(pulse.cpuS)} CPU-s per heartbeat, playwright test per run ${fmt(playwrightTest.cpuS)} s: ${times(cpuRatio)} (sign-ins ${pulse.signIns} vs ${playwrightTest.signIns}; failed ${pulse.failures} vs ${playwrightTest.failures})`;
}

/** The finding it makes. */
export function specsFinding(specs: SpecsResult): string {
  const { pulse, playwrightTest, cpuRatio } = specFigures(specs);
  return `- The example Playwright suite run as pulse journeys costs ${fmt(pulse.cpuS)} CPU-s per heartbeat against ${fmt(playwrightTest.cpuS)} as one \`playwright test\` process per check (${times(cpuRatio)}), the setup project's sign-in counted where each side runs it (${pulse.signIns} against ${playwrightTest.signIns} times).`;
}
