import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../../src/logger.ts';
import { HeartbeatLogSink } from '../../../src/sinks/heartbeat-log.ts';
import { runResult } from '../../support/run-result.ts';

/** A heartbeat log sink writing through pino into memory; the lines read back as JSON. */
function sink(publicUrl?: string) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'info',
    format: 'json',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { lines, sink: new HeartbeatLogSink({ log, ...(publicUrl ? { publicUrl } : {}) }) };
}

test("a success is one info heartbeat line bound to journey and runId, with each step's rounded duration", () => {
  const { lines, sink: heartbeat } = sink();
  heartbeat.onResult(runResult({ traceId: 'a'.repeat(32) }));
  assert.equal(lines.length, 1);
  const [line] = lines;
  assert.equal(line!.level, 'info');
  assert.equal(line!.event, 'heartbeat');
  assert.equal(line!.journey, 'checkout');
  assert.equal(line!.runId, '20260101T000000Z-abcdef');
  assert.equal(line!.traceId, 'a'.repeat(32));
  assert.equal(line!.durationMs, 461);
  assert.deepEqual(line!.steps, [
    { name: 'open home', durationMs: 120 },
    { name: 'add to cart', durationMs: 341 },
  ]);
  assert.equal(line!.msg, 'heartbeat checkout in 461 ms');
});

test('a degraded success is still the heartbeat, and says which threshold it broke', () => {
  const { lines, sink: heartbeat } = sink();
  heartbeat.onResult(runResult({ degraded: [{ step: 'add to cart', metric: 'duration', limit: 200, actual: 341 }] as never }));
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.event, 'heartbeat');
  assert.equal((lines[0]!.degraded as unknown[]).length, 1);
  assert.match(String(lines[0]!.msg), /, degraded: /);
});

test('a failure is a warn journey_failed line with step, reason, cause, error and links under the public URL', () => {
  const { lines, sink: heartbeat } = sink('https://pulse.example.com');
  heartbeat.onResult(
    runResult({
      status: 'failure',
      steps: [
        { name: 'open home', status: 'passed', durationMs: 100 },
        { name: 'add to cart', status: 'failed', durationMs: 2_000 },
      ],
      error: { message: 'expect failed', step: 'add to cart', reason: 'assertion' },
      cause: 'target',
      artifacts: { screenshot: 'checkout/run 1/shot.png' },
    }),
  );
  assert.equal(lines.length, 1);
  const [line] = lines;
  assert.equal(line!.level, 'warn');
  assert.equal(line!.event, 'journey_failed');
  assert.equal(line!.step, 'add to cart');
  assert.equal(line!.reason, 'assertion');
  assert.equal(line!.cause, 'target');
  assert.equal(line!.error, 'expect failed');
  assert.equal(line!.runUrl, 'https://pulse.example.com/runs/20260101T000000Z-abcdef');
  assert.deepEqual(line!.artifacts, { screenshot: 'https://pulse.example.com/artifacts/checkout/run%201/shot.png' });
  assert.equal(line!.msg, "journey checkout failed at step 'add to cart' (assertion, cause target)");
});

test('an error (pulse could not run it) is an error journey_error line with relative links', () => {
  const { lines, sink: heartbeat } = sink();
  heartbeat.onResult(runResult({ status: 'error', steps: [], error: { message: 'browser gone' }, cause: 'prober' }));
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'error');
  assert.equal(lines[0]!.event, 'journey_error');
  assert.equal(lines[0]!.runUrl, '/runs/20260101T000000Z-abcdef');
  assert.equal(lines[0]!.msg, 'journey checkout could not be run');
});
