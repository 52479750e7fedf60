import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failedAttempt, whoseFault, type Ending } from '../../../src/attempt-ending.ts';
import type { AttemptResult } from '../../../src/result.ts';
import { WORKER_END_REASONS, type WorkerEnding } from '../../../src/worker-protocol.ts';

const ended = (reason: WorkerEnding['reason'], during: WorkerEnding['during']): Ending => ({
  kind: 'worker-ended',
  worker: { reason, message: reason, during },
});

test("an ending is the journey's when its own code caused it, pulse's otherwise", () => {
  const table: [Ending, 'journey' | 'prober'][] = [
    [{ kind: 'not-loaded' }, 'journey'],
    [{ kind: 'left-behind' }, 'journey'],
    [{ kind: 'not-run' }, 'prober'],
    [{ kind: 'browser-lost' }, 'prober'],
    [{ kind: 'starved' }, 'prober'],
    // Over its budget or its memory, whatever phase noticed.
    [ended('budget', 'journey'), 'journey'],
    [ended('memory', 'pulse'), 'journey'],
    [ended('memory', 'journey'), 'journey'],
    // A fault or an exit only while the attempt's own code ran: a leftover of an earlier run, or an exit in pulse's set-up, is not its doing.
    [ended('fault', 'journey'), 'journey'],
    [ended('fault', 'pulse'), 'prober'],
    [ended('exit', 'journey'), 'journey'],
    [ended('exit', 'pulse'), 'prober'],
    [ended('stalled', 'pulse'), 'prober'],
    [ended('error', 'pulse'), 'prober'],
    [ended('browser', 'pulse'), 'prober'],
    // What a run left is its own; a leftover of an earlier run that struck in this attempt is not.
    [ended('leftover', 'journey'), 'journey'],
    [ended('leftover', 'pulse'), 'prober'],
  ];
  for (const [ending, fault] of table) assert.equal(whoseFault(ending), fault, JSON.stringify(ending));
  // Every reason a worker ends for has an answer.
  for (const reason of WORKER_END_REASONS) assert.match(whoseFault(ended(reason, 'journey')), /^(journey|prober)$/);
});

test("a failed attempt is a script failure of the journey, or pulse's error without a reason", () => {
  assert.deepEqual(failedAttempt({ kind: 'not-loaded' }, { message: 'did not load' }, { attempt: 2, durationMs: 5 }), {
    attempt: 2,
    status: 'failure',
    durationMs: 5,
    steps: [],
    error: { message: 'did not load', reason: 'script' },
    cause: 'journey',
    artifacts: {},
  });
  const steps = [{ name: 'open', status: 'failed' as const, durationMs: 3 }];
  assert.deepEqual(failedAttempt(ended('stalled', 'pulse'), { message: 'stalled', step: 'open' }, { attempt: 1, durationMs: 7, steps }), {
    attempt: 1,
    status: 'error',
    durationMs: 7,
    steps,
    error: { message: 'stalled', step: 'open' },
    cause: 'prober',
    artifacts: {},
  });
});

test('an ending that overrides a result keeps its evidence and replaces how it ended; a lost browser is a crash', () => {
  const failure: AttemptResult = {
    attempt: 1,
    status: 'failure',
    durationMs: 40,
    steps: [{ name: 'pay', status: 'failed', durationMs: 40 }],
    error: { message: 'net::ERR_CONNECTION_RESET', step: 'pay', reason: 'network' },
    cause: 'target',
    artifacts: { screenshot: 'j/r/attempt-1-screenshot.png' },
    observed: { requests: [], console: [] },
    usage: { cpuSeconds: 1, peakRssBytes: 2 },
  };
  const error = failedAttempt({ kind: 'browser-lost' }, { message: 'browser disconnected during the run: net::ERR_CONNECTION_RESET', step: 'pay' }, failure);
  assert.deepEqual(error, {
    ...failure,
    status: 'error',
    cause: 'prober',
    error: { message: 'browser disconnected during the run: net::ERR_CONNECTION_RESET', step: 'pay', reason: 'crash' },
  });
  const starved = failedAttempt({ kind: 'starved' }, { message: 'starved' }, failure);
  assert.deepEqual(starved.error, { message: 'starved' });
});
