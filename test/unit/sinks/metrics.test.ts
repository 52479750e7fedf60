import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { ProberEvents, type ProberEvent } from '../../../src/events.ts';
import type { JourneyVersion } from '../../../src/journey.ts';
import { ALL_METRICS } from '../../../src/sinks/metric-definitions.ts';
import { ProberMetrics } from '../../../src/sinks/prober-metrics.ts';
import { renderPush } from '../../../src/sinks/pushgateway.ts';
import { MAX_STEP_LABELS, OTHER_STEP, RunMetrics } from '../../../src/sinks/run-metrics.ts';
import { SinkFanout, type Sink, type SinkStage } from '../../../src/sinks/sink.ts';
import { parseSamples, sample } from '../../support/prom-text.ts';
import { runResult } from '../../support/run-result.ts';

type Journey = Parameters<RunMetrics['registerJourneys']>[0][number];

/** Both metrics sinks on a registry of their own, as the daemon has them, without process metrics. */
function metrics() {
  const registry = new Registry();
  let changes = 0;
  const onChange = () => void changes++;
  const sink = new RunMetrics({ registry, location: 'unit-1', onChange });
  const prober = new ProberMetrics({ registry, location: 'unit-1', onChange });
  return { sink, prober, registry, read: async () => parseSamples(await registry.metrics()), changes: () => changes };
}

/** `# TYPE name type` and `# HELP name text` of an exposition, by name. */
function declared(text: string): Map<string, { type?: string; help?: string }> {
  const found = new Map<string, { type?: string; help?: string }>();
  for (const line of text.split('\n')) {
    const match = /^# (TYPE|HELP) (\S+) (.*)$/.exec(line);
    if (!match) continue;
    const entry = found.get(match[2]!) ?? {};
    if (match[1] === 'TYPE') entry.type = match[3];
    else entry.help = match[3];
    found.set(match[2]!, entry);
  }
  return found;
}

