// On-call operations against a real daemon: run now, pause and resume (API, CLI and the UI's
// forms in Chromium), who may write, and the flake ledger read from the run store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import type { RunResult } from '../../src/result.ts';
import { CHROMIUM_ARGS, findBrowser } from '../../src/runner/find-browser.ts';
import { openRunStore } from '../../src/store/run-store.ts';
import { DaemonProcess, NEVER } from '../support/daemon-process.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { parseSamples, sample } from '../support/prom-text.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { removeDir, tempDir } from '../support/temp.ts';

const TOKEN = 'ops-token-0123456789abcdef';
const USER = 'oncall';
const PASSWORD = 'correct horse';
const AUTH = { PULSE_AUTH_TOKEN: TOKEN, PULSE_AUTH_USER: USER, PULSE_AUTH_PASSWORD: PASSWORD };
const json = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

describe('on-call operations', () => {
  let shop: Shop;
  let dir: string;
  before(async () => {
    shop = await startShop();
    dir = journeyDir('operations');
    writeJourney(
      dir,
      { name: 'home', schedule: NEVER, retries: 0, tags: ['shop'] },
      `async ({ page, step, params }) => {
      await step('open home', async () => {
        await page.goto(params.baseUrl);
        await new Promise((resolve) => setTimeout(resolve, 800));
      });
    }`,
    );
    writeJourney(
      dir,
      { name: 'ticking', schedule: '* * * * * *', retries: 0, tags: ['busy'] },
      `async ({ step }) => {
      await step('tick', async () => undefined);
    }`,
    );
  });
  after(async () => {
    await shop.close();
    removeDir(dir);
  });

  const daemon = (t: { after: (fn: () => Promise<unknown>) => void }, dataDir: string, env: NodeJS.ProcessEnv = AUTH, schedule?: string) => {
    const pulse = new DaemonProcess(['--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, ...(schedule ? ['--schedule', schedule] : [])], env);
    t.after(() => pulse.stop());
    return pulse;
  };

  test('run now over the API: 202 with the run id, the run in the history within seconds, marked manual with who asked; twice at once gives one run', async (t) => {
    const pulse = daemon(t, tempDir(t));
    await pulse.started();
    const [first, second] = await Promise.all([
      fetch(`${pulse.url}/api/journeys/home/runs`, { method: 'POST', headers: json, body: '{}' }),
      fetch(`${pulse.url}/api/journeys/home/runs`, { method: 'POST', headers: json, body: '{}' }),
    ]);
    const statuses = [first.status, second.status].sort();
    assert.deepEqual(statuses, [202, 409], 'one started, one refused as already running');
    const started = (await (first.status === 202 ? first : second).json()) as { runId: string; url: string };
    const refused = (await (first.status === 409 ? first : second).json()) as { runId?: string };
    assert.equal(refused.runId, started.runId, 'the refusal names the run in flight');
    assert.match(started.url, new RegExp(`/runs/${started.runId}$`));

    const deadline = Date.now() + 20_000;
    let run: { status: string; trigger?: { kind: string; by?: string } } | undefined;
    while (Date.now() < deadline) {
      const response = await fetch(`${pulse.url}/api/runs/${started.runId}`, { headers: json });
      if (response.status === 200) {
        run = (await response.json()) as typeof run;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(run?.status, 'success');
    assert.deepEqual(run?.trigger, { kind: 'manual', by: 'token' });
    const runs = (await (await fetch(`${pulse.url}/api/runs?journey=home`, { headers: json })).json()) as { runs: unknown[] };
    assert.equal(runs.runs.length, 1, 'one run, not two');
    const samples = parseSamples(await pulse.metricsWhen((text) => (sample(parseSamples(text), 'pulse_heartbeats_total', { journey: 'home' }) ?? 0) >= 1));
    assert.equal(sample(samples, 'pulse_heartbeats_total', { journey: 'home' }), 1, 'a manual run counts like any other');
    const line = pulse.lines.find((l) => l.event === 'operation' && l.action === 'run_now' && l.runId === started.runId);
    assert.equal(line?.by, 'token', 'the write is logged with who did it');
  });

  test('writes are refused without auth configured, without credentials, and as anything but JSON', async (t) => {
    const open = daemon(t, tempDir(t), {});
    await open.started();
    const refused = await fetch(`${open.url}/api/journeys/home/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { error: string }).error, /PULSE_AUTH_TOKEN/);
    await open.stop();

    const guarded = daemon(t, tempDir(t));
    await guarded.started();
    assert.equal(
      (await fetch(`${guarded.url}/api/journeys/home/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status,
      401,
      'no credentials',
    );
    assert.equal(
      (await fetch(`${guarded.url}/api/journeys/home/runs`, { method: 'POST', headers: { ...json, 'content-type': 'text/plain' }, body: '{}' })).status,
      415,
      'a body a cross-site form could send',
    );
    assert.equal(
      (await fetch(`${guarded.url}/api/journeys/home/runs`, { method: 'POST', headers: { ...json, origin: 'https://evil.example' }, body: '{}' })).status,
      403,
      'another origin',
    );
    assert.equal((await fetch(`${guarded.url}/api/journeys/nope/runs`, { method: 'POST', headers: json, body: '{}' })).status, 404);

    // Bad pauses are refused with what to fix, and hold nothing.
    const bad = async (body: object) => {
      const response = await fetch(`${guarded.url}/api/pauses`, { method: 'POST', headers: json, body: JSON.stringify(body) });
      return { status: response.status, error: ((await response.json()) as { error: string }).error };
    };
    assert.match((await bad({ journey: 'home', for: '30m' })).error, /reason/);
    assert.match((await bad({ journey: 'home', tag: 'shop', for: '30m', reason: 'x' })).error, /exactly one of journey, tag or all/);
    assert.match((await bad({ journey: 'home', for: '30m', until: '2030-01-01T00:00:00Z', reason: 'x' })).error, /either 'for'/);
    assert.match((await bad({ journey: 'home', for: 'soon', reason: 'x' })).error, /not a duration/);
    assert.match((await bad({ journey: 'home', for: '30d', reason: 'x' })).error, /at most 7 days/);
    assert.match((await bad({ journey: 'home', until: '2001-01-01T00:00:00Z', reason: 'x' })).error, /already be over/);
    assert.match((await bad({ journey: 'home', for: '1m', reason: 'x', extra: 1 })).error, /extra|[Uu]nrecognized/);
    const listed = (await (await fetch(`${guarded.url}/api/pauses`, { headers: json })).json()) as { pauses: unknown[] };
    assert.deepEqual(listed.pauses, [], 'nothing paused by a refused request');
    assert.equal(guarded.child.exitCode, null, 'the daemon is alive');
  });

  test('pause: ticks skipped and counted, gauge 1, survives a restart, ends on time; resume runs it again', async (t) => {
    const dataDir = tempDir(t);
    const pulse = daemon(t, dataDir);
    await pulse.started();
    await pulse.waitFor((l) => l.event === 'heartbeat' && l.journey === 'ticking', 20_000);
    const paused = await fetch(`${pulse.url}/api/pauses`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ tag: 'busy', for: '12s', reason: 'deploy of the ticker' }),
    });
    assert.equal(paused.status, 201);
    const pause = ((await paused.json()) as { pause: { id: number; until: string; by: string } }).pause;
    assert.equal(pause.by, 'token');
    const skips = parseSamples(
      await pulse.metricsWhen((text) => (sample(parseSamples(text), 'pulse_runs_skipped_total', { journey: 'ticking', reason: 'paused' }) ?? 0) >= 2),
    );
    assert.ok((sample(skips, 'pulse_runs_skipped_total', { journey: 'ticking', reason: 'paused' }) ?? 0) >= 2, 'paused ticks are counted');
    assert.equal(sample(skips, 'pulse_journey_paused', { journey: 'ticking' }), 1);
    assert.equal(sample(skips, 'pulse_journey_paused', { journey: 'home' }), 0, 'other journeys are not held');

    // A restart keeps the pause (it is in the store) until it ends by itself.
    await pulse.stop();
    const again = daemon(t, dataDir);
    await again.started();
    const listed = (await (await fetch(`${again.url}/api/pauses`, { headers: json })).json()) as { pauses: { id: number; reason: string }[] };
    assert.deepEqual(
      listed.pauses.map((p) => [p.id, p.reason]),
      [[pause.id, 'deploy of the ticker']],
    );
    const restored = parseSamples(await again.metricsWhen((text) => sample(parseSamples(text), 'pulse_journey_paused', { journey: 'ticking' }) === 1));
    assert.equal(sample(restored, 'pulse_journey_paused', { journey: 'ticking' }), 1);
    const page = await (await fetch(`${again.url}/journeys/ticking`, { headers: json })).text();
    assert.match(page, /<strong>Paused<\/strong> \(tag busy\) until [^,]+, \d+s left, by token: deploy of the ticker/);
    await again.waitFor((l) => l.event === 'heartbeat' && l.journey === 'ticking' && Date.parse(l.time) > Date.parse(pause.until), 20_000);
    const expired = parseSamples(await again.metricsWhen((text) => sample(parseSamples(text), 'pulse_journey_paused', { journey: 'ticking' }) === 0, 10_000));
    assert.equal(sample(expired, 'pulse_journey_paused', { journey: 'ticking' }), 0, 'over by itself');

    // Pause again, then resume early: it runs again at once.
    assert.equal(
      (await fetch(`${again.url}/api/pauses`, { method: 'POST', headers: json, body: JSON.stringify({ journey: 'ticking', for: '1h', reason: 'long' }) }))
        .status,
      201,
    );
    const resumed = await fetch(`${again.url}/api/pauses/resume`, { method: 'POST', headers: json, body: JSON.stringify({ journey: 'ticking' }) });
    assert.equal(resumed.status, 200);
    const at = Date.now();
    await again.waitFor((l) => l.event === 'heartbeat' && l.journey === 'ticking' && Date.parse(l.time) > at, 10_000);
    assert.equal(
      (await fetch(`${again.url}/api/pauses`, { method: 'POST', headers: json, body: JSON.stringify({ journey: 'typo', for: '1h', reason: 'x' }) })).status,
      404,
      'a pause of nothing is a typo',
    );
  });

  test('the CLI: pulse trigger, pause and resume against a running daemon', async (t) => {
    const pulse = daemon(t, tempDir(t));
    await pulse.started();
    const env = { PULSE_URL: pulse.url, PULSE_AUTH_TOKEN: TOKEN };
    const triggered = await runPulse(['trigger', 'home'], { env });
    assert.equal(triggered.code, 0, triggered.stderr);
    assert.match(triggered.stdout, /^started run \d{8}T\d{6}Z-[0-9a-f]{6} of home; watch http:\/\/.*\/runs\//);
    const paused = await runPulse(['pause', 'home', '--for', '10m', '--reason', 'maintenance'], { env });
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /^paused \(pause \d+\) until \d{4}-/);
    const resumed = await runPulse(['resume', 'home'], { env });
    assert.equal(resumed.code, 0, resumed.stderr);
    const nothing = await runPulse(['resume', 'home'], { env });
    assert.equal(nothing.code, 1, 'nothing left to resume');
    const noUrl = await runPulse(['trigger', 'home'], { env: { PULSE_AUTH_TOKEN: TOKEN } });
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /set PULSE_URL or --url/);
  });

  describe('the UI forms, in Chromium', () => {
    let browser: Browser;
    before(async () => {
      browser = await chromium.launch({ executablePath: findBrowser().executablePath, args: [...CHROMIUM_ARGS] });
    });
    after(async () => {
      await browser.close();
    });

    test('Run now and Pause work from the journey page; a form without the page token, or from another site, is refused', async (t) => {
      const pulse = daemon(t, tempDir(t));
      await pulse.started();
      const context = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD } });
      t.after(() => context.close());
      const page = await context.newPage();
      await page.goto(`${pulse.url}/journeys/home`);
      await page.getByRole('button', { name: 'Run now' }).click();
      await page.getByText(/^Run \d{8}T\d{6}Z-[0-9a-f]{6} started/).waitFor();
      const line = await pulse.waitFor((l) => l.event === 'operation' && l.action === 'run_now', 5_000);
      assert.equal(line.by, USER, 'done in the name of the basic-auth user');

      await page.goto(`${pulse.url}/journeys/home`);
      await page.getByLabel('because').fill('deploy 4711');
      await page.getByRole('button', { name: 'Pause' }).click();
      await page.getByText(/Paused.*by oncall: deploy 4711/).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Resume' }).count(), 1);

      // The UI's own pages cannot even send a request (CSP connect-src 'none'); a form post with the
      // browser's stored credentials but without the page's token is refused.
      const blocked = await page.evaluate(
        async (url) =>
          fetch(url, { method: 'POST', body: 'for=30m&reason=x' }).then(
            () => 'sent',
            () => 'blocked',
          ),
        `${pulse.url}/journeys/home/pause`,
      );
      assert.equal(blocked, 'blocked');
      const noToken = await context.request.post(`${pulse.url}/journeys/home/pause`, { form: { for: '30m', reason: 'x' } });
      assert.equal(noToken.status(), 403);

      // Another site's page posting a form at pulse, with the browser's stored credentials.
      const evil = await context.newPage();
      await evil.goto(shop.url);
      await evil.setContent(`<form method="post" action="${pulse.url}/journeys/home/run"><input name="csrf" value="guessed"><button>go</button></form>`);
      const [response] = await Promise.all([evil.waitForResponse(`${pulse.url}/journeys/home/run`), evil.getByRole('button', { name: 'go' }).click()]);
      assert.equal(response.status(), 403);
      assert.ok(!pulse.lines.some((l) => l.event === 'operation' && l.action === 'run_now' && l !== line), 'no second run was started');
    });
  });

  test('the flake ledger equals the share computed from the store, and the overview sorts by it', async (t) => {
    const dataDir = tempDir(t);
    const store = openRunStore({ dataDir });
    const now = Date.now();
    const runs: RunResult[] = [];
    // home: 10 successes in 24 h, 3 of them flaky; 2 more successes 3 days ago, 1 flaky; a failure (not counted).
    for (let i = 0; i < 10; i += 1) runs.push(run('home', now - (i + 1) * 600_000, i < 3));
    runs.push(run('home', now - 3 * 86_400_000, true), run('home', now - 3 * 86_400_000 - 1_000, false), {
      ...run('home', now - 700_000, false),
      status: 'failure',
    });
    // ticking: 4 successes, 1 flaky.
    for (let i = 0; i < 4; i += 1) runs.push(run('ticking', now - (i + 1) * 60_000, i === 0));
    for (const r of runs) await store.writer.onResult(r);
    await store.writer.close();
    store.close();
    const expected = (journey: string, windowMs: number) => {
      const successes = runs.filter((r) => r.journey === journey && r.status === 'success' && Date.parse(r.startedAt) >= now - windowMs);
      return successes.filter((r) => r.flaky).length / successes.length;
    };

    const pulse = daemon(t, dataDir, AUTH, NEVER);
    await pulse.started();
    const api = (await (await fetch(`${pulse.url}/api/journeys`, { headers: json })).json()) as {
      journeys: { name: string; flaky24h: { share: number }; flaky7d: { share: number } }[];
    };
    const home = api.journeys.find((j) => j.name === 'home')!;
    assert.equal(home.flaky24h.share, expected('home', 86_400_000));
    assert.equal(home.flaky24h.share, 0.3);
    assert.equal(home.flaky7d.share, expected('home', 7 * 86_400_000));
    const overview = await (await fetch(`${pulse.url}/?sort=flaky`, { headers: json })).text();
    const order = [...overview.matchAll(/<tr data-journey="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(order, ['home', 'ticking'], 'highest share first (30% before 25%)');
    assert.match(overview, /30\.0% \(3 of 10\)/);
  });
});

function run(journey: string, startedMs: number, flaky: boolean): RunResult {
  return {
    journey,
    location: 'local',
    runId: `${new Date(startedMs)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}-${Math.random().toString(16).slice(2, 8)}`,
    status: 'success',
    startedAt: new Date(startedMs).toISOString(),
    durationMs: 500,
    attempts: flaky ? 2 : 1,
    flaky,
    steps: [],
    artifacts: {},
    attemptResults: [],
  };
}
