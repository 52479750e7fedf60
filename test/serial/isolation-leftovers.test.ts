// Journeys that leave something in their worker (memory kept or over the cap, a timer, replaced
// built-ins) beside an innocent canary and a journey that only makes garbage, all forced through
// one worker slot (concurrency 1) of a real daemon: what a run leaves is charged to that run, by
// name, its worker is replaced before it takes another run, and the innocent, whatever ran before
// them, are never blamed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { DaemonProcess, type LogLine } from '../support/daemon-process.ts';
import { parseSamples, sample } from '../support/prom-text.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const FIXTURES = 'test/fixtures/isolation/leftovers';
/**
 * Each hostile journey runs once a minute, 12 s apart, the canary every 3 s between them: a worker
 * replaced after each hostile run takes seconds on a busy machine, and the one slot is shared.
 */
const WINDOW_MS = 65_000;

interface Row {
  journey: string;
  /** How its leftover is charged: in the result of the run that left it, or (it struck after that run ended) in a log line. */
  charged: 'result' | 'log';
  /** What the charge says, every part of it. */
  error: RegExp[];
  /** The counter's kind; absent when the check that caught it may be the memory sampler during the run. */
  kind?: 'memory' | 'handles' | 'globals' | 'fault';
  workerEnded: 'memory' | 'leftover' | 'fault';
}

const TABLE: Row[] = [
  { journey: 'keeps-memory', charged: 'result', kind: 'memory', workerEnded: 'memory', error: [/it kept \d+ MiB after its run ended .* 256 MiB cap/] },
  // Caught at the run's end by the worker's own peak, or during the run by a memory sample: either way the burst's own run.
  {
    journey: 'allocates-burst',
    charged: 'result',
    workerEnded: 'memory',
    error: [/(went up to \d+ MiB resident during the run, over its cap of 256 MiB|ran out of memory .*its cap is 256 MiB)/],
  },
  { journey: 'leaves-timer', charged: 'result', kind: 'handles', workerEnded: 'leftover', error: [/it left 1 Timeout running after its run ended/] },
  {
    journey: 'replaces-builtins',
    charged: 'result',
    kind: 'globals',
    // Changing what pulse shares with later runs is a fault of the journey's code, as replacing Date.now always was.
    workerEnded: 'fault',
    error: [
      /RegExp\.prototype\.exec \(replaced\)/,
      /Map\.prototype\.get \(replaced\)/,
      /Buffer\.from \(replaced\)/,
      /Error\.stackTraceLimit \(was 10, now 0\)/,
    ],
  },
  { journey: 'leaves-hidden-timer', charged: 'log', kind: 'fault', workerEnded: 'leftover', error: [/thrown from a hidden timer left behind/] },
  // What it changes at its import, in the worker that imports it for its run.
  {
    journey: 'patches-at-import',
    charged: 'result',
    kind: 'globals',
    workerEnded: 'fault',
    error: [/Error\.stackTraceLimit \(was 10, now 20\)/, /globalThis\.importedAt \(added\)/],
  },
];

/** Journeys that leave nothing: the canary, and one that makes garbage its worker collects after it. */
const INNOCENT = ['canary', 'makes-garbage'];

const isRunEnd = (line: LogLine) => line.event === 'heartbeat' || line.event === 'journey_failed' || line.event === 'journey_error';

