/**
 * The push sinks and their delivery queue against a real HTTP receiver on 127.0.0.1: request
 * shapes of the dead-man's-switch kinds, and that a slow, hung or failing endpoint never delays
 * a run, is retried with backoff, then given up; the queue stays bounded.
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, test, type TestContext } from 'node:test';
import { resolveConfig, type WebhookKind } from '../../src/config.ts';
import { formatProblem } from '../../src/problem.ts';
import type { RunResult } from '../../src/result.ts';
import type { DeliveryOutcome } from '../../src/events.ts';
import type { DeliveryTuning } from '../../src/sinks/delivery-queue.ts';
import { createPushSinks } from '../../src/sinks/push-sinks.ts';
import { renderPush } from '../../src/sinks/pushgateway.ts';
import { WebhookSink } from '../../src/sinks/webhook.ts';
import { parseSamples, sample } from '../support/prom-text.ts';

const STEPS = ['open home', 'add to cart', 'check out'];

function runResult(overrides: Partial<RunResult> = {}): RunResult {
  return {
    journey: 'checkout',
    location: 'test-1',
    runId: `20250101T000000Z-${Math.random().toString(16).slice(2, 8)}`,
    status: 'success',
    startedAt: new Date(Date.now() - 2_000).toISOString(),
    durationMs: 1840.4,
    attempts: 1,
    flaky: false,
    steps: STEPS.map((name, i) => ({ name, status: 'passed', durationMs: 400 + i * 100 })),
    artifacts: {},
    attemptResults: [],
    ...overrides,
  };
}

function failedRun(overrides: Partial<RunResult> = {}): RunResult {
  return runResult({
    status: 'failure',
    attempts: 2,
    steps: [
      { name: 'open home', status: 'passed', durationMs: 400 },
      { name: 'add to cart', status: 'passed', durationMs: 500 },
      { name: 'check out', status: 'failed', durationMs: 900 },
    ],
    error: { message: 'POST http://shop/checkout answered HTTP 500\n  at line 2', step: 'check out', reason: 'http' },
    ...overrides,
  });
}

type Mode = 'ok' | 'fail' | 'hang' | 'hold';
interface Received {
  method: string;
  url: string;
  body: string;
  at: number;
}

/** A real HTTP endpoint that answers 200, answers 500, never answers, or holds answers until released. */
async function startReceiver(t: TestContext) {
  const requests: Received[] = [];
  const held: ServerResponse[] = [];
  let mode: Mode = 'ok';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body, at: performance.now() });
      if (mode === 'ok') res.end('OK');
      else if (mode === 'fail') res.writeHead(500).end('boom');
      else if (mode === 'hold') held.push(res);
      // hang: never answer.
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    setMode: (next: Mode) => (mode = next),
    release: () => held.splice(0).forEach((res) => res.end('OK')),
  };
}

interface Warned {
  fields: Record<string, unknown>;
  message: string;
}

function webhook(t: TestContext, options: { url: string; kind?: WebhookKind; tuning?: Partial<DeliveryTuning> }) {
  const outcomes: Record<DeliveryOutcome, number> = { delivered: 0, failed: 0, dropped: 0 };
  const warned: Warned[] = [];
  const sink = new WebhookSink({
    url: options.url,
    kind: options.kind ?? 'ping',
    tuning: { backoffMs: 20, maxBackoffMs: 40, timeoutMs: 1_000, closeDeadlineMs: 2_000, ...options.tuning },
    log: { warn: (fields, message) => warned.push({ fields: fields as Record<string, unknown>, message }) },
    onOutcome: (name, outcome) => {
      assert.equal(name, 'webhook');
      outcomes[outcome] += 1;
    },
  });
  t.after(() => sink.close());
  return { sink, outcomes, warned };
}

/**
 * Calls onResult and asserts it came back at once, whatever the endpoint does. "At once" is bounded
 * generously (a call was seen at 125 ms on a machine saturated by other test files): waiting on
 * the endpoint would take at least one try's timeout per result, and the callers' bounds say so.
 */
