// RESULTS.md keeps the Targets of the day's earlier whole runs: which runs count as whole, which
// day they belong to, and that a run carried once is carried again, newest first, three at most.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { earlierRuns, earlierRunsIn, isWholeRun, renderEarlierRuns, type EarlierRun } from '../../../bench/earlier-runs.ts';
import { tempDir } from '../../support/temp.ts';

const targets = (verdict: string) =>
  ['| target | measured | verdict |', '| --- | ---: | ---: |', `| pulse CPU, \`catalog\` | 1.08x | **${verdict}** |`].join('\n');

/** A RESULTS.md as the bench writes it, cut to what the carrying reads. */
function resultsFile(command: string, date: string, verdict: string, carried: EarlierRun[] = []): string {
  return [
    '# pulse bench results',
    '',
    `Written by \`${command}\` (bench/run.ts) on ${date}; the whole bench took 47.5 min.`,
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | ---: |',
    '| CPU | 2 cores |',
    '',
    '## Targets',
    '',
    targets(verdict),
    '',
    renderEarlierRuns(carried),
    '## Method',
    '',
    '| not | a target table |',
  ].join('\n');
}

test('only a run of every section with the full counts is whole; --out and --no-elastic do not narrow it', () => {
  for (const command of ['npm run bench', 'npm run bench -- --out /tmp/r.md', 'npm run bench -- --out=/tmp/r.md', 'npm run bench -- --no-elastic'])
    assert.equal(isWholeRun(command), true, command);
  for (const command of [
    'npm run bench -- --quick',
    'npm run bench -- --only scrape',
    'npm run bench -- --runs 5',
    'npm run bench -- --pages catalog',
    'node bench/run.ts',
  ]) {
    assert.equal(isWholeRun(command), false, command);
  }
});

test("a whole run of the same day is carried with its Targets table as it stood; another day's, a partial run's or a quick run's is not", () => {
  const morning = resultsFile('npm run bench', '2026-12-04T09:10:00.000Z', 'MISS');
  const [run, ...rest] = earlierRuns(morning, '2026-12-04');
  assert.deepEqual(rest, []);
  assert.equal(run?.date, '2026-12-04T09:10:00.000Z');
  assert.equal(run?.minutes, '47.5');
  assert.equal(run?.targets, targets('MISS'));
  assert.deepEqual(earlierRuns(morning, '2026-12-05'), []);
  assert.deepEqual(earlierRuns(resultsFile('npm run bench -- --only scrape', '2026-12-04T09:10:00.000Z', 'MISS'), '2026-12-04'), []);
  assert.deepEqual(earlierRuns(resultsFile('npm run bench -- --quick', '2026-12-04T09:10:00.000Z', 'MISS'), '2026-12-04'), []);
  assert.deepEqual(earlierRuns('# not a results file\n', '2026-12-04'), []);
});

test('runs carried once are carried again, newest first, two besides the new one; the previous day falls out', () => {
  const first = earlierRuns(resultsFile('npm run bench', '2026-12-04T01:00:00.000Z', 'PASS'), '2026-12-04');
  const yesterday: EarlierRun = { date: '2026-12-03T23:00:00.000Z', minutes: '48', targets: targets('PASS') };
  const second = earlierRuns(resultsFile('npm run bench', '2026-12-04T02:00:00.000Z', 'MISS', [...first, yesterday]), '2026-12-04');
  assert.deepEqual(
    second.map((r) => r.date),
    ['2026-12-04T02:00:00.000Z', '2026-12-04T01:00:00.000Z'],
  );
  const third = earlierRuns(resultsFile('npm run bench', '2026-12-04T03:00:00.000Z', 'PASS', second), '2026-12-04');
  assert.deepEqual(
    third.map((r) => [r.date, r.targets]),
    [
      ['2026-12-04T03:00:00.000Z', targets('PASS')],
      ['2026-12-04T02:00:00.000Z', targets('MISS')],
    ],
  );
  const section = renderEarlierRuns(third);
  assert.match(section, /in 3 runs, not one/);
  assert.ok(section.indexOf('03:00:00') < section.indexOf('02:00:00'), 'newest first');
  assert.equal(renderEarlierRuns([]), '');
});

test('a RESULTS.md edited by hand: a run heading without its table carries nothing (never the next section table); a Targets heading without one, no run', () => {
  const broken = resultsFile('npm run bench -- --out=/tmp/r.md', '2026-12-04T05:00:00.000Z', 'PASS').replace(
    '## Method',
    "### The day's earlier whole runs\n\n#### Written on 2026-12-04T04:00:00.000Z, 47 min\n\n## Method",
  );
  assert.deepEqual(
    earlierRuns(broken, '2026-12-04').map((r) => r.date),
    ['2026-12-04T05:00:00.000Z'],
  );
  const noTable = resultsFile('npm run bench', '2026-12-04T05:00:00.000Z', 'PASS').replace(targets('PASS'), 'lost');
  assert.deepEqual(earlierRuns(noTable, '2026-12-04'), []);
});

test('a RESULTS.md that is missing carries nothing quietly; one that cannot be read (a folder) carries nothing and says so', (t) => {
  const warned: string[] = [];
  const warn = (line: string): void => void warned.push(line);
  const dir = tempDir(t, 'pulse-earlier-');
  assert.equal(earlierRunsIn(path.join(dir, 'missing.md'), '2026-12-04', warn).length, 0);
  assert.deepEqual(warned, []);
  assert.equal(earlierRunsIn(dir, '2026-12-04', warn).length, 0);
  assert.match(warned.join('\n'), /could not read .*EISDIR.*none carried/);
});
