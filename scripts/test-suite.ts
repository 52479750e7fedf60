// `npm test` after the type check and the lint: the test folders in phases, each one node --test run.
// The end-to-end files share the machine (each has its own ports, folders and processes); the
// files in test/serial time what they see (a canary on schedule, /healthz within a second, a
// pause ending on time) and the slow ones load the machine on purpose (the bench's quick run, the
// production build), so those run one at a time, alone. Every phase runs even after one fails, so
// one run shows every failure; the exit code is the first failing phase's.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
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
  { id: 'serial', name: 'serial and slow', folders: ['test/serial', 'test/slow'], concurrency: 1 },
];

/** The *.test.ts files of a folder and, for test/unit, of its subfolders. */
function testFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .sort()
    .map((file) => path.join(folder, file));
}

const only = process.argv.slice(2);
const unknown = only.filter((id) => !PHASES.some((phase) => phase.id === id));
if (unknown.length > 0) {
  // A misspelled phase would otherwise run nothing and pass.
  console.error(`npm test: no phase named ${unknown.map((id) => `'${id}'`).join(', ')}; fix: name one of ${PHASES.map((phase) => phase.id).join(', ')}`);
  process.exit(2);
}
let status = 0;
const summary: string[] = [];
for (const phase of PHASES) {
  if (only.length > 0 && !only.includes(phase.id)) continue;
  const files = phase.folders.flatMap(testFiles);
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${phase.concurrency}`, ...files], { stdio: 'inherit' });
  const code = run.status ?? 1;
  const seconds = Math.round((performance.now() - started) / 1000);
  summary.push(`${phase.name}: ${files.length} files, ${phase.concurrency} at a time, ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${seconds} s`);
  if (code !== 0 && status === 0) status = code;
}
for (const line of summary) console.log(`npm test: ${line}`);
process.exit(status);
