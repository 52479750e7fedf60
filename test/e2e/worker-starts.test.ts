// A worker that cannot be started at all: the attempts waiting for it end with the reason, in
// seconds, instead of waiting for ever; and the pool starts workers again once it can. A pool that
// closes while a worker starts ends that worker too.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { WorkerPool } from '../../src/runner/worker-pool.ts';
import { defaultOf } from '../../src/settings/table.ts';
import type { AttemptRequest } from '../../src/worker-protocol.ts';
import { listProcesses } from '../support/processes.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

test('replacements that cannot be forked end the waiting attempt with the reason after three tries; the pool recovers', { timeout: 120_000 }, async (t) => {
  const cwd = makeTempDir();
  t.after(() => removeDir(cwd));
  // No browser is needed to show this: one that cannot launch leaves the worker up, as it would in production.
  const pool = new WorkerPool({ size: 1, launch: { executablePath: '/nonexistent/chromium' }, memoryLimitBytes: defaultOf('workerMemoryBytes'), cwd });
  t.after(() => pool.close());
  await pool.warm();
  assert.equal(pool.size, 1);
  const [pid] = pool.pids;

  // The worker's folder goes away (as a volume unmounted would), then the worker dies: its replacements cannot be forked there.
  removeDir(cwd);
  process.kill(pid!, 'SIGKILL');
  while (existsSync(`/proc/${pid}`)) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 100));

  // The pool's retries wait on unref'd timers (they must not hold a stopping daemon up); the test holds the loop.
  const alive = setInterval(() => undefined, 100);
  t.after(() => clearInterval(alive));
  const started = performance.now();
  await assert.rejects(pool.attempt({ runId: 'r1', attempt: 1 } as AttemptRequest), (error: Error) =>
    /^no journey worker could be started \(3 tries in a row\): journey worker exited while starting \(could not be started: spawn .*ENOENT\)/.test(
      error.message,
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < 20, `told within seconds (each fork fails at once, a second apart), not after the 60 s start deadline: ${seconds.toFixed(1)} s`);

  mkdirSync(cwd);
  await pool.warm();
  assert.equal(pool.size, 1, 'a worker starts again once the folder is back');
});

test('closing the pool while a worker is still starting ends that worker before close() returns', { timeout: 60_000 }, async (t) => {
  const cwd = makeTempDir();
  t.after(() => removeDir(cwd));
  const pool = new WorkerPool({ size: 1, launch: { executablePath: '/nonexistent/chromium' }, memoryLimitBytes: defaultOf('workerMemoryBytes'), cwd });
  const warming = pool.warm();
  // Caught while it loads Playwright: forked, not yet in the pool.
  let pid: number | undefined;
  while (pid === undefined) {
    pid = ownWorkerPids()[0];
    if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(pool.size, 0, 'the worker is still starting');

  await pool.close();
  assert.ok(!ownWorkerPids().includes(pid), `worker ${pid} is gone once close() returns`);
  await warming;
  assert.equal(pool.size, 0);
  assert.deepEqual(ownWorkerPids(), [], 'no worker was started after the close');
});

/** Journey workers this process forked that have not ended (a zombie has no command line left). */
function ownWorkerPids(): number[] {
  return listProcesses()
    .filter((proc) => proc.ppid === process.pid && proc.cmdline.includes('pulse-worker.js'))
    .map((proc) => proc.pid);
}