test('registered journeys: interval published, counters start at 0 for every result and skip reason', async () => {
  const { sink, prober, read } = metrics();
  const journeys = [{ name: 'checkout', schedule: '*/5 * * * *', timezone: 'UTC' } as Journey];
  sink.registerJourneys(journeys);
  prober.registerJourneys(journeys);
  const samples = await read();
  assert.equal(sample(samples, 'pulse_journey_interval_seconds', { journey: 'checkout' }), 300);
  for (const result of ['success', 'failure', 'error']) assert.equal(sample(samples, 'pulse_journey_runs_total', { journey: 'checkout', result }), 0, result);
  for (const reason of ['overlap', 'saturated', 'shutdown', 'missed', 'paused'])
    assert.equal(sample(samples, 'pulse_runs_skipped_total', { journey: 'checkout', reason }), 0, reason);
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

test("an error is the prober's: no failure counted, last cause prober", async () => {
  const { sink, read } = metrics();
  sink.onResult(runResult({ status: 'error', steps: [], error: { message: 'browser gone' } }));
  const samples = await read();
  assert.equal(sample(samples, 'pulse_journey_runs_total', { journey: 'checkout', result: 'error' }), 1);
  assert.equal(sample(samples, 'pulse_journey_last_run_cause', { journey: 'checkout', cause: 'prober' }), 1);
  assert.equal(sample(samples, 'pulse_journey_failures_total'), undefined);
});

test("what a journey costs: CPU of every run (failures too) adds up, the peak memory is the last run's; a run without a reading changes neither", async () => {
  const { sink, read } = metrics();
  sink.registerJourneys([{ name: 'checkout', schedule: '*/5 * * * *', timezone: 'UTC' } as Journey]);
  const labels = { journey: 'checkout', location: 'unit-1' };
  assert.equal(sample(await read(), 'pulse_journey_cpu_seconds_total', labels), 0, 'starts at 0');
  sink.onResult(runResult({ usage: { cpuSeconds: 1.25, peakRssBytes: 300_000_000 } }));
  sink.onResult(
    runResult({
      status: 'failure',
      error: { message: 'x', reason: 'assertion', step: 'add to cart' },
      cause: 'target',
      usage: { cpuSeconds: 0.5, peakRssBytes: 250_000_000 },
    }),
  );
  sink.onResult(runResult({ status: 'error', error: { message: 'no worker' }, cause: 'prober' }));
  const samples = await read();
  assert.equal(sample(samples, 'pulse_journey_cpu_seconds_total', labels), 1.75);
  assert.equal(sample(samples, 'pulse_journey_last_run_peak_memory_bytes', labels), 250_000_000);
});

test("near misses: the journey's budgets are published at registration; a passing step over 80% of its step timeout counts, one at 80% or in a failed run does not", async () => {
  const { sink, read } = metrics();
  sink.registerJourneys([{ name: 'checkout', schedule: '* * * * *', timezone: 'UTC', timeoutMs: 60_000, stepTimeoutMs: 400 } as Journey]);
  let samples = await read();
  assert.equal(sample(samples, 'pulse_journey_timeout_seconds', { journey: 'checkout' }), 60);
  assert.equal(sample(samples, 'pulse_journey_step_timeout_seconds', { journey: 'checkout' }), 0.4);
  const labels = { journey: 'checkout', location: 'unit-1' };
  sink.onResult(runResult()); // open home 120.4 ms (30%), add to cart 340.6 ms (85%)
  sink.onResult(
    runResult({
      steps: [
        { name: 'open home', status: 'passed', durationMs: 320 },
        { name: 'add to cart', status: 'passed', durationMs: 399 },
      ],
    }),
  );
  sink.onResult(
    runResult({
      status: 'failure',
      error: { message: 'x', step: 'add to cart', reason: 'timeout' },
      steps: [
        { name: 'open home', status: 'passed', durationMs: 390 },
        { name: 'add to cart', status: 'failed', durationMs: 400 },
      ],
    }),
  );
  samples = await read();
  assert.equal(
    sample(samples, 'pulse_step_near_misses_total', { ...labels, step: 'open home' }),
    0,
    'exactly 80% is no near miss, and a failed run counts in neither',
  );
  assert.equal(sample(samples, 'pulse_step_duration_seconds_count', { ...labels, step: 'open home' }), 2);
  assert.equal(sample(samples, 'pulse_step_near_misses_total', { ...labels, step: 'add to cart' }), 2);
  assert.equal(sample(samples, 'pulse_step_duration_seconds_count', { ...labels, step: 'add to cart' }), 2);
});

test('near misses of a journey not registered here are not guessed: no series', async () => {
  const { sink, read } = metrics();
  sink.onResult(runResult());
  const samples = await read();
  assert.equal(sample(samples, 'pulse_step_duration_seconds_count', { step: 'add to cart' }), 1);
  assert.equal([...samples.keys()].filter((key) => key.startsWith('pulse_step_near_misses_total')).length, 0);
});

test('step labels stay bounded: past the limit, new step names count as other', async () => {
  const { sink, read } = metrics();
  const steps = Array.from({ length: MAX_STEP_LABELS + 5 }, (_, i) => ({ name: `step ${i}`, status: 'passed' as const, durationMs: 1 }));
  sink.onResult(runResult({ steps }));
  const samples = await read();
  const stepLabels = new Set(
    [...samples.keys()].filter((key) => key.startsWith('pulse_step_duration_seconds_count')).map((key) => /step="([^"]*)"/.exec(key)?.[1]),
  );
  assert.equal(stepLabels.size, MAX_STEP_LABELS + 1);
  assert.ok(stepLabels.has(OTHER_STEP));
  assert.equal(sample(samples, 'pulse_step_duration_seconds_count', { step: OTHER_STEP }), 5);
});

test('skips, lag and prober health', async () => {
  const { prober, read } = metrics();
  prober.hear({ kind: 'skipped', journey: 'checkout', reason: 'overlap' });
  prober.hear({ kind: 'lag', seconds: -1 });
  prober.setProberHealth(false, { control: false, store: true });
  const samples = await read();
  assert.equal(sample(samples, 'pulse_runs_skipped_total', { journey: 'checkout', reason: 'overlap' }), 1);
  assert.equal(sample(samples, 'pulse_schedule_lag_seconds_sum'), 0, 'a negative lag counts as 0');
  assert.equal(sample(samples, 'pulse_prober_up', { location: 'unit-1' }), 0);
  assert.equal(sample(samples, 'pulse_prober_check_up', { check: 'control' }), 0);
  assert.equal(sample(samples, 'pulse_prober_check_up', { check: 'store' }), 1);
});

test('a degraded store: pulse_prober_up stays 1, the store check 0, pulse_store_degraded 1 for its reason and 0 for the rest', async () => {
  const { prober, read } = metrics();
  let samples = await read();
  assert.equal(sample(samples, 'pulse_store_degraded', { location: 'unit-1', reason: 'full' }), 0, 'every reason exported at 0 from the start');
  prober.setProberHealth(true, { control: true, store: false }, 'full');
  samples = await read();
  assert.equal(sample(samples, 'pulse_prober_up', { location: 'unit-1' }), 1);
  assert.equal(sample(samples, 'pulse_prober_check_up', { check: 'store' }), 0);
  assert.equal(sample(samples, 'pulse_store_degraded', { location: 'unit-1', reason: 'full' }), 1);
  assert.equal(sample(samples, 'pulse_store_degraded', { location: 'unit-1', reason: 'read_only' }), 0);
  prober.setProberHealth(true, { control: true, store: true });
  samples = await read();
  assert.equal(sample(samples, 'pulse_store_degraded', { location: 'unit-1', reason: 'full' }), 0, 'mended');
});

test('events reach every listener; one that throws is logged and the next still hears', async () => {
  const { prober, read } = metrics();
  const errors: { listener?: string; kind?: string }[] = [];
  const broken = {
    name: 'broken',
    hear: (event: ProberEvent) => {
      if (event.kind === 'skipped' || event.kind === 'pushed') throw new Error('boom');
    },
  };
  const events = new ProberEvents({ error: (fields) => errors.push(fields) });
  events.subscribe(broken, prober);
  events.emit({ kind: 'skipped', journey: 'checkout', reason: 'saturated' });
  events.emit({ kind: 'lag', seconds: 0.2 });
  events.emit({ kind: 'browser-relaunched', reason: 'lost' });
  events.emit({ kind: 'worker-replaced', reason: 'memory', pid: 1, journey: undefined, runId: undefined, message: 'over its cap' });
  events.emit({ kind: 'store-problem', problem: { operation: 'write', message: 'disk full', at: new Date().toISOString(), reset: { setAside: undefined } } });
  events.emit({ kind: 'pushed', sink: 'pushgateway', outcome: 'failed' });
  const samples = await read();
  assert.equal(sample(samples, 'pulse_runs_skipped_total', { journey: 'checkout', reason: 'saturated' }), 1);
  assert.equal(sample(samples, 'pulse_schedule_lag_seconds_count'), 1);
  assert.equal(sample(samples, 'pulse_browser_restarts_total'), 1);
  assert.equal(sample(samples, 'pulse_worker_restarts_total', { reason: 'memory' }), 1);
  assert.equal(sample(samples, 'pulse_store_failures_total', { operation: 'write' }), 1);
  assert.equal(sample(samples, 'pulse_store_resets_total'), 1);
  assert.equal(sample(samples, 'pulse_push_deliveries_total', { sink: 'pushgateway', outcome: 'failed' }), 1);
  assert.deepEqual(
    errors.map((e) => `${e.listener} ${e.kind}`),
    ['broken skipped', 'broken pushed'],
  );
});

test('sinks hear a result in the order of their stages, whatever order they were added in; one that throws or rejects is logged and the rest still hear', async () => {
  const heard: string[] = [];
  const errors: { sink?: string; hook?: string }[] = [];
  const sink = (name: string, stage: SinkStage, fail?: 'throw' | 'reject'): Sink => ({
    name,
    stage,
    onResult: () => {
      heard.push(name);
      if (fail === 'throw') throw new Error('boom');
      if (fail === 'reject') return Promise.reject(new Error('late boom'));
    },
  });
  const sinks = new SinkFanout({ error: (fields) => errors.push(fields) }, [sink('push', 'push'), sink('log', 'log', 'throw'), sink('observer', 'observer')]);
  sinks.add(sink('store', 'store', 'reject'), sink('metrics', 'metrics'));
  assert.deepEqual(sinks.names, ['metrics', 'store', 'log', 'push', 'observer']);
  await sinks.onResult(runResult());
  assert.deepEqual(heard, ['metrics', 'store', 'log', 'push', 'observer']);
  assert.deepEqual(errors.map((e) => `${e.sink} ${e.hook}`).sort(), ['log onResult', 'store onResult']);
});

test('one definition per metric name: /metrics and a push declare every shared name with the same type and help', async () => {
  const names = ALL_METRICS.map((definition) => definition.name);
  assert.equal(new Set(names).size, names.length, 'no name defined twice');
  const { sink, prober, registry } = metrics();
  const journeys = [{ name: 'checkout', schedule: '*/5 * * * *', timezone: 'UTC' } as Journey];
  sink.registerJourneys(journeys);
  prober.registerJourneys(journeys);
  sink.onResult(runResult());
  const served = declared(await registry.metrics());
  const pushed = declared(await renderPush(runResult()));
  const shared = [...pushed.keys()].filter((name) => served.has(name));
  assert.ok(shared.includes('pulse_journey_up') && shared.includes('pulse_journey_last_success_timestamp_seconds'), `shared: ${shared.join(', ')}`);
  for (const name of shared) assert.deepEqual(pushed.get(name), served.get(name), name);
  const defined = new Map(ALL_METRICS.map((definition) => [definition.name, definition]));
  for (const [name, { type, help }] of [...served, ...pushed]) {
    assert.equal(defined.get(name)?.type, type, `${name}: declared as in the table`);
    assert.equal(defined.get(name)?.help, help, `${name}: help as in the table`);
  }
});

test('pulse_journey_info: the version loaded, then the version each run ran; one series per journey, the old one removed', async () => {
  const { sink, read } = metrics();
  const version = (digit: string): JourneyVersion => ({ hash: digit.repeat(64), files: [] });
  const info = async () => [...(await read())].filter(([key]) => key.startsWith('pulse_journey_info{')).sort(([a], [b]) => a.localeCompare(b));
  sink.registerJourneys([
    { name: 'checkout', schedule: '*/5 * * * *', timezone: 'UTC', version: version('a') } as Journey,
    { name: 'search', schedule: '*/5 * * * *', timezone: 'UTC' } as Journey,
  ]);
  assert.deepEqual(await info(), [['pulse_journey_info{journey="checkout",version="aaaaaaaaaaaa"}', 1]], 'a journey loaded without a version has no series');

  sink.onResult(runResult({ version: version('a') }));
  sink.onResult(runResult({ version: version('b'), status: 'failure', error: { message: 'x', step: 'add to cart', reason: 'assertion' } }));
  sink.onResult(runResult({ journey: 'search', version: version('c') }));
  sink.onResult(runResult({ journey: 'search' }));
  assert.deepEqual(await info(), [
    ['pulse_journey_info{journey="checkout",version="bbbbbbbbbbbb"}', 1],
    ['pulse_journey_info{journey="search",version="cccccccccccc"}', 1],
  ]);
  sink.onResult(runResult({ version: version('a') }));
  assert.deepEqual(
    await info(),
    [
      ['pulse_journey_info{journey="checkout",version="aaaaaaaaaaaa"}', 1],
      ['pulse_journey_info{journey="search",version="cccccccccccc"}', 1],
    ],
    'back to an earlier version: still one series',
  );
});