function timedOnResult(sink: WebhookSink, result: RunResult): number {
  const start = performance.now();
  sink.onResult(result);
  const ms = performance.now() - start;
  assert.ok(ms < 250, `onResult took ${ms.toFixed(1)} ms`);
  return ms;
}

async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('webhook sink', () => {
  test('ping: one POST per run, to the URL with {journey} and {location} filled in; <url>/fail with step and reason when it failed', async (t) => {
    const receiver = await startReceiver(t);
    const { sink, outcomes } = webhook(t, { url: `${receiver.url}/ping/{journey}/{location}?src=pulse` });
    sink.onResult(runResult());
    sink.onResult(runResult());
    sink.onResult(failedRun());
    sink.onResult(runResult({ status: 'error', journey: 'search', location: 'eu west/1', error: { message: 'browser disconnected' } }));
    await sink.close();

    assert.deepEqual(outcomes, { delivered: 4, failed: 0, dropped: 0 });
    assert.deepEqual(
      receiver.requests.map((r) => `${r.method} ${r.url}`),
      [
        'POST /ping/checkout/test-1?src=pulse',
        'POST /ping/checkout/test-1?src=pulse',
        'POST /ping/checkout/test-1/fail?src=pulse',
        'POST /ping/search/eu%20west%2F1/fail?src=pulse',
      ],
    );
    assert.equal(receiver.requests[0]!.body, 'checkout in test-1: success in 1840 ms, 1 attempt');
    assert.equal(
      receiver.requests[2]!.body,
      "checkout in test-1: failure in 1840 ms, 2 attempts at step 'check out' (http): POST http://shop/checkout answered HTTP 500",
    );
    assert.match(receiver.requests[3]!.body, /^search in eu west\/1: error .*: browser disconnected$/);
  });

  test('uptime-kuma: GET the push URL with status=up|down, msg and ping (ms)', async (t) => {
    const receiver = await startReceiver(t);
    const { sink, outcomes } = webhook(t, { url: `${receiver.url}/api/push/{journey}-token?status=up&msg=OK&ping=`, kind: 'uptime-kuma' });
    sink.onResult(runResult());
    sink.onResult(failedRun({ durationMs: 2500 }));
    await sink.close();

    assert.equal(outcomes.delivered, 2);
    const [up, down] = receiver.requests.map((r) => ({ method: r.method, url: new URL(r.url, receiver.url) }));
    assert.equal(up!.method, 'GET');
    assert.equal(up!.url.pathname, '/api/push/checkout-token');
    assert.deepEqual([...up!.url.searchParams.keys()], ['status', 'msg', 'ping']);
    assert.equal(up!.url.searchParams.get('status'), 'up');
    assert.equal(up!.url.searchParams.get('ping'), '1840');
    assert.match(up!.url.searchParams.get('msg')!, /^checkout in test-1: success/);
    assert.equal(down!.method, 'GET');
    assert.equal(down!.url.pathname, '/api/push/checkout-token', 'no /fail for uptime-kuma');
    assert.equal(down!.url.searchParams.get('status'), 'down');
    assert.equal(down!.url.searchParams.get('ping'), '2500');
    assert.match(down!.url.searchParams.get('msg')!, /at step 'check out' \(http\)/);
  });

  test('an endpoint that never answers: onResult returns at once, each try is cut at the timeout, retried, then given up', async (t) => {
    const receiver = await startReceiver(t);
    receiver.setMode('hang');
    const { sink, outcomes, warned } = webhook(t, { url: `${receiver.url}/SECRETKEY/{journey}`, tuning: { timeoutMs: 150, retries: 2 } });
    const start = performance.now();
    for (let i = 0; i < 3; i += 1) timedOnResult(sink, runResult());
    // Waiting on the endpoint would cost three tries of 150 ms for each result: 450 ms for the first alone.
    assert.ok(performance.now() - start < 400, 'three results enqueued without waiting');

    await waitUntil('all three given up', () => outcomes.failed === 3);
    assert.equal(receiver.requests.length, 9, 'three tries each (first + 2 retries)');
    assert.deepEqual(outcomes, { delivered: 0, failed: 3, dropped: 0 });
    assert.equal(warned.length, 3);
    assert.equal(warned[0]!.fields.event, 'push_failed');
    assert.equal(warned[0]!.fields.attempts, 3);
    assert.match(warned[0]!.message, /no answer within 150 ms/);
    assert.ok(!JSON.stringify(warned).includes('SECRETKEY'), 'the ping URL (its key) is not logged');
  });

  test('an endpoint answering 500: retried with growing backoff, given up, later runs still delivered', async (t) => {
    const receiver = await startReceiver(t);
    receiver.setMode('fail');
    const { sink, outcomes, warned } = webhook(t, { url: `${receiver.url}/SECRETKEY/{journey}`, tuning: { retries: 3, backoffMs: 40, maxBackoffMs: 1_000 } });
    timedOnResult(sink, runResult());
    await waitUntil('given up', () => outcomes.failed === 1);
    assert.equal(receiver.requests.length, 4, 'first try + 3 retries');
    const gaps = receiver.requests.slice(1).map((r, i) => r.at - receiver.requests[i]!.at);
    // 40, 80, 160 ms, each ±20% jitter.
    gaps.forEach((gap, i) => assert.ok(gap >= 40 * 2 ** i * 0.8 - 5, `gap ${i + 1} of ${gap.toFixed(0)} ms follows the backoff`));
    assert.match(warned[0]!.message, /answered HTTP 500/);
    assert.ok(!warned[0]!.message.includes('SECRETKEY'));

    receiver.setMode('ok');
    timedOnResult(sink, runResult());
    await sink.close();
    assert.deepEqual(outcomes, { delivered: 1, failed: 1, dropped: 0 });
  });

  test('the queue is bounded: when full, the oldest waiting push is dropped and counted', async (t) => {
    const receiver = await startReceiver(t);
    receiver.setMode('hold');
    const { sink, outcomes } = webhook(t, { url: `${receiver.url}/{journey}`, tuning: { capacity: 3 } });
    timedOnResult(sink, runResult({ journey: 'j1' }));
    await waitUntil('j1 in flight', () => receiver.requests.length === 1);
    for (const journey of ['j2', 'j3', 'j4', 'j5', 'j6']) timedOnResult(sink, runResult({ journey }));
    assert.equal(outcomes.dropped, 2, 'j2 and j3 made room for j5 and j6');
    assert.equal(sink.queue.size, 3);

    receiver.setMode('ok');
    receiver.release();
    await sink.close();
    assert.deepEqual(
      receiver.requests.map((r) => r.url),
      ['/j1', '/j4', '/j5', '/j6'],
    );
    assert.deepEqual(outcomes, { delivered: 4, failed: 0, dropped: 2 });
  });

  test('close() delivers within its deadline, then gives up on the rest', async (t) => {
    const receiver = await startReceiver(t);
    receiver.setMode('hang');
    const { sink, outcomes } = webhook(t, { url: `${receiver.url}/{journey}`, tuning: { timeoutMs: 5_000, closeDeadlineMs: 300 } });
    for (let i = 0; i < 3; i += 1) timedOnResult(sink, runResult());
    const start = performance.now();
    await sink.close();
    const took = performance.now() - start;
    assert.ok(took >= 250 && took < 1_500, `close took ${took.toFixed(0)} ms`);
    assert.deepEqual(outcomes, { delivered: 0, failed: 1, dropped: 2 }, 'the one in flight failed, the waiting ones were dropped');
    assert.equal(receiver.requests.length, 1);
    sink.onResult(runResult());
    assert.equal(outcomes.dropped, 3, 'closed: later results are dropped, not sent');
  });
});

