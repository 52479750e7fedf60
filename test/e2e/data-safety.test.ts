// Nothing lost, nothing leaked: settings, the data folder lock, a damaged or deleted run store,
// orphaned evidence, links under the evidence folder, and secrets in every encoding.
import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import AdmZip from 'adm-zip';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { encodingsOf } from '../../src/redact.ts';
import type { RunResult } from '../../src/result.ts';
import { pruneArtifacts } from '../../src/store/retention.ts';
import type { StoreProblem } from '../../src/events.ts';
import { openRunStore } from '../../src/store/run-store.ts';
import { DaemonProcess, NEVER, OPEN_WRITES } from '../support/daemon-process.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { parseSamples, sample } from '../support/prom-text.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { removeDir, tempDir } from '../support/temp.ts';

function result(journey: string, runId: string, startedAt: string, extra: Partial<RunResult> = {}): RunResult {
  return {
    journey,
    location: 'test-1',
    runId,
    status: 'success',
    startedAt,
    durationMs: 120,
    attempts: 1,
    flaky: false,
    steps: [{ name: 'open home', status: 'passed', durationMs: 120 }],
    artifacts: {},
    attemptResults: [],
    ...extra,
  };
}

/** Overwrites `bytes` bytes at `offset` of a file with garbage. */
function damage(file: string, offset: number, bytes: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(bytes, 0x5a), 0, bytes, offset);
  closeSync(fd);
}

/** A store file with `count` runs, checkpointed so the main file holds them all. */
async function storeWithRuns(dataDir: string, count: number): Promise<void> {
  const store = openRunStore({ dataDir });
  for (let i = 0; i < count; i += 1) {
    const at = new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString();
    await store.writer.onResult(
      result('checkout', `20261101T0000${String(i % 60).padStart(2, '0')}Z-${String(i).padStart(6, '0')}`, at, {
        steps: Array.from({ length: 6 }, (_, s) => ({ name: `step ${s} ${'x'.repeat(40)}`, status: 'passed' as const, durationMs: 10 })),
      }),
    );
  }
  await store.writer.close();
  store.close();
}

describe('settings', () => {
  test('a misspelled PULSE_ variable is refused at start with the closest setting named', async () => {
    const run = await runPulse(['validate'], { env: { PULSE_AUTH_TOKN: 'a-token-that-would-have-protected-the-ui' } });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /PULSE_AUTH_TOKN: not a pulse setting \(did you mean PULSE_AUTH_TOKEN\?\); fix: /);
    assert.doesNotMatch(run.stderr, /a-token-that-would/, 'the value is never echoed');
  });

  test('bad isolation settings are refused at start, each naming its fix', async () => {
    const run = await runPulse(['validate'], { env: { PULSE_WORKER_MEMORY: '64MiB', PULSE_LOAD_TIMEOUT: 'forever' } });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /PULSE_WORKER_MEMORY="64MiB": must be at least 128MiB/);
    assert.match(run.stderr, /PULSE_LOAD_TIMEOUT="forever": must be a duration/);
  });

  test('a variable listed in PULSE_ALLOW_VARS passes, journey params pass', async () => {
    const run = await runPulse(['validate'], { env: { PULSE_OTHER_TOOL_MODE: 'x', PULSE_ALLOW_VARS: 'PULSE_OTHER_TOOL_MODE', PULSE_PARAM_ANYTHING: 'y' } });
    assert.equal(run.code, 0, run.stderr);
  });
});

