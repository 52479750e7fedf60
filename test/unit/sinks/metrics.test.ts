import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { MAX_STEP_LABELS, MetricsSink, OTHER_STEP } from '../../../src/sinks/metrics.ts';
import { parseSamples, sample } from '../../support/prom-text.ts';
import { runResult } from '../../support/run-result.ts';

type Journey = Parameters<MetricsSink['registerJourneys']>[0][number];

/** A metrics sink on a registry of its own, without process metrics. */
function metrics() {
  const registry = new Registry();
  let changes = 0;
  const sink = new MetricsSink({ registry, location: 'unit-1', defaultMetrics: false, onChange: () => void changes++ });
  return { sink, read: async () => parseSamples(await registry.metrics()), changes: () => changes };
}

test('registered journeys: interval published, counters start at 0 for every result and skip reason', async () => {
  const { sink, read } = metrics();
  sink.registerJourneys([{ name: 'checkout', schedule: '*/5 * * * *', timezone: 'UTC' } as Journey]);
  const samples = await read();
  assert.equal(sample(samples, 'pulse_journey_interval_seconds', { journey: 'checkout' }), 300);
  for (const result of ['success', 'failure', 'error']) assert.equal(sample(samples, 'pulse_journey_runs_total', { journey: 'checkout', result }), 0, result);
  for (const reason of ['overlap', 'saturated', 'shutdown', 'missed', 'paused']) assert.equal(sample(samples, 'pulse_runs_skipped_total', { journey: 'checkout', reason }), 0, reason);
  assert.equal(sample(samples, 'pulse_shard_journeys', { shard: '1/1' }), 1);
});

test('a success beats: heartbeat, up, last success time, run and step durations in seconds', async () => {
  const { sink, read, changes } = metrics();
  sink.onResult(runResult());
  const samples = await read();
  const labels = { journey: 'checkout', location: 'unit-1' };
  assert.equal(sample(samples, 'pulse_heartbeats_total', labels), 1);
  assert.equal(sample(samples, 'pulse_journey_runs_total', { ...labels, result: 'success' }), 1);
  assert.equal(sample(samples, 'pulse_journey_up', labels), 1);
  assert.equal(sample(samples, 'pulse_journey_last_success_timestamp_seconds', labels), Date.parse('2026-01-01T00:00:00.000Z') / 1000 + 0.461);
  assert.equal(sample(samples, 'pulse_journey_duration_seconds_sum', labels), 0.461);
  assert.equal(sample(samples, 'pulse_step_duration_seconds_count', { ...labels, step: 'add to cart' }), 1);
  assert.equal(sample(samples, 'pulse_journey_failures_total', labels), undefined, 'no failure series for a success');
  assert.ok(changes() >= 1, 'the exposition is told of the change');
});

test('a failure counts step, reason and cause, and sets up 0 and the last cause', async () => {
  const { sink, read } = metrics();
  sink.onResult(runResult({ status: 'failure', error: { message: 'x', step: 'add to cart', reason: 'http' }, cause: 'third_party' }));
  const samples = await read();
  const labels = { journey: 'checkout', location: 'unit-1' };
  assert.equal(sample(samples, 'pulse_journey_failures_total', { ...labels, step: 'add to cart', reason: 'http', cause: 'third_party' }), 1);
  assert.equal(sample(samples, 'pulse_journey_up', labels), 0);
  assert.equal(sample(samples, 'pulse_journey_last_run_cause', { ...labels, cause: 'third_party' }), 1);
  assert.equal(sample(samples, 'pulse_journey_last_run_cause', { ...labels, cause: 'target' }), 0);
  assert.equal(sample(samples, 'pulse_heartbeats_total', labels), undefined);
});

test('an error is the prober\'s: no failure counted, last cause prober', async () => {
  const { sink, read } = metrics();
  sink.onResult(runResult({ status: 'error', steps: [], error: { message: 'browser gone' } }));
  const samples = await read();
  assert.equal(sample(samples, 'pulse_journey_runs_total', { journey: 'checkout', result: 'error' }), 1);
  assert.equal(sample(samples, 'pulse_journey_last_run_cause', { journey: 'checkout', cause: 'prober' }), 1);
  assert.equal(sample(samples, 'pulse_journey_failures_total'), undefined);
});

test('step labels stay bounded: past the limit, new step names count as other', async () => {
  const { sink, read } = metrics();
  const steps = Array.from({ length: MAX_STEP_LABELS + 5 }, (_, i) => ({ name: `step ${i}`, status: 'passed' as const, durationMs: 1 }));
  sink.onResult(runResult({ steps }));
  const samples = await read();
  const stepLabels = new Set([...samples.keys()].filter((key) => key.startsWith('pulse_step_duration_seconds_count')).map((key) => /step="([^"]*)"/.exec(key)?.[1]));
  assert.equal(stepLabels.size, MAX_STEP_LABELS + 1);
  assert.ok(stepLabels.has(OTHER_STEP));
  assert.equal(sample(samples, 'pulse_step_duration_seconds_count', { step: OTHER_STEP }), 5);
});

test('skips, lag and prober health', async () => {
  const { sink, read } = metrics();
  sink.skip('checkout', 'overlap');
  sink.observeLag(-1);
  sink.setProberHealth(false, { control: false, store: true });
  const samples = await read();
  assert.equal(sample(samples, 'pulse_runs_skipped_total', { journey: 'checkout', reason: 'overlap' }), 1);
  assert.equal(sample(samples, 'pulse_schedule_lag_seconds_sum'), 0, 'a negative lag counts as 0');
  assert.equal(sample(samples, 'pulse_prober_up', { location: 'unit-1' }), 0);
  assert.equal(sample(samples, 'pulse_prober_check_up', { check: 'control' }), 0);
  assert.equal(sample(samples, 'pulse_prober_check_up', { check: 'store' }), 1);
});
