// The slot reader reads only a worker's tree and new pids after its first pass over /proc: what it
// finds must be what a whole pass finds, when processes join the tree later, and when the browser changes.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import { SlotReader, allStats, browserTree, slotReading, type SlotReading } from '../../../src/process-tree.ts';
import { descendants } from '../../support/processes.ts';

/** What one whole pass over /proc says of the slot: what the reader must agree with. */
function wholePass(workerPid: number, browserPid: number): SlotReading {
  const stats = allStats();
  return slotReading(
    stats.find((s) => s.pid === workerPid)!,
    browserTree(browserPid, stats).filter((s) => s.pid !== workerPid),
  );
}

/** A process that only waits; ended with the test. */
function started(t: TestContext, command: string, args: string[], detached = false): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore', detached });
  t.after(() => {
    if (detached && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    } else child.kill('SIGKILL');
  });
  assert.ok(child.pid);
  return child;
}

/** The long sleeps a "browser" shell has started. */
const helpers = (leader: number) => descendants(leader).filter((p) => p.cmdline.startsWith('sleep 6')).length;

/**
 * The reader's reading equals a whole pass's, read one right after the other: a process starting or
 * being reaped between the two changes the figures, so it is tried again a few times; a process the
 * reader missed never agrees.
 */
async function agrees(reader: SlotReader, workerPid: number, browserPid: number | undefined): Promise<SlotReading | undefined> {
  let seen: { reader: SlotReading | undefined; whole: SlotReading } | undefined;
  for (let tries = 0; tries < 20; tries += 1) {
    seen = { reader: reader.read(browserPid), whole: wholePass(workerPid, browserPid ?? workerPid) };
    if (JSON.stringify(seen.reader) === JSON.stringify(seen.whole)) return seen.reader;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(seen?.reader, seen?.whole);
  return seen?.reader;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a slot read again and again agrees with a whole pass, also for processes that join its browser later', async (t) => {
  const worker = started(t, 'sleep', ['60']);
  // A "browser": a session of its own, with one helper at once and a second one a moment later.
  const browser = started(t, 'sh', ['-c', 'sleep 60 & sleep 0.7; sleep 61 & wait'], true);
  await until(() => helpers(browser.pid!) === 1, 'the first helper');
  const reader = new SlotReader(worker.pid!);
  await agrees(reader, worker.pid!, browser.pid);
  // A stranger started after the first pass is read once and left outside.
  started(t, 'sleep', ['60']);
  await until(() => helpers(browser.pid!) === 2, 'the second helper');
  const later = await agrees(reader, worker.pid!, browser.pid);
  assert.ok(later && later.rssBytes > 0);
});

test('another browser is found whole, though its processes were outside the last one', async (t) => {
  const worker = started(t, 'sleep', ['60']);
  const first = started(t, 'sh', ['-c', 'sleep 60 & wait'], true);
  const second = started(t, 'sh', ['-c', 'sleep 60 & sleep 60 & wait'], true);
  await until(() => helpers(first.pid!) === 1 && helpers(second.pid!) === 2, 'both browsers');
  const reader = new SlotReader(worker.pid!);
  await agrees(reader, worker.pid!, first.pid);
  await agrees(reader, worker.pid!, second.pid);
  // No browser: the worker alone.
  await agrees(reader, worker.pid!, undefined);
});

test('a worker that is gone reads as nothing', async (t) => {
  const worker = started(t, 'sleep', ['60']);
  const reader = new SlotReader(worker.pid!);
  assert.ok(reader.read(undefined));
  worker.kill('SIGKILL');
  await new Promise((resolve) => worker.once('exit', resolve));
  assert.equal(reader.read(undefined), undefined);
});