describe('the run store heals instead of stopping the prober', () => {
  test('a store whose header is damaged is moved aside at open and a fresh one started', async (t) => {
    const dataDir = tempDir(t);
    await storeWithRuns(dataDir, 5);
    damage(path.join(dataDir, 'runs.sqlite'), 0, 100);
    const problems: StoreProblem[] = [];
    const store = openRunStore({ dataDir, onProblem: (p) => problems.push(p) });
    t.after(() => store.close());
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.operation, 'open');
    const aside = problems[0]!.reset?.setAside;
    assert.ok(aside && existsSync(aside), `damaged file kept: ${aside}`);
    assert.match(path.basename(aside), /^runs\.sqlite\.damaged-\d{8}T\d{6}Z$/);
    assert.deepEqual(store.queries.listRuns(), [], 'a fresh, empty store');
    await store.writer.onResult(result('checkout', '20261201T000000Z-aaaaaa', new Date().toISOString()));
    assert.equal(store.queries.listRuns().length, 1, 'and it works');
    assert.equal(store.queries.health().resets.length, 1);
  });

  test('a store damaged in a later page fails its check at open; a damaged file swapped in while running is caught too', async (t) => {
    const dataDir = tempDir(t);
    await storeWithRuns(dataDir, 400);
    const file = path.join(dataDir, 'runs.sqlite');
    const pageSize = 4096;
    assert.ok(statSync(file).size > 20 * pageSize, 'several pages');
    const pristine = readFileSync(file);
    // A page in the middle of the file holds runs and steps; the first pages are the schema and
    // tables that may be empty, where bytes past the page's header are unused space.
    const dataPage = Math.floor(statSync(file).size / pageSize / 2);
    damage(file, dataPage * pageSize + 100, 2000);
    const problems: StoreProblem[] = [];
    const store = openRunStore({ dataDir, onProblem: (p) => problems.push(p) });
    t.after(() => store.close());
    assert.equal(problems[0]?.operation, 'open', JSON.stringify(problems));
    assert.match(problems[0].message, /integrity check failed|malformed/);
    assert.ok(problems[0].reset?.setAside);
    assert.deepEqual(store.queries.listRuns(), []);

    // While it runs, the file is replaced by a damaged copy (a restore gone wrong): the next query
    // notices the new file, checks it, and moves it aside too.
    await store.writer.onResult(result('checkout', '20261201T000000Z-keep01', new Date().toISOString()));
    const damaged = Buffer.from(pristine);
    damaged.fill(0x5a, dataPage * pageSize + 100, dataPage * pageSize + 2100);
    writeFileSync(`${file}.incoming`, damaged);
    renameSync(`${file}.incoming`, file);
    const before = problems.length;
    const wait = Date.now() + 1_100;
    while (Date.now() < wait) {
      // the store checks its file at most once a second
    }
    assert.ok(Array.isArray(store.queries.listRuns()), 'reads still answer');
    const found = problems.slice(before);
    assert.deepEqual(
      found.map((p) => p.operation),
      ['missing', 'open'],
      JSON.stringify(found),
    );
    assert.ok(found[1]!.reset?.setAside && existsSync(found[1]!.reset.setAside));
    await store.writer.onResult(result('checkout', '20261201T000001Z-keep02', new Date().toISOString()));
    assert.deepEqual(
      store.queries.listRuns().map((r) => r.runId),
      ['20261201T000001Z-keep02'],
      'a fresh store that works',
    );
    assert.equal(store.queries.health().resets.length, 3);
  });

  test('a store file deleted while pulse runs is noticed and recreated; writes go on', async (t) => {
    const dataDir = tempDir(t);
    const problems: StoreProblem[] = [];
    const store = openRunStore({ dataDir, onProblem: (p) => problems.push(p) });
    t.after(() => store.close());
    await store.writer.onResult(result('checkout', '20261201T000000Z-000001', new Date().toISOString()));
    for (const suffix of ['', '-wal', '-shm']) rmSync(path.join(dataDir, `runs.sqlite${suffix}`), { force: true });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await store.writer.onResult(result('checkout', '20261201T000001Z-000002', new Date().toISOString()));
    assert.equal(problems.at(-1)?.operation, 'missing');
    assert.match(problems.at(-1)!.message, /was deleted while pulse ran/);
    assert.ok(existsSync(path.join(dataDir, 'runs.sqlite')), 'a new file');
    assert.deepEqual(
      store.queries.listRuns().map((r) => r.runId),
      ['20261201T000001Z-000002'],
    );
  });

  test('a run in flight when the process died is recorded at the next start as an error', async (t) => {
    const dataDir = tempDir(t);
    const first = openRunStore({ dataDir });
    first.writer.runStarted({ runId: '20261201T000000Z-dead01', journey: 'checkout', location: 'test-1', startedAt: new Date().toISOString() });
    first.writer.runStarted({ runId: '20261201T000001Z-done01', journey: 'checkout', location: 'test-1', startedAt: new Date().toISOString() });
    await first.writer.onResult(result('checkout', '20261201T000001Z-done01', new Date().toISOString()));
    // No close: the process is gone.
    const second = openRunStore({ dataDir });
    t.after(() => {
      first.close();
      second.close();
    });
    const interrupted = await second.writer.recordInterrupted();
    assert.deepEqual(
      interrupted.map((r) => r.runId),
      ['20261201T000000Z-dead01'],
    );
    const run = second.queries.getRun('20261201T000000Z-dead01');
    assert.equal(run?.status, 'error');
    assert.match(run.error!.message, /pulse stopped while this run was in flight/);
    assert.deepEqual(await second.writer.recordInterrupted(), [], 'recorded once');
  });
});

