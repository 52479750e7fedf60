// Bad journeys beside a healthy canary in one real daemon: whatever a journey's code does, the
// daemon stays up and answers, the canary keeps beating, and the bad run is recorded as what it was.
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { DaemonProcess, type LogLine } from '../support/daemon-process.ts';
import { parseSamples, sample } from '../support/prom-text.ts';
import { journeyDir } from '../support/journey-files.ts';
import { removeDir, tempDir } from '../support/temp.ts';

const FIXTURES = 'test/fixtures/isolation';

/** The journeys of the folder itself; those in leftovers/ beside them share one worker in a daemon of their own (isolation-leftovers.test.ts). */
function folderJourneys(): string {
  const dir = journeyDir('isolation');
  for (const file of readdirSync(FIXTURES)) if (file.endsWith('.journey.ts')) copyFileSync(path.join(FIXTURES, file), path.join(dir, file));
  return dir;
}
/**
 * Every bad journey runs at least twice in this window (each every 15 s), the canary every 4 s: a
 * run of it (with web vitals and the traffic marker) was seen past 3 s on two cores shared with
 * eleven hostile journeys, each ending its worker and so making pulse start a worker and a browser
 * anew; 4 s leaves room without hiding a blinded daemon (which would miss every beat).
 */
const CANARY_EVERY_MS = 4_000;
const WINDOW_MS = 36_000;

interface Row {
  journey: string;
  status: 'failure' | 'error';
  reason: string | undefined;
  step: string | undefined;
  error: RegExp;
  /** Whose fault: the journey's own code for every fault it makes; pulse's side for a crashed renderer. */
  cause: 'journey' | 'prober';
  /** Why its worker was ended, when the fault leaves the worker unfit for another run. */
  workerEnded?: string;
}

const TABLE: Row[] = [
  {
    journey: 'sync-loop',
    status: 'failure',
    reason: 'script',
    step: 'spin',
    cause: 'journey',
    error: /past the run budget of 3000 ms \(a synchronous loop or a blocking call\?\); pulse ended the worker/,
    workerEnded: 'budget',
  },
  {
    journey: 'exits',
    status: 'failure',
    reason: 'script',
    step: 'exit',
    cause: 'journey',
    error: /the journey called process\.exit\(3\)/,
    workerEnded: 'fault',
  },
  {
    journey: 'throws-in-timer',
    status: 'failure',
    reason: 'script',
    step: 'schedule a throw',
    cause: 'journey',
    error: /threw outside any awaited step: Error: thrown from a timer \(at .*throws-in-timer\.journey\.ts:7\)/,
    workerEnded: 'fault',
  },
  {
    journey: 'rejects',
    status: 'failure',
    reason: 'script',
    step: 'forget an await',
    cause: 'journey',
    error: /rejected with nobody awaiting it: Error: nobody awaits me/,
    workerEnded: 'fault',
  },
  {
    journey: 'leaks-memory',
    status: 'failure',
    reason: 'script',
    step: 'hoard',
    cause: 'journey',
    error: /ran out of memory .*its cap is 256 MiB \(PULSE_WORKER_MEMORY\)/,
    workerEnded: 'memory',
  },
  { journey: 'replaces-globals', status: 'failure', reason: 'script', step: undefined, cause: 'journey', error: /replaced .*Date\.now/, workerEnded: 'fault' },
  {
    journey: 'closes-browser',
    status: 'failure',
    reason: 'script',
    step: 'close the browser',
    cause: 'journey',
    error: /the journey called browser\.close\(\)/,
    workerEnded: 'fault',
  },
  { journey: 'crashes-renderer', status: 'error', reason: 'crash', step: 'read the title', cause: 'prober', error: /renderer crashed/, workerEnded: 'error' },
  // Its step timer could not fire, but a step that ended after its step budget failed all the same.
  { journey: 'overruns-step-budget', status: 'failure', reason: 'timeout', step: 'block', cause: 'journey', error: /step timeout of 1000 ms exceeded/ },
  // params are a frozen copy per run: the assignment throws in the journey's own step and reaches nobody else.
  { journey: 'mutates-params', status: 'failure', reason: 'script', step: 'retarget', cause: 'journey', error: /read only property 'baseUrl'/ },
];

