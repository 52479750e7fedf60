/**
 * `npm run bench -- --quick`: the bench runs end to end with tiny counts (one run per variant, a
 * twenty-run soak: the fewest that still measure every target; pulse, the floor, full Chromium and
 * `playwright test` of the variants) and writes a well-formed report to the file it is given. How
 * fast anything is stays out of the test: that is the bench's job.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, runCommand } from '../support/pulse-cli.ts';
import { tempDir } from '../support/temp.ts';

const RESULTS = path.join(ROOT, 'bench/RESULTS.md');

/** The rows of the first markdown table after a heading. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `a '${heading}' section`);
  const lines = markdown.slice(start + heading.length + 2).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  assert.ok(first >= 0, `a table under '${heading}'`);
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  assert.match(rows[1]?.join('|') ?? '', /^-+(\|-+:?)*$/, `a header separator under '${heading}'`);
  return rows.slice(2);
}

const NUMBER = /^-?\d+(\.\d+)?$/;

test(
  'npm run bench -- --quick (one run per variant) writes a well-formed report to --out, and leaves bench/RESULTS.md alone',
  { timeout: 600_000 },
  async (t) => {
    const dir = tempDir(t, 'pulse-bench-test-');
    const out = path.join(dir, 'results.md');
    const before = existsSync(RESULTS) ? statSync(RESULTS).mtimeMs : undefined;

    // Every section and every target; the variants that only turn pulse's features on or off run as "pulse" does, so they are left out (1.5 of 5 minutes).
    const variants = ['pulse', 'floor', 'pulse-full', 'spawn'].join(',');
    const run = await runCommand(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--runs', '1', '--variants', variants, '--out', out], {
      timeoutMs: 580_000,
    });
    assert.equal(run.code, 0, `bench failed:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /pulse\/floor CPU \d/, 'the ratios on stdout');
    assert.match(run.stdout, /spawn\/pulse CPU \d/);
    assert.match(run.stdout, /specs: pulse \d[\d.]* CPU-s per heartbeat, playwright test per run \d[\d.]* s: \d[\d.]*x/);

    const markdown = readFileSync(out, 'utf8');
    assert.match(markdown, /^# pulse bench results\n/);
    assert.match(markdown, /Quick mode/);
    assert.equal(existsSync(RESULTS) ? statSync(RESULTS).mtimeMs : undefined, before, 'bench/RESULTS.md untouched');

    const machine = Object.fromEntries(tableAfter(markdown, '## Machine').map(([key, value]) => [String(key), value] as const));
    assert.match(machine['CPU'] ?? '', /\d+ cores/);
    assert.match(machine['Node.js'] ?? '', /^v\d+\./);
    assert.match(machine['Playwright'] ?? '', /^\d+\.\d+/);
    assert.match(machine['Chromium (`browser.version()`)'] ?? '', /\d+\.\d+\.\d+\.\d+/);

    const targets = tableAfter(markdown, '## Targets');
    // Per page: pulse against the floor, and pulse's own CPU reading against the measured one; then
    // spawn-per-run, lag, lag under a flood, /metrics, soak RSS, memory per slot, browser processes.
    assert.equal(targets.length, 11, 'one row per target');
    for (const page of ['checkout', 'catalog'])
      assert.ok(
        targets.some(([target]) => target?.includes(`\`${page}\``) && target.includes('the floor')),
        `the floor target on ${page}`,
      );
    for (const [target, , verdict] of targets) assert.match(verdict ?? '', /^\*\*(PASS|MISS|n\/a)\*\*$/, `a verdict for ${target}`);
    // Every section ran, so every target was measured.
    assert.ok(
      targets.every(([, measured]) => measured !== '–'),
      JSON.stringify(targets),
    );

    for (const heading of ['## 1. Cost per heartbeat: `checkout`', '## 1b. Cost per heartbeat: `catalog`']) {
      const cost = tableAfter(markdown, heading);
      const labels = cost.map((row) => row[0]);
      for (const variant of ['pulse runner', 'floor', 'spawn-per-run: `playwright test`']) {
        const row = cost.find((r) => r[0]?.includes(variant));
        assert.ok(row, `${heading}: a row for ${variant} in ${JSON.stringify(labels)}`);
        assert.ok(Number(row[1]) >= 1, `${heading}, ${variant}: successful runs`);
        for (const cell of row.slice(2, 6)) assert.match(cell, NUMBER, `${heading}, ${variant}: median and p95 figures`);
      }
    }
    // Daemon, each worker and each browser as RSS / PSS, at every capacity level.
    const slots = tableAfter(markdown, '## 2b. Memory per slot');
    assert.ok(slots.length >= 1, 'memory per slot measured');
    for (const row of slots)
      assert.ok(
        [row[1], row[3], row[4]].every((cell) => /MiB \/ [\d.]+ MiB$/.test(cell ?? '')),
        JSON.stringify(row),
      );
    // The block the docs quote, between its markers.
    assert.match(markdown, /<!-- figures from bench\/RESULTS.md[^]*CPU-s per heartbeat[^]*<!-- end of figures from bench\/RESULTS.md -->/);

    for (const heading of [
      '## 5. Full Chromium vs headless shell',
      '## 2. Capacity',
      '### At 80% of capacity',
      '### At 80% of capacity under a UI flood',
      '## 3. Scrape',
      '## 4. Soak',
    ]) {
      const rows = tableAfter(markdown, heading);
      assert.ok(rows.length >= 1, `rows under ${heading}`);
    }
    const soak = tableAfter(markdown, '## 4. Soak');
    // pulse RSS (all), daemon RSS, journey workers (count × RSS each), browser PSS, browser processes.
    assert.ok(
      soak.every(
        (row) =>
          /MiB$/.test(row[2] ?? '') &&
          /MiB$/.test(row[3] ?? '') &&
          /^\d+ × [\d.]+ MiB$/.test(row[4] ?? '') &&
          /MiB$/.test(row[5] ?? '') &&
          NUMBER.test(row[6] ?? ''),
      ),
      JSON.stringify(soak),
    );
    // The example suite under pulse against `playwright test` per run: one round of its ten tests and projects.
    const suite = Object.fromEntries(
      tableAfter(markdown, '## 6. A Playwright Test suite: pulse against `playwright test` per run').map(([what, ...cells]) => [String(what), cells] as const),
    );
    const [pulseCpu, spawnCpu, ratio] = suite['CPU-s per heartbeat'] ?? [];
    assert.match(pulseCpu ?? '', NUMBER, JSON.stringify(suite));
    assert.match(spawnCpu ?? '', NUMBER);
    assert.match(ratio ?? '', /^\d+(\.\d+)?x$/);
    assert.deepEqual(suite['successful runs']?.slice(0, 2), ['10', '10'], 'every test and project ran on both sides');
    // pulse keeps the setup project's sign-in; `playwright test` runs the setup project before each signed-in test.
    assert.deepEqual(suite['of them signed in (the setup project ran)']?.slice(0, 2), ['1', '2']);
    assert.match(markdown, /\n## Findings\n/);
  },
);