describe('retention owns the evidence folder', () => {
  test('orphaned evidence (no run in the store) is pruned by the same age and size limits; runs in flight and fresh orphans stay', async (t) => {
    const dataDir = tempDir(t);
    const root = path.join(dataDir, 'artifacts');
    const store = openRunStore({ dataDir });
    t.after(() => store.close());
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    const folder = (journey: string, runId: string, bytes: number) => {
      mkdirSync(path.join(root, journey, runId), { recursive: true });
      writeFileSync(path.join(root, journey, runId, 'attempt-1-screenshot.png'), Buffer.alloc(bytes, 1));
    };
    folder('checkout', '20261120T000000Z-0old01', 1_000); // an orphan 11 days old
    folder('checkout', '20261201T115900Z-0new01', 1_000); // an orphan a minute old
    folder('checkout', '20261101T000000Z-flight', 1_000); // old, but its run is in flight
    store.writer.runStarted({ runId: '20261101T000000Z-flight', journey: 'checkout', location: 'test-1', startedAt: new Date(now).toISOString() });
    folder('search', '20261201T110000Z-stored', 1_000); // a stored run with evidence
    await store.writer.onResult(
      result('search', '20261201T110000Z-stored', new Date(now - 3_600_000).toISOString(), {
        status: 'failure',
        artifacts: { screenshot: 'search/20261201T110000Z-stored/attempt-1-screenshot.png' },
      }),
    );
    // A link planted under the evidence folder is removed, never followed.
    const outside = path.join(dataDir, 'outside.txt');
    writeFileSync(outside, 'not evidence');
    symlinkSync(outside, path.join(root, 'checkout', '20261201T115000Z-link01'));

    const byAge = await pruneArtifacts({
      ledger: store.ledger,
      artifactsRoot: root,
      policy: { maxAgeMs: 7 * 86_400_000, maxBytes: 1e9, historyMaxAgeMs: 30 * 86_400_000 },
      now,
    });
    assert.equal(byAge.prunedOrphans, 2, 'the old orphan and the link');
    assert.ok(!existsSync(path.join(root, 'checkout', '20261120T000000Z-0old01')));
    assert.ok(!existsSync(path.join(root, 'checkout', '20261201T115000Z-link01')));
    assert.ok(existsSync(outside), 'the link target is untouched');
    assert.ok(existsSync(path.join(root, 'checkout', '20261201T115900Z-0new01')));
    assert.ok(existsSync(path.join(root, 'checkout', '20261101T000000Z-flight')), 'in flight: left alone');

    // Over the byte limit the oldest goes first, stored or orphaned alike.
    const bySize = await pruneArtifacts({
      ledger: store.ledger,
      artifactsRoot: root,
      policy: { maxAgeMs: 7 * 86_400_000, maxBytes: 1_500, historyMaxAgeMs: 30 * 86_400_000 },
      now,
    });
    assert.equal(bySize.prunedRuns, 1, 'the stored run (older) went first');
    assert.equal(bySize.prunedOrphans, 0);
    assert.ok(store.queries.getRun('20261201T110000Z-stored')?.artifactsPrunedAt, 'the run says its evidence was pruned');
    assert.ok(existsSync(path.join(root, 'checkout', '20261201T115900Z-0new01')));
  });
});