const isRunEnd = (line: LogLine) => line.event === 'heartbeat' || line.event === 'journey_failed' || line.event === 'journey_error';

describe('isolation: journey code cannot blind the daemon or falsify another journey', () => {
  let shop: Shop;
  let pulse: DaemonProcess;
  const journeys = folderJourneys();
  const probes: { ms: number; ok: boolean }[] = [];
  let windowStart = 0;

  before(async () => {
    shop = await startShop();
  });
  after(async () => {
    await pulse?.stop();
    await shop.close();
    removeDir(journeys);
  });

  test('the daemon starts on time although one journey file never finishes loading', async (t) => {
    const started = performance.now();
    // A slot for every journey and the control journey: the canary must never wait behind the bad
    // ones for a slot (that is saturation, not what a journey's code does to its neighbours).
    pulse = new DaemonProcess(['--journeys', journeys, '--base-url', shop.url, '--data-dir', tempDir(t), '--location', 'iso-1', '--concurrency', '12'], {
      PULSE_LOAD_TIMEOUT: '2s',
      PULSE_WORKER_MEMORY: '256MiB',
    });
    // Twelve workers, each starting its browser, on two cores: about 20 s, more on a busy machine; a
    // start that waited on the file that never loads would take forever, not 60 s.
    await pulse.waitFor((line) => line.event === 'started', 60_000);
    assert.ok(performance.now() - started < 60_000, 'started within 60 s');
    const invalid = pulse.lines.find((line) => line.event === 'journey_invalid');
    assert.match(String(invalid?.problem), /hangs-at-import\.journey\.ts: did not finish loading within 2000 ms/);
    const started_ = pulse.lines.find((line) => line.event === 'started')!;
    assert.deepEqual((started_.journeys as string[]).sort(), ['canary', ...TABLE.map((row) => row.journey)].sort());
  });

  test('through every fault, /healthz answers within a second on every probe and the canary beats on schedule', async () => {
    windowStart = pulse.lines.length;
    const end = performance.now() + WINDOW_MS;
    while (performance.now() < end) {
      const t0 = performance.now();
      const ok = await fetch(`${pulse.url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
        (response) => response.ok,
        () => false,
      );
      probes.push({ ms: performance.now() - t0, ok });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(probes.length > 50, `${probes.length} probes`);
    const slow = probes.filter((p) => !p.ok || p.ms >= 1_000);
    assert.deepEqual(slow, [], 'every probe answered within 1 s');

    const window = pulse.lines.slice(windowStart);
    const canary = window.filter((line) => isRunEnd(line) && line.journey === 'canary');
    assert.deepEqual(
      canary.filter((line) => line.event !== 'heartbeat'),
      [],
      'the canary never failed',
    );
    // A tick that finds the canary's previous run still going is skipped as overlap: on two cores
    // where eight workers and their browsers start anew every 15 s, a run of it was seen to take
    // 3.6 s from its tick to its end here, and past its 4 s on a slower machine. That is the
    // machine's saturation: the tick was heard and its run was the one still going. A daemon
    // blinded by journey code would instead miss the tick (its timer could not fire: no line, or
    // a skip as missed) or find no slot for it, and fail both checks below.
    const skips = window.filter((line) => line.event === 'run_skipped' && line.journey === 'canary');
    const overlaps = skips.filter((line) => line.reason === 'overlap').length;
    // A tick every 4 s: each one beat or found the canary's run still going; allow the first and last of the window and one late start.
    assert.ok(canary.length + overlaps >= WINDOW_MS / CANARY_EVERY_MS - 3, `canary heartbeats: ${canary.length}, ticks skipped as overlap: ${overlaps}`);
    assert.deepEqual(
      skips.filter((line) => line.reason !== 'overlap'),
      [],
      'no canary run was skipped but for its own previous run still going',
    );
    assert.equal(pulse.child.exitCode, null, 'the daemon is alive');
    assert.equal(pulse.stderr, '', 'nothing but JSON lines on stdout and nothing on stderr');
  });

  const runEnds = (journey: string) => pulse.lines.filter((line) => isRunEnd(line) && line.journey === journey);

  for (const row of TABLE) {
    test(`${row.journey}: ${row.status}${row.reason ? `/${row.reason}` : ''} in step ${row.step ?? '(none)'}, attributed to it${row.workerEnded ? `, next run in a fresh worker (${row.workerEnded})` : ''}`, async () => {
      // A run that started late in the window may still be going: wait for the second to end.
      await pulse.waitFor(() => runEnds(row.journey).length >= 2, 30_000);
      const runs = runEnds(row.journey);
      assert.ok(runs.length >= 2, `${row.journey} ran at least twice: ${runs.length}`);
      for (const run of runs) {
        assert.equal(run.event, row.status === 'failure' ? 'journey_failed' : 'journey_error', JSON.stringify(run));
        assert.equal(run.reason, row.reason, JSON.stringify(run));
        assert.equal(run.step, row.step, JSON.stringify(run));
        assert.equal(run.cause, row.cause, JSON.stringify(run));
        assert.match(String(run.error), row.error);
      }
      const replaced = (run: LogLine) => pulse.lines.find((line) => line.event === 'worker_replaced' && line.runId === run.runId);
      if (!row.workerEnded) {
        // A fault that leaves the worker fit keeps it: no run of this journey replaced one.
        assert.deepEqual(
          runs.filter(replaced).map((run) => run.runId),
          [],
          `${row.journey} ended no worker`,
        );
        return;
      }
      const attempts = pulse.lines.filter((line) => line.event === 'attempt_done');
      for (const run of runs) {
        const attempt = attempts.find((line) => line.runId === run.runId);
        const ended = replaced(run);
        assert.ok(ended, `a worker_replaced line for ${run.runId}`);
        assert.equal(ended.reason, row.workerEnded);
        assert.equal(ended.journey, row.journey, 'the replacement names the journey to blame');
        const pid = ended.pid;
        assert.equal(attempt?.workerPid, pid, 'the worker that ran the bad attempt is the one replaced');
        const replacedAt = pulse.lines.indexOf(ended);
        const later = pulse.lines.slice(replacedAt).filter((line) => line.event === 'attempt_done' && line.workerPid === pid && line.runId !== run.runId);
        assert.deepEqual(later, [], `worker ${String(pid)} ran nothing after ${row.journey}`);
      }
    });
  }

  test('the metrics count the replaced workers by reason, and the canary is up', async () => {
    const samples = parseSamples(await pulse.metrics());
    for (const reason of ['budget', 'fault', 'memory', 'error']) {
      assert.ok((sample(samples, 'pulse_worker_restarts_total', { reason }) ?? 0) >= 1, `pulse_worker_restarts_total{reason="${reason}"}`);
    }
    assert.equal(sample(samples, 'pulse_journey_up', { journey: 'canary' }), 1);
    assert.equal(sample(samples, 'pulse_journey_runs_total', { journey: 'canary', result: 'failure' }), 0);
    assert.equal(sample(samples, 'pulse_journey_runs_total', { journey: 'canary', result: 'error' }), 0);
    const syncLoop = sample(samples, 'pulse_journey_failures_total', { journey: 'sync-loop', step: 'spin', reason: 'script' }) ?? 0;
    assert.ok(syncLoop >= 2, `sync-loop failures counted by step and reason: ${syncLoop}`);
  });

  test('SIGTERM still stops it cleanly, workers and browser included', async () => {
    const code = await pulse.stop();
    assert.equal(code, 0);
  });
});
