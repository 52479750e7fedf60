// `npm test` after the type check and the lint: the test folders in phases, each one node --test run.
// The end-to-end files share the machine (each has its own ports, folders and processes); the
// files in test/serial time what they see (a canary on schedule, /healthz within a second, a pause
// ending on time), so those run one at a time, alone. The bench's quick run (test/bench) is not a
// phase: `npm run test:bench` runs it, and CI after the suite. Every phase runs even after one fails, so one run shows
// every failure; the exit code is the first failing phase's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Phase {
  /** What `npm test -- <id>...` names to run only some phases. */
  id: string;
  name: string;
  folders: string[];
  /** Files of the phase run at once. */
  concurrency: number;
}

const PHASES: readonly Phase[] = [
  { id: 'unit', name: 'unit', folders: ['test/unit'], concurrency: 2 },
  { id: 'e2e', name: 'end to end', folders: ['test/e2e'], concurrency: 3 },
  { id: 'serial', name: 'serial', folders: ['test/serial'], concurrency: 1 },
];

/**
 * The files of the phase that take longest (one to two minutes each, three at a time on 2 cores),
 * started first: started last, one of them would run on alone while the cores idle.
 */
const LONGEST_FIRST = [
  'e2e/once',
  'e2e/daemon',
  'e2e/playwright-config',
  'e2e/shop-suite-playwright',
  'e2e/store-degraded',
  'e2e/spec-journeys',
  'e2e/trace-viewer',
  'e2e/data-safety',
  'e2e/web-ui',
].map((name) => `test/${name}.test.ts`);

/** The *.test.ts files of some folders and their subfolders; the longest first, then by name. */
function testFiles(folders: readonly string[]): string[] {
  const rank = (file: string) => (LONGEST_FIRST.includes(file) ? LONGEST_FIRST.indexOf(file) : LONGEST_FIRST.length);
  return folders
    .flatMap((folder) =>
      readdirSync(folder, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.test.ts'))
        .map((file) => path.join(folder, file)),
    )
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const only = process.argv.slice(2);
const unknown = only.filter((id) => !PHASES.some((phase) => phase.id === id));
if (unknown.length > 0) {
  // A misspelled phase would otherwise run nothing and pass.
  console.error(`npm test: no phase named ${unknown.map((id) => `'${id}'`).join(', ')}; fix: name one of ${PHASES.map((phase) => phase.id).join(', ')}`);
  process.exit(2);
}
/** How long each file took, written by a reporter beside the usual one (scripts/file-times.mjs). */
const FILE_TIMES = path.join(import.meta.dirname, 'file-times.mjs');
const SLOWEST_SHOWN = 6;

/** "12 s test/e2e/a.test.ts, ..." for the slowest files of a phase; empty when the reporter wrote nothing. */
function slowestFiles(file: string, count: number): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  return text
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([ms, name]) => name && Number.isFinite(Number(ms)))
    .sort(([a], [b]) => Number(b) - Number(a))
    .slice(0, count)
    .map(([ms, name]) => `${Math.round(Number(ms) / 1000)} s ${path.relative(process.cwd(), name!) || name}`)
    .join(', ');
}

const timesDir = mkdtempSync(path.join(os.tmpdir(), 'pulse-test-times-'));
let status = 0;
const summary: string[] = [];
for (const phase of PHASES) {
  if (only.length > 0 && !only.includes(phase.id)) continue;
  const files = testFiles(phase.folders);
  const started = performance.now();
  const times = path.join(timesDir, `${phase.id}.tsv`);
  const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${FILE_TIMES}`, `--test-reporter-destination=${times}`];
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${phase.concurrency}`, ...reporters, ...files], {
    stdio: 'inherit',
  });
  const code = run.status ?? 1;
  const seconds = Math.round((performance.now() - started) / 1000);
  summary.push(`${phase.name}: ${files.length} files, ${phase.concurrency} at a time, ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${seconds} s`);
  const slowest = slowestFiles(times, SLOWEST_SHOWN);
  if (slowest) summary.push(`  slowest: ${slowest}`);
  if (code !== 0 && status === 0) status = code;
}
rmSync(timesDir, { recursive: true, force: true });
for (const line of summary) console.log(`npm test: ${line}`);
process.exit(status);