describe('pushgateway sink payload', () => {
  test("a success pushes every gauge; a failure leaves out last success and step durations, so the group keeps the last success's", async () => {
    const ok = parseSamples(await renderPush(runResult()));
    assert.equal(sample(ok, 'pulse_journey_up'), 1);
    assert.equal(sample(ok, 'pulse_journey_attempts'), 1);
    assert.equal(sample(ok, 'pulse_journey_last_duration_seconds'), 1.8404);
    assert.equal(sample(ok, 'pulse_journey_last_run_status', { result: 'success' }), 1);
    assert.equal(sample(ok, 'pulse_journey_last_run_status', { result: 'failure' }), 0);
    assert.equal(sample(ok, 'pulse_journey_last_run_status', { result: 'error' }), 0);
    assert.ok(Math.abs(sample(ok, 'pulse_journey_last_success_timestamp_seconds')! - Date.now() / 1000) < 5);
    assert.equal(sample(ok, 'pulse_journey_last_run_timestamp_seconds'), sample(ok, 'pulse_journey_last_success_timestamp_seconds'));
    assert.deepEqual(
      STEPS.map((step) => sample(ok, 'pulse_step_last_duration_seconds', { step })),
      [0.4, 0.5, 0.6],
    );
    assert.ok(![...ok.keys()].some((key) => key.includes('journey=')), 'grouping labels come from the URL, not the series');

    const failed = parseSamples(await renderPush(failedRun()));
    assert.equal(sample(failed, 'pulse_journey_up'), 0);
    assert.equal(sample(failed, 'pulse_journey_attempts'), 2);
    assert.equal(sample(failed, 'pulse_journey_last_run_status', { result: 'failure' }), 1);
    assert.equal(sample(failed, 'pulse_journey_last_success_timestamp_seconds'), undefined);
    assert.equal(sample(failed, 'pulse_step_last_duration_seconds', { step: 'open home' }), undefined);
  });
});

