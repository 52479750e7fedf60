import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { formatProblem } from '../../src/problem.ts';
import type { RunResult } from '../../src/result.ts';
import type { RunnerOptions } from '../../src/runner/runner.ts';
import { newSpanId, newTraceId } from '../../src/trace-context.ts';
import { HeartbeatLogSink } from '../../src/sinks/heartbeat-log.ts';
import { DaemonProcess, NEVER, OPEN_WRITES } from '../support/daemon-process.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { startRecordingServer, type RecordedRequest, type RecordingServer } from '../support/recording-server.ts';
import { makeTempDir, removeDir, tempDir } from '../support/temp.ts';
import { TestProber } from '../support/test-runner.ts';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
/** The W3C example: a traceparent the page's own tracing set. */
const PAGE_TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function send(response: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': type, ...headers });
  response.end(body);
}

/** Static assets on the own origin: a backend does not trace them, so the marker never pauses them. */
const OWN_STATIC = ['/style.css', '/logo.png', '/app.js', '/font.ttf', '/clip.mp3'];

/**
 * The own origin's page: static assets and a frame, fetch, XHR, an EventSource and a beacon on both
 * origins, redirects, a preflighted and a refused cross-origin fetch, a WebSocket, and a cross-origin
 * fetch to a second own origin (an API).
 */
function markedPage(own: string, other: string, api: string): string {
  return `<!doctype html><html><head><title>marked</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head>
<body><h1>marked</h1><img src="/logo.png" alt=""><img src="${other}/pixel.png" alt=""><script src="${other}/lib.js"></script><iframe src="/frame" title="frame"></iframe>
<script>
const statusOf = (request) => request.then((r) => r.status, () => 'blocked');
(async () => {
  const results = {};
  results.same = await statusOf(fetch('/api/cart'));
  results.traced = await statusOf(fetch('/api/traced', { headers: { traceparent: '${PAGE_TRACEPARENT}' } }));
  results.xhr = await new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', '/api/xhr');
    xhr.onload = () => resolve(xhr.status);
    xhr.onerror = () => resolve('blocked');
    xhr.send();
  });
  results.events = await new Promise((resolve) => {
    const source = new EventSource('/events');
    source.onmessage = (event) => { source.close(); resolve(event.data); };
    source.onerror = () => { source.close(); resolve('refused'); };
  });
  results.beacon = navigator.sendBeacon('/beacon', 'left');
  for (let tries = 0; tries < 50 && (await fetch('/api/beacon-seen').then((r) => r.text())) !== 'yes'; tries += 1) await new Promise((r) => setTimeout(r, 100));
  results.app = window.appLoaded === true;
  await document.fonts.load('1em Marked').catch(() => undefined);
  results.media = await new Promise((resolve) => {
    const clip = new Audio();
    clip.preload = 'auto';
    clip.onerror = () => resolve('asked');
    clip.onloadeddata = () => resolve('asked');
    setTimeout(() => resolve('not asked'), 5000);
    clip.src = '/clip.mp3';
  });
  results.sameRedirect = await statusOf(fetch('/to-own'));
  results.crossRedirect = await statusOf(fetch('/to-other'));
  results.preflighted = await statusOf(fetch('${other}/api/put', { method: 'PUT', headers: { 'x-custom': '1' } }));
  results.refused = await statusOf(fetch('${other}/strict', { method: 'PUT', headers: { 'x-custom': '1' } }));
  results.api = await statusOf(fetch('${api}/api/orders', { method: 'POST', body: 'x' }));
  results.socket = await new Promise((resolve) => {
    const socket = new WebSocket('${own.replace(/^http/, 'ws')}/socket');
    socket.onopen = () => resolve('open');
    socket.onerror = () => resolve('refused');
  });
  window.results = results;
  document.body.dataset.done = '1';
})();
</script></body></html>`;
}