describe('the daemon and its data folder', () => {
  let shop: Shop;
  let dir: string;
  before(async () => {
    shop = await startShop();
    dir = journeyDir('data-safety');
    writeJourney(
      dir,
      { name: 'home', schedule: '*/2 * * * * *', retries: 0 },
      `async ({ page, step, params }) => {
      await step('open home', async () => {
        await page.goto(params.baseUrl);
      });
    }`,
    );
  });
  after(async () => {
    await shop.close();
    removeDir(dir);
  });

  test('a second daemon on the same data folder is refused, naming the holder; a lock left by a dead process is taken over', async (t) => {
    const dataDir = tempDir(t);
    // It only holds the lock: it runs nothing, on one slot.
    const first = new DaemonProcess(['--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--schedule', NEVER, '--concurrency', '1']);
    t.after(() => first.stop());
    await first.started();
    const second = await runPulse(['run', '--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--port', '0'], { timeoutMs: 60_000 });
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, new RegExp(`is in use by pulse pid ${first.child.pid} on ${hostname()} since \\d{4}-`));
    assert.equal(await first.stop(), 0);
    assert.ok(!existsSync(path.join(dataDir, 'pulse.lock')), 'released at stop');

    // A lock a killed daemon left behind: fresh mtime, but its pid is gone.
    mkdirSync(path.join(dataDir, 'pulse.lock'));
    writeFileSync(path.join(dataDir, 'pulse.lock.json'), JSON.stringify({ pid: 2 ** 22 - 7, host: hostname(), since: new Date().toISOString() }));
    const third = new DaemonProcess(['--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--concurrency', '1']);
    t.after(() => third.stop());
    await third.started();
    await third.waitFor((line) => line.event === 'heartbeat', 30_000);
  });

  test('a store with a damaged header: the daemon starts, probes, says so in the log, the metrics and the UI', async (t) => {
    const dataDir = tempDir(t);
    await storeWithRuns(dataDir, 5);
    damage(path.join(dataDir, 'runs.sqlite'), 0, 100);
    const pulse = new DaemonProcess(['--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--concurrency', '1']);
    t.after(() => pulse.stop());
    await pulse.started();
    const failed = pulse.lines.find((line) => line.event === 'store_failed');
    assert.equal(failed?.operation, 'open');
    assert.equal(failed?.reset, true);
    assert.ok(
      readdirSync(dataDir).some((name) => /^runs\.sqlite\.damaged-/.test(name)),
      'the damaged file kept aside',
    );
    await pulse.waitFor((line) => line.event === 'heartbeat', 30_000);
    const samples = parseSamples(await pulse.metricsWhen((text) => (sample(parseSamples(text), 'pulse_heartbeats_total') ?? 0) > 0));
    assert.equal(sample(samples, 'pulse_store_failures_total', { operation: 'open' }), 1);
    assert.equal(sample(samples, 'pulse_store_resets_total'), 1);
    const home = await fetch(`${pulse.url}/`);
    assert.equal(home.status, 200);
    assert.match(
      await home.text(),
      /Run history:<\/strong> 1 store failure since pulse started.*the damaged file is kept at <code>[^<]*runs\.sqlite\.damaged-/s,
    );
    const api = await fetch(`${pulse.url}/api/runs`);
    assert.equal(api.status, 200);
  });

  test('a link under artifacts/ is never served, whether it points outside or at the store', async (t) => {
    const dataDir = tempDir(t);
    // It only serves files: it runs nothing, on one slot.
    const pulse = new DaemonProcess(['--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--schedule', NEVER, '--concurrency', '1']);
    t.after(() => pulse.stop());
    await pulse.started();
    const root = path.join(dataDir, 'artifacts');
    mkdirSync(path.join(root, 'home', 'run-1'), { recursive: true });
    writeFileSync(path.join(root, 'home', 'run-1', 'real.txt'), 'evidence');
    symlinkSync('/etc/passwd', path.join(root, 'home', 'run-1', 'passwd'));
    symlinkSync(path.join(dataDir, 'runs.sqlite'), path.join(root, 'home', 'run-1', 'store'));
    symlinkSync('/etc', path.join(root, 'etc'));
    symlinkSync(path.join(root, 'home', 'run-1', 'real.txt'), path.join(root, 'home', 'run-1', 'inside-link.txt'));
    assert.equal((await fetch(`${pulse.url}/artifacts/home/run-1/real.txt`)).status, 200, 'a real file is served');
    for (const link of ['home/run-1/passwd', 'home/run-1/store', 'etc/passwd', 'etc/hostname', 'home/run-1/inside-link.txt']) {
      // As spelled, and with a letter of the prefix percent-encoded (the router decodes it, the check must not depend on it).
      for (const prefix of ['/artifacts/', '/%61rtifacts/', '/artifact%73/']) {
        const response = await fetch(`${pulse.url}${prefix}${link}`);
        assert.ok(response.status === 404 || response.status === 403, `${prefix}${link}: ${response.status}`);
        assert.doesNotMatch(await response.text(), /root:x:0:0|SQLite format/);
      }
    }
  });
});

