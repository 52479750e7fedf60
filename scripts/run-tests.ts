// npm test's runner: every test file of test/slow, test/e2e and test/unit under Node's own test
// runner, two files at a time, the longest first. `node --test` sorts the files by path, which puts
// the slowest ones (the bench's quick run, the production build) last, alone in one lane while the
// other lane idles; started first, the short files fill the other lane around them.
//   node --import tsx scripts/run-tests.ts [--concurrency N] [folder...]   (the three folders unless given)
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Earliest first: the folders whose files take longest. */
const FOLDERS = ['test/slow', 'test/e2e', 'test/unit'];

function testFiles(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder).sort()) {
    const full = path.join(folder, entry);
    if (statSync(full).isDirectory()) found.push(...testFiles(full));
    else if (entry.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

const { values, positionals } = parseArgs({ options: { concurrency: { type: 'string', default: '2' } }, allowPositionals: true });
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  process.stderr.write(`run-tests: --concurrency must be a whole number of files, at least 1 (got '${values.concurrency}')\n`);
  process.exit(2);
}

const files = (positionals.length > 0 ? positionals : FOLDERS).flatMap((folder) => testFiles(path.resolve(ROOT, folder)));
const stream = run({ files, concurrency });
stream.on('test:fail', () => {
  process.exitCode = 1;
});
// As `node --test` reports: the spec reporter on a terminal, TAP where a machine reads it.
stream.compose(process.stdout.isTTY ? spec : tap).pipe(process.stdout);