describe('synthetic traffic is marked', () => {
  let own: RecordingServer;
  let other: RecordingServer;
  let api: RecordingServer;
  let prober: TestProber;
  let dataDir: string;
  let dir: string;
  // Marking is off by default (PULSE_MARK_TRAFFIC): these runners turn it on unless a test says otherwise.
  const runner = (extra: Partial<RunnerOptions> = {}) =>
    prober.runner({ params: { baseUrl: own.url, other: other.url }, location: 'test-1', dataDir, markTraffic: true, ...extra });
  // The page's own traceparent (on /api/traced) is the page's doing, not pulse's.
  const marked = (request: RecordedRequest) =>
    request.headers['x-pulse-run-id'] !== undefined ||
    request.headers['x-pulse-attempt'] !== undefined ||
    (request.headers.traceparent !== undefined && request.headers.traceparent !== PAGE_TRACEPARENT);
  const clear = () => {
    own.requests.length = 0;
    other.requests.length = 0;
    api.requests.length = 0;
  };

  before(async () => {
    other = await startRecordingServer((request, response) => {
      const where = (request.url ?? '').split('?')[0];
      if (request.method === 'OPTIONS') {
        // /strict refuses every cross-origin request that needs a preflight; the rest allow x-custom.
        if (where === '/strict') return send(response, 204, 'text/plain', '');
        return send(response, 204, 'text/plain', '', {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'GET, PUT',
          'access-control-allow-headers': 'x-custom',
        });
      }
      if (where === '/landing') return send(response, 200, 'text/html', '<!doctype html><title>landing</title><h1>elsewhere</h1>');
      if (where === '/lib.js') return send(response, 200, 'text/javascript', 'window.libLoaded = true;');
      send(response, 200, 'text/plain', 'other', { 'access-control-allow-origin': '*' });
    });
    // An own origin of the journey besides the base URL's that allows simple CORS requests only: any preflight is refused.
    api = await startRecordingServer((request, response) => {
      if (request.method === 'OPTIONS') return send(response, 204, 'text/plain', '');
      send(response, 200, 'text/plain', 'api', { 'access-control-allow-origin': '*' });
    });
    own = await startRecordingServer((request, response, url) => {
      const where = (request.url ?? '').split('?')[0];
      if (where === '/') return send(response, 200, 'text/html', markedPage(url, other.url, api.url));
      if (where === '/plain') return send(response, 200, 'text/html', '<!doctype html><title>plain</title><h1>plain</h1>');
      if (where === '/style.css') return send(response, 200, 'text/css', '@font-face { font-family: Marked; src: url(/font.ttf); } h1 { color: teal; }');
      if (where === '/app.js') return send(response, 200, 'text/javascript', 'window.appLoaded = true;');
      if (where === '/events') return send(response, 200, 'text/event-stream', 'retry: 60000\ndata: hello\n\n');
      if (where === '/api/beacon-seen') return send(response, 200, 'text/plain', own.requests.some((r) => r.path === '/beacon') ? 'yes' : 'no');
      if (where === '/to-own') return send(response, 302, 'text/plain', '', { location: '/api/after-redirect' });
      if (where === '/to-other') return send(response, 302, 'text/plain', '', { location: `${other.url}/landed` });
      if (where === '/away') return send(response, 302, 'text/plain', '', { location: `${other.url}/landing` });
      send(response, 200, 'text/plain', `own ${where}`);
    });
    dataDir = makeTempDir();
    dir = journeyDir('traffic-marker');
    prober = new TestProber();
  });
  after(async () => {
    await prober.close();
    await own.close();
    await other.close();
    await api.close();
    removeDir(dataDir);
    removeDir(dir);
  });

  const visit = () =>
    writeJourney(
      dir,
      { name: 'visit', retries: 0, origins: [api.url] },
      `async ({ page, step, params }) => {
        await step('open', async () => {
          await page.goto(params.baseUrl);
          await page.locator('body[data-done="1"]').waitFor();
          expect(await page.evaluate(() => (window as any).results)).toEqual({
            same: 200, traced: 200, xhr: 200, events: 'hello', beacon: true, app: true, media: 'asked',
            sameRedirect: 200, crossRedirect: 200, preflighted: 200, refused: 'blocked', api: 200, socket: 'refused',
          });
        });
        await step('leave by a redirect', async () => {
          await page.goto(params.baseUrl + '/away');
          await expect(page.getByRole('heading', { name: 'elsewhere' })).toBeVisible();
        });
      }`,
    );

  test(
    "documents, fetch, XHR, EventSource and beacons to own origins (the base URL's and the journey's origins) carry the run id, the attempt and a traceparent of the run; static assets never do, the other origin never sees them, and CORS works as without pulse",
    { timeout: 180_000 },
    async () => {
      const def = visit();
      clear();
      const result = await runner().run(def);
      assert.equal(result.status, 'success', result.error?.message);
      assert.match(result.traceId ?? '', /^[0-9a-f]{32}$/);
      assert.doesNotMatch(result.traceId!, /^0+$/);

      const ownHttp = own.requests.filter((r) => !r.upgrade);
      const paths = new Set(ownHttp.map((r) => r.path));
      const traced = [
        '/',
        '/frame',
        '/api/cart',
        '/api/traced',
        '/api/xhr',
        '/events',
        '/beacon',
        '/api/beacon-seen',
        '/to-own',
        '/api/after-redirect',
        '/to-other',
        '/away',
      ];
      for (const expected of [...traced, ...OWN_STATIC]) {
        assert.ok(paths.has(expected), `${expected} reached the own origin: ${[...paths].join(' ')}`);
      }
      // Scripts, stylesheets, images, fonts and media are never paused, so never marked.
      const statics = ownHttp.filter((r) => OWN_STATIC.includes(r.path));
      assert.deepEqual(
        statics.filter(marked).map((r) => r.path),
        [],
        'no marker on an own static asset',
      );
      const ownMarked = ownHttp.filter((r) => !OWN_STATIC.includes(r.path));
      assert.deepEqual([...new Set(ownMarked.map((r) => r.path))].sort(), [...traced].sort(), 'nothing else reached the own origin');
      const beacon = ownMarked.find((r) => r.path === '/beacon');
      assert.equal(beacon?.method, 'POST', 'the beacon went out as one');
      const spans = new Set<string>();
      for (const request of ownMarked) {
        assert.equal(request.headers['x-pulse-run-id'], result.runId, `run id on ${request.path}`);
        assert.equal(request.headers['x-pulse-attempt'], '1', `attempt on ${request.path}`);
        if (request.path === '/api/traced') {
          assert.equal(request.headers.traceparent, PAGE_TRACEPARENT, "the page's own traceparent is left alone");
          continue;
        }
        const match = TRACEPARENT.exec(String(request.headers.traceparent));
        assert.ok(match, `a valid traceparent on ${request.path}: ${String(request.headers.traceparent)}`);
        assert.equal(match[1], result.traceId, `the run's trace id on ${request.path}`);
        assert.doesNotMatch(match[2]!, /^0+$/);
        spans.add(match[2]!);
      }
      assert.equal(spans.size, ownMarked.length - 1, 'a fresh span id per request');

      // The API is an own origin too: marked, and the browser asked it no preflight for the marker's headers.
      assert.deepEqual(
        api.requests.map((r) => `${r.method} ${r.path}`),
        ['POST /api/orders'],
      );
      assert.equal(api.requests[0]!.headers['x-pulse-run-id'], result.runId);
      assert.equal(TRACEPARENT.exec(String(api.requests[0]!.headers.traceparent))?.[1], result.traceId);

      const socket = own.requests.filter((r) => r.upgrade);
      assert.equal(socket.length, 1, 'the WebSocket handshake reached the own origin');
      assert.ok(!marked(socket[0]!), `no marker on a WebSocket: ${JSON.stringify(socket[0]!.headers)}`);

      const seen = other.requests.map((r) => `${r.method} ${r.path}`);
      for (const expected of ['GET /pixel.png', 'GET /lib.js', 'OPTIONS /api/put', 'PUT /api/put', 'OPTIONS /strict', 'GET /landed', 'GET /landing']) {
        assert.ok(seen.includes(expected), `${expected} reached the other origin: ${seen.join(', ')}`);
      }
      // The browser itself asked the other origin, and obeyed its refusal: pulse answered no preflight.
      assert.ok(!seen.includes('PUT /strict'), 'a refused preflight still stops the request');
      const leaked = other.requests.filter(marked);
      assert.deepEqual(
        leaked.map((r) => `${r.method} ${r.path}`),
        [],
        'no marker on another origin, not even after a redirect from an own one',
      );
    },
  );

  test('with marking off nothing is marked and the run has no trace id', { timeout: 120_000 }, async () => {
    const def = visit();
    clear();
    const result = await runner({ markTraffic: false }).run(def);
    assert.equal(result.status, 'success', result.error?.message);
    assert.equal(result.traceId, undefined);
    assert.ok(own.requests.length > 5, 'the journey reached the own origin');
    assert.deepEqual(
      own.requests.filter(marked).map((r) => r.path),
      [],
    );
    assert.deepEqual(
      other.requests.filter(marked).map((r) => r.path),
      [],
    );
    assert.deepEqual(
      api.requests.filter(marked).map((r) => r.path),
      [],
    );
  });

  test("a journey's own routes still apply, pages it opens are marked, and a retry keeps the trace with attempt 2", { timeout: 120_000 }, async () => {
    const def = writeJourney(
      dir,
      { name: 'routed', retries: 1 },
      `async ({ page, context, step, params }) => {
        await step('route and fetch', async () => {
          await page.route('**/api/mocked', (route) => route.fulfill({ body: 'mocked' }));
          await context.route('**/api/continued', (route) => route.continue({ headers: { ...route.request().headers(), 'x-journey': 'yes' } }));
          await page.goto(params.baseUrl + '/plain');
          const texts = await page.evaluate(() => Promise.all([fetch('/api/mocked').then((r) => r.text()), fetch('/api/continued').then((r) => r.text())]));
          expect(texts).toEqual(['mocked', 'own /api/continued']);
        });
        await step('a second page', async () => {
          const second = await context.newPage();
          await second.goto(params.baseUrl + '/second');
        });
        await step('fail once', async () => {
          if (!existsSync(params.flag)) {
            writeFileSync(params.flag, '1');
            throw new Error('the first attempt fails');
          }
        });
      }`,
      "import { existsSync, writeFileSync } from 'node:fs';",
    );
    clear();
    const result = await runner({ params: { baseUrl: own.url, flag: path.join(dataDir, 'routed-flag') } }).run(def);
    assert.equal(result.status, 'success', result.error?.message);
    assert.equal(result.attempts, 2);

    assert.ok(!own.requests.some((r) => r.path === '/api/mocked'), 'the mocked request never reached the server');
    const continued = own.requests.filter((r) => r.path === '/api/continued');
    assert.equal(continued.length, 2, 'one per attempt');
    for (const request of continued) {
      assert.equal(request.headers['x-journey'], 'yes', "the journey's route added its header");
      assert.equal(request.headers['x-pulse-run-id'], result.runId);
    }
    const second = own.requests.filter((r) => r.path === '/second');
    assert.deepEqual(
      second.map((r) => r.headers['x-pulse-attempt']),
      ['1', '2'],
      'the page the journey opened is marked, in each attempt',
    );
    for (const request of own.requests)
      assert.equal(TRACEPARENT.exec(String(request.headers.traceparent))?.[1], result.traceId, `one trace for both attempts: ${request.path}`);
  });

  test(
    'with PULSE_MARK_TRAFFIC=on the daemon shows the trace id: heartbeat line, /api/runs/<id>, the run page; pulse once --json has it then, and not by default',
    { timeout: 240_000 },
    async (t) => {
      const daemonJourneys = journeyDir('traffic-daemon');
      t.after(() => removeDir(daemonJourneys));
      writeJourney(
        daemonJourneys,
        { name: 'shown', retries: 0 },
        `async ({ page, step, params }) => {
        await step('open', async () => {
          await page.goto(params.baseUrl + '/plain');
          await expect(page.getByRole('heading', { name: 'plain' })).toBeVisible();
        });
      }`,
      );
      // One run, asked for, on one slot.
      const daemon = new DaemonProcess(
        ['--journeys', daemonJourneys, '--base-url', own.url, '--data-dir', tempDir(t), '--schedule', NEVER, '--concurrency', '1'],
        {
          ...OPEN_WRITES,
          PULSE_CONTROL_INTERVAL: 'off',
          PULSE_MARK_TRAFFIC: 'on',
        },
      );
      t.after(() => daemon.stop());
      await daemon.started();
      await daemon.runNow('shown');
      const heartbeat = await daemon.waitFor((line) => line.event === 'heartbeat' && line.journey === 'shown', 90_000);
      const traceId = String(heartbeat.traceId);
      assert.match(traceId, /^[0-9a-f]{32}$/, JSON.stringify(heartbeat));
      const runId = String(heartbeat.runId);
      const requests = own.requests.filter((r) => r.headers['x-pulse-run-id'] === runId);
      assert.ok(requests.length > 0, 'the target saw the run');
      for (const request of requests) assert.equal(TRACEPARENT.exec(String(request.headers.traceparent))?.[1], traceId);

      let api: { traceId?: string; runId?: string } = {};
      for (let tries = 0; tries < 50 && api.runId !== runId; tries += 1) {
        const response = await fetch(`${daemon.url}/api/runs/${encodeURIComponent(runId)}`);
        if (response.ok) api = (await response.json()) as typeof api;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(api.runId, runId, 'the run is in the store');
      assert.equal(api.traceId, traceId);
      const page = await (await fetch(`${daemon.url}/runs/${encodeURIComponent(runId)}`)).text();
      assert.match(page, new RegExp(`<dt>trace id</dt><dd><code data-testid="trace-id">${traceId}</code></dd>`));
      await daemon.stop();

      const once = async (env: NodeJS.ProcessEnv) => {
        const run = await runPulse(['once', 'shown', '--journeys', daemonJourneys, '--base-url', own.url, '--data-dir', tempDir(t), '--json'], {
          env,
          timeoutMs: 90_000,
        });
        assert.equal(run.code, 0, run.stderr);
        const [result] = JSON.parse(run.stdout) as RunResult[];
        assert.ok(result);
        return result;
      };
      const on = await once({ PULSE_MARK_TRAFFIC: 'on' });
      assert.match(on.traceId ?? '', /^[0-9a-f]{32}$/);
      assert.ok(own.requests.some((r) => r.headers['x-pulse-run-id'] === on.runId && r.headers.traceparent?.includes(on.traceId!)));
      clear();
      const off = await once({});
      assert.equal(off.traceId, undefined);
      assert.ok(own.requests.length > 0);
      assert.deepEqual(
        own.requests.filter(marked).map((r) => r.path),
        [],
      );
    },
  );
});

describe('traffic marker parts', () => {
  test('PULSE_MARK_TRAFFIC is off by default, on when told, and a bad value is one line naming the fix', () => {
    assert.equal(resolveConfig({ env: {} }).config?.markTraffic, false);
    assert.equal(resolveConfig({ env: { PULSE_MARK_TRAFFIC: 'on' } }).config?.markTraffic, true);
    const bad = resolveConfig({ env: { PULSE_MARK_TRAFFIC: 'yes' } });
    assert.deepEqual(bad.problems.map(formatProblem), [
      'PULSE_MARK_TRAFFIC="yes": must be one of on, off; fix: correct the value, or leave it out to use the default off',
    ]);
  });

  test('trace and span ids are random hex of the W3C sizes and never all zero', () => {
    let calls = 0;
    // The first draw is all zero, which W3C calls invalid: it is drawn again.
    const random = (size: number) => Buffer.alloc(size, calls++ === 0 ? 0 : 0xab);
    assert.equal(newTraceId(random), 'ab'.repeat(16));
    assert.equal(calls, 2);
    assert.match(newSpanId(), /^[0-9a-f]{16}$/);
    assert.notEqual(newTraceId(), newTraceId());
  });

  test('the journey_failed and heartbeat lines carry the trace id', () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      level: 'info',
      format: 'json',
      destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const sink = new HeartbeatLogSink({ log });
    const base = {
      journey: 'checkout',
      location: 'eu-1',
      runId: '20261126T064512Z-3f9a1c',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      startedAt: new Date().toISOString(),
      durationMs: 10,
      attempts: 1,
      flaky: false,
      artifacts: {},
      attemptResults: [],
    };
    sink.onResult({
      ...base,
      status: 'failure',
      steps: [{ name: 'open', status: 'failed', durationMs: 10 }],
      error: { message: 'broken', step: 'open', reason: 'assertion' },
    });
    sink.onResult({ ...base, status: 'success', steps: [{ name: 'open', status: 'passed', durationMs: 10 }] });
    assert.deepEqual(
      lines.map((line) => [line.event, line.traceId]),
      [
        ['journey_failed', base.traceId],
        ['heartbeat', base.traceId],
      ],
    );
  });
});
