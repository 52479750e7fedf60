import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { allEnded, stillRunning, type ProcStat } from '../../../src/process-tree.ts';

const stat = (pid: number, fields: Partial<ProcStat>): ProcStat => ({
  pid,
  ppid: 1,
  pgrp: pid,
  session: pid,
  state: 'S',
  utime: 0,
  stime: 0,
  cutime: 0,
  cstime: 0,
  starttime: 0,
  rssPages: 0,
  ...fields,
});

test("stillRunning: the leader's group and session, not yet ended; zombies and other groups are not", () => {
  const stats = [
    stat(100, {}),
    stat(101, { pgrp: 100, session: 100, state: 'D' }),
    stat(102, { pgrp: 102, session: 100, state: 'R' }),
    stat(103, { pgrp: 100, session: 100, state: 'Z' }),
    stat(104, { pgrp: 104, session: 104 }),
  ];
  assert.deepEqual(
    stillRunning(100, stats).map((s) => s.pid),
    [100, 101, 102],
  );
  assert.deepEqual(stillRunning(105, stats), []);
});

test('allEnded: true once a killed group has gone, false while it runs', async (t) => {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Gone already.
    }
  });
  await new Promise((resolve) => child.once('spawn', resolve));
  assert.equal(await allEnded(child.pid!, 100), false, 'still running after 100 ms');
  process.kill(-child.pid!, 'SIGKILL');
  assert.equal(await allEnded(child.pid!, 2_000), true, 'gone, or a zombie waiting to be reaped');
});