describe('leftovers: a worker hands nothing from one run to the next', () => {
  let shop: Shop;
  let pulse: DaemonProcess;
  const dataDir = makeTempDir();
  const runEnds = (journey: string) => pulse.lines.filter((line) => isRunEnd(line) && line.journey === journey);

  before(async () => {
    shop = await startShop();
  });
  after(async () => {
    await pulse?.stop();
    await shop.close();
    removeDir(dataDir);
  });

  test('one worker slot runs the canary and every hostile journey in turn', async () => {
    pulse = new DaemonProcess(['--journeys', FIXTURES, '--base-url', shop.url, '--data-dir', dataDir, '--location', 'left-1', '--concurrency', '1'], {
      PULSE_WORKER_MEMORY: '256MiB',
    });
    await pulse.started();
    const started = pulse.lines.find((line) => line.event === 'started')!;
    assert.deepEqual((started.journeys as string[]).sort(), [...INNOCENT, ...TABLE.map((row) => row.journey)].sort());
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    for (const row of TABLE) await pulse.waitFor(() => runEnds(row.journey).length >= 1, 60_000);
    assert.ok(runEnds('canary').length >= 5, `canary runs: ${runEnds('canary').length}`);
    // Forced into the same worker: some worker ran the canary and then a hostile journey.
    const attempts = pulse.lines.filter((line) => line.event === 'attempt_done');
    const hostile = new Set(TABLE.map((row) => row.journey));
    const shared = attempts.filter(
      (line, i) =>
        hostile.has(String(line.journey)) && attempts.slice(0, i).some((earlier) => earlier.journey === 'canary' && earlier.workerPid === line.workerPid),
    );
    assert.ok(shared.length >= 3, `hostile runs in a worker that had run the canary: ${shared.map((line) => String(line.journey)).join(', ')}`);
  });

  test('the canary is never blamed: every run of it beats, and no worker replacement names it', () => {
    const canary = runEnds('canary');
    assert.ok(canary.length > 0, 'the canary ran');
    assert.deepEqual(
      canary.filter((line) => line.event !== 'heartbeat'),
      [],
      'the canary never failed',
    );
    const hostile = new Set(TABLE.map((row) => row.journey));
    const blamed = pulse.lines.filter((line) => isRunEnd(line) && line.event !== 'heartbeat' && !hostile.has(String(line.journey)));
    assert.deepEqual(blamed, [], 'no run but a hostile one failed (the control journey included)');
    const replacedForCanary = pulse.lines.filter((line) => line.event === 'worker_replaced' && line.journey === 'canary');
    assert.deepEqual(replacedForCanary, [], 'no worker was replaced in the canary name');
    assert.deepEqual(
      pulse.lines.filter((line) => line.event === 'worker_leftover' && line.journey === 'canary'),
      [],
      'no leftover is charged to the canary',
    );
  });

  test('garbage is no leftover: every run of a journey that makes 24 MiB of it beats, and its worker takes the next run', () => {
    const runs = runEnds('makes-garbage');
    assert.ok(runs.length >= 1, `makes-garbage ran: ${runs.length}`);
    assert.deepEqual(
      runs.filter((line) => line.event !== 'heartbeat'),
      [],
      'every run of it beat',
    );
    const named = pulse.lines.filter((line) => (line.event === 'worker_replaced' || line.event === 'worker_leftover') && line.journey === 'makes-garbage');
    assert.deepEqual(named, [], 'no worker replaced or leftover in its name');
    const attempts = pulse.lines.filter((line) => line.event === 'attempt_done');
    const followed = runs.filter((run) => {
      const i = attempts.findIndex((line) => line.runId === run.runId);
      return i >= 0 && attempts.slice(i + 1).some((later) => later.workerPid === attempts[i]!.workerPid);
    });
    assert.ok(followed.length >= 1, 'a worker that ran it ran the next attempt too');
  });

  test('a file that changes built-ins at its import: told when the daemon loads it, under its journey, and the worker that loaded it takes no run', () => {
    const told = pulse.lines.filter((line) => line.event === 'worker_leftover' && line.journey === 'patches-at-import' && line.runId === undefined);
    assert.ok(told.length >= 1, 'a worker_leftover line at load');
    assert.match(String(told[0]!.err), /importing .*patches-at-import\.journey\.ts: .*Error\.stackTraceLimit \(was 10, now 20\)/);
    const replaced = pulse.lines.find((line) => line.event === 'worker_replaced' && line.journey === 'patches-at-import' && line.runId === undefined);
    assert.ok(replaced, 'the loading worker was replaced in its name');
    const ranAfter = pulse.lines.slice(pulse.lines.indexOf(replaced)).filter((line) => line.event === 'attempt_done' && line.workerPid === replaced.pid);
    assert.deepEqual(ranAfter, [], 'the worker that loaded it ran nothing');
  });

  for (const row of TABLE) {
    test(`${row.journey}: charged in its ${row.charged === 'result' ? 'own result' : 'log line and counter'}, its worker replaced (${row.workerEnded})`, async () => {
      const runs = runEnds(row.journey);
      assert.ok(runs.length >= 1, `${row.journey} ran: ${runs.length}`);
      const attempts = pulse.lines.filter((line) => line.event === 'attempt_done');
      if (row.charged === 'result') {
        for (const run of runs) {
          assert.equal(run.event, 'journey_failed', JSON.stringify(run));
          assert.equal(run.cause, 'journey', JSON.stringify(run));
          assert.equal(run.reason, 'script', JSON.stringify(run));
          for (const part of row.error) assert.match(String(run.error), part);
          const ended = pulse.lines.find((line) => line.event === 'worker_replaced' && line.runId === run.runId);
          assert.ok(ended, `a worker_replaced line for ${String(run.runId)}`);
          assert.equal(ended.reason, row.workerEnded);
          assert.equal(ended.journey, row.journey, 'the replacement names the journey that left it');
          const pid = attempts.find((line) => line.runId === run.runId)?.workerPid;
          assert.equal(ended.pid, pid, 'the worker that ran it is the one replaced');
          const later = pulse.lines
            .slice(pulse.lines.indexOf(ended))
            .filter((line) => line.event === 'attempt_done' && line.workerPid === pid && line.runId !== run.runId);
          assert.deepEqual(later, [], `worker ${String(pid)} ran nothing after ${row.journey}`);
        }
      } else {
        // Its runs pass; what it left strikes later, charged to it by name, and the worker it struck in is replaced.
        await pulse.waitFor((line) => line.event === 'worker_leftover' && line.journey === row.journey, 30_000);
        const struck = pulse.lines.filter((line) => line.event === 'worker_leftover' && line.journey === row.journey);
        for (const line of struck) {
          assert.equal(line.kind, row.kind);
          for (const part of row.error) assert.match(String(line.err), part);
          assert.ok(
            runs.some((run) => run.runId === line.runId),
            `it names the run that left it: ${String(line.runId)}`,
          );
          const ended = await pulse.waitFor((next) => next.event === 'worker_replaced' && next.runId === line.runId, 30_000);
          assert.equal(ended.reason, row.workerEnded);
          assert.equal(ended.journey, row.journey);
          // The run it struck in (if any) ends in it and stands; no run started after the replacement goes to it.
          const startedAfter = new Set(
            pulse.lines
              .slice(pulse.lines.indexOf(ended))
              .filter((next) => next.event === 'run_started')
              .map((next) => next.runId),
          );
          const later = pulse.lines.filter((next) => next.event === 'attempt_done' && next.workerPid === ended.pid && startedAfter.has(next.runId));
          assert.deepEqual(later, [], `worker ${String(ended.pid)} ran nothing after it was replaced`);
        }
      }
      if (row.kind && row.charged === 'result') {
        const logged = pulse.lines.filter((line) => line.event === 'worker_leftover' && line.journey === row.journey && line.kind === row.kind);
        assert.ok(logged.length >= runs.length, `a worker_leftover line (${row.kind}) for every run of ${row.journey}`);
      }
    });
  }

  test('pulse_worker_leftovers_total counts each leftover under the journey that left it, none under the canary', async () => {
    const counted = (text: string) =>
      TABLE.every((row) => !row.kind || (sample(parseSamples(text), 'pulse_worker_leftovers_total', { journey: row.journey, kind: row.kind }) ?? 0) >= 1);
    const samples = parseSamples(await pulse.metricsWhen(counted));
    for (const row of TABLE) {
      if (!row.kind) continue;
      const count = sample(samples, 'pulse_worker_leftovers_total', { journey: row.journey, kind: row.kind }) ?? 0;
      assert.ok(count >= 1, `pulse_worker_leftovers_total{journey="${row.journey}",kind="${row.kind}"} = ${count}`);
    }
    for (const kind of ['memory', 'handles', 'globals', 'fault']) assert.equal(sample(samples, 'pulse_worker_leftovers_total', { journey: 'canary', kind }), 0);
    assert.equal(sample(samples, 'pulse_journey_up', { journey: 'canary' }), 1);
    assert.equal(sample(samples, 'pulse_journey_runs_total', { journey: 'canary', result: 'failure' }), 0);
    assert.equal(sample(samples, 'pulse_journey_runs_total', { journey: 'canary', result: 'error' }), 0);
  });

  test('SIGTERM stops it cleanly', async () => {
    assert.equal(await pulse.stop(), 0);
    assert.equal(pulse.stderr, '', 'nothing on stderr');
  });
});