describe('push settings', () => {
  test('createPushSinks builds what is set, nothing by default; bad values are named with their fix', () => {
    const none = resolveConfig({ env: {} });
    assert.ok(none.config);
    assert.equal(none.config.webhookKind, 'ping');
    assert.deepEqual(createPushSinks(none.config, { warn: () => {} }), []);

    const both = resolveConfig({
      env: { PULSE_PUSHGATEWAY_URL: 'http://127.0.0.1:9091/', PULSE_WEBHOOK_URL: 'https://hc-ping.com/key/{journey}-{location}' },
      flags: { webhookKind: 'uptime-kuma' },
    });
    assert.ok(both.config, JSON.stringify(both.problems));
    assert.equal(both.config.pushgatewayUrl, 'http://127.0.0.1:9091');
    assert.equal(both.config.webhookKind, 'uptime-kuma');
    assert.deepEqual(
      createPushSinks(both.config, { warn: () => {} }).map((s) => s.name),
      ['pushgateway', 'webhook'],
    );

    const bad = resolveConfig({ env: { PULSE_PUSHGATEWAY_URL: 'pushgateway:9091', PULSE_WEBHOOK_URL: 'hc-ping.com/{journey}', PULSE_WEBHOOK_KIND: 'slack' } });
    assert.equal(bad.config, undefined);
    const lines = bad.problems.map(formatProblem);
    assert.deepEqual(
      lines.filter((p) => /PUSHGATEWAY|WEBHOOK/.test(p)).map((p) => p.split(':')[0]),
      [
        'PULSE_PUSHGATEWAY_URL (--pushgateway-url)="pushgateway',
        'PULSE_WEBHOOK_URL (--webhook-url)="hc-ping.com/{journey}"',
        'PULSE_WEBHOOK_KIND (--webhook-kind)="slack"',
      ],
    );
    assert.ok(lines.some((p) => p.includes('must be one of ping, uptime-kuma')));
  });
});