describe('secrets never leave in any encoding', () => {
  const SECRET = `S3cr!t (p)'~*"<&>+%=/?@ end`;
  const USER = 'qa-user@example.com';
  let shop: Shop;
  before(async () => {
    shop = await startShop();
  });
  after(async () => {
    await shop.close();
  });

  test('a password typed into forms, put in a query, a cookie and a basic-auth header: no encoding of it under the data folder, in the logs or in /metrics', async (t) => {
    const dir = journeyDir('secrets');
    t.after(() => removeDir(dir));
    writeJourney(
      dir,
      { name: 'leaky', schedule: '*/3 * * * * *', retries: 1, timeout: '20s', stepTimeout: '8s' },
      `async ({ page, context, step, params }) => {
        await step('sign in with ' + params.password, async () => {
          await context.setExtraHTTPHeaders({ authorization: 'Basic ' + Buffer.from(params.testUser + ':' + params.password).toString('base64') });
          await context.addCookies([{ name: 'session', value: encodeURIComponent(params.password), url: params.baseUrl }]);
          await page.goto(params.baseUrl);
          await page.evaluate((value) => console.error('login failed for ' + value), params.password);
        });
        await step('search for it', async () => {
          await page.getByLabel('Search products').fill(params.password);
          await page.getByRole('button', { name: 'Search' }).click();
          await expect(page.getByRole('heading', { level: 1, name: 'Search results' })).toBeVisible();
        });
        await step('post it in a form', async () => {
          await page.request.post(params.baseUrl + '/api/cart', { data: { slug: 'trail-runner-shoes', quantity: 1 } });
          await page.goto(params.baseUrl + '/checkout');
          await page.getByLabel('Full name').fill(params.password);
          await page.getByLabel('Address').fill(params.password);
          await page.getByRole('button', { name: 'Place order' }).click();
          await expect(page.getByRole('heading', { level: 1, name: 'Never shown' })).toBeVisible({ timeout: 1_000 });
        });
      }`,
    );
    const dataDir = tempDir(t);
    // One run, asked for: its retry runs traced.
    const pulse = new DaemonProcess(
      ['--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--trace', 'on-retry', '--schedule', NEVER, '--concurrency', '1'],
      {
        ...OPEN_WRITES,
        PULSE_PARAM_PASSWORD: SECRET,
        PULSE_PARAM_TEST_USER: USER,
      },
    );
    t.after(() => pulse.stop());
    await pulse.started();
    const run = await pulse.runNow('leaky');
    const failed = await pulse.waitFor((line) => line.event === 'journey_failed' && line.runId === run.runId, 60_000);
    assert.equal(failed.step, 'post it in a form', JSON.stringify(failed));
    const metrics = await pulse.metricsWhen((text) => /pulse_journey_failures_total\{[^}]*journey="leaky"[^}]*\} 1/.test(text));
    await pulse.stop();

    const forms = new Set([...encodingsOf(SECRET), Buffer.from(`${USER}:${SECRET}`).toString('base64')]);
    const leaks: string[] = [];
    const check = (where: string, text: string) => {
      for (const form of forms) if (text.includes(form)) leaks.push(`${where}: ${JSON.stringify(form)}`);
    };
    const files: string[] = [];
    const walk = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) walk(full);
        else files.push(full);
      }
    };
    walk(dataDir);
    const traces = files.filter((file) => file.endsWith('-trace.zip'));
    assert.ok(traces.length > 0, 'a trace was kept');
    assert.ok(files.some((file) => file.endsWith('page.html')) && files.some((file) => file.endsWith('console.json')));
    for (const file of files) {
      check(path.relative(dataDir, file), readFileSync(file).toString('latin1'));
      check(path.relative(dataDir, file), readFileSync(file).toString('utf8'));
    }
    let network = '';
    for (const trace of traces) {
      for (const entry of new AdmZip(trace).getEntries()) {
        const body = entry.getData().toString('utf8');
        check(`${path.basename(trace)}!${entry.entryName}`, body);
        if (entry.entryName.endsWith('.network')) network += body;
      }
    }
    check('log', pulse.lines.map((line) => JSON.stringify(line)).join('\n'));
    check('/metrics', metrics);
    assert.deepEqual(leaks, []);

    // Credential headers are gone from the kept network log entirely, whoever set them.
    assert.match(network, /"name":"(authorization|Authorization)","value":"\[redacted\]"/);
    assert.match(network, /"name":"(cookie|Cookie)","value":"\[redacted\]"/);
    assert.doesNotMatch(network, /"name":"(authorization|cookie|set-cookie)","value":"(?!\[redacted\])/i);
    // The secret really went where the test says: the form was posted and the query sent.
    assert.match(network, /\/search\?q=/);
    assert.match(network, /"method":"POST"[^\n]*\/checkout/);
  });
});
