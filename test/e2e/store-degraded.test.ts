/**
 * A disk that fails under a running daemon (test/fixtures/hostile-disks): one that turns
 * read-only, one that fills up. Beside it an innocent canary journey against the demo shop, and
 * a real Prometheus scraping pulse with the shipped rules (for: shortened). In both: the canary's
 * heartbeats and metrics go on; pulse is degraded, not down (pulse_prober_up stays 1, so
 * PulseProberDown, the source of the shipped inhibit rule, never holds a journey alert), and
 * PulseStoreProblems fires with the reason; the log, /healthz, /readyz and the prober panel say
 * it in plain words naming the data folder; SIGTERM exits 0.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { diskThatFillsUp, diskThatTurnsReadOnly, mountsUnavailable, type HostileDisk } from '../fixtures/hostile-disks/disks.ts';
import { DaemonProcess, ROOT, type LogLine } from '../support/daemon-process.ts';
import { parseSamples, sample } from '../support/prom-text.ts';
import { writeRewritten, type Rewrite } from '../support/rule-rewrites.ts';
import { eventually } from '../support/eventually.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { startPrometheus } from '../support/prometheus-server.ts';
import { tempDir } from '../support/temp.ts';

const JOURNEYS = path.join(ROOT, 'test', 'fixtures', 'hostile-disks', 'journeys');
const RULES_DIR = path.join(ROOT, 'deploy', 'prometheus');

/** So that minutes of production fit in seconds; each must match the shipped rules. */
const REWRITES: Rewrite<'recording.yml' | 'alerts.yml'>[] = [
  { file: 'alerts.yml', from: 'for: 1m', to: 'for: 1s', why: 'PulseProberDown: would it fire, it fires at once' },
  { file: 'alerts.yml', from: 'for: 2m', to: 'for: 2s', why: 'PulseStoreProblems' },
];

interface ProberApi {
  up: boolean;
  state: string;
  store?: { condition: string; message: string; fix: string };
  checks: Record<string, { ok: boolean; detail: string }>;
}

async function json<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as T };
}

const unavailable = mountsUnavailable();

describe('a data folder that fails under a running daemon: degraded, not down', { skip: unavailable ? `cannot mount here: ${unavailable}` : false }, () => {
  let shop: Shop;
  before(async () => {
    shop = await startShop();
  });
  after(async () => {
    await shop.close();
  });

  /** Starts pulse on the disk and Prometheus on pulse, spoils the disk, and checks what both cases share. */
  async function spoiledUnderPulse(t: TestContext, disk: HostileDisk, condition: string) {
    const dir = tempDir(t);
    const pulse = new DaemonProcess(['--journeys', JOURNEYS, '--base-url', shop.url, '--data-dir', disk.dataDir, '--location', 'e2e-1'], {
      PULSE_CONTROL_INTERVAL: '2s',
    });
    // The daemon first, then its disk.
    t.after(async () => {
      await pulse.stop();
      disk.close();
    });
    // Generous: the machine may be busy.
    await pulse.waitFor((line) => line.event === 'started', 120_000);
    const pulseUrl = new URL(pulse.url);
    const instance = pulseUrl.host;

    const ruleFiles: string[] = [];
    for (const file of ['recording.yml', 'alerts.yml'] as const)
      ruleFiles.push(await writeRewritten(path.join(RULES_DIR, file), file, path.join(dir, file), REWRITES));
    const prometheus = await startPrometheus({ dir, ruleFiles, targets: [instance] });
    t.after(() => prometheus.stop());
    const query = prometheus.query;
    const prober = async () => (await json<ProberApi>(`${pulseUrl.origin}/api/prober`)).body;

    // Sound first: the canary beats, the store check passes, Prometheus scrapes it.
    await pulse.waitFor((line) => line.event === 'heartbeat' && line.journey === 'canary', 60_000);
    await eventually('the store check passing in Prometheus', 60_000, async () =>
      (await query(`pulse_prober_check_up{instance="${instance}",check="store"} == 1`)).length ? true : undefined,
    );
    const sound = await prober();
    assert.equal(sound.checks.store?.ok, true, JSON.stringify(sound.checks));

    // The disk fails.
    const seen = pulse.lines.length;
    disk.spoil();
    const spoiledAt = Date.now();

    const degraded = await eventually(`/api/prober: the store failing (${condition})`, 60_000, async () => {
      const status = await prober();
      return status.store?.condition === condition ? status : undefined;
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(await prober())}`);
    });
    assert.equal(degraded.checks.store?.ok, false);
    assert.ok(degraded.store?.message.includes(disk.dataDir), `the reason names the data folder: ${degraded.store?.message}`);
    // The store never takes pulse down: up follows the other checks alone. On this shared machine
    // those may fail for their own reasons (CPU pressure); then pulse is down for them, not for the store.
    const probing = Object.entries(degraded.checks).filter(([check]) => check !== 'store');
    const canProbe = probing.every(([, state]) => state.ok);
    assert.equal(degraded.up, canProbe, JSON.stringify(degraded.checks));
    assert.equal(degraded.state, canProbe ? 'degraded' : 'down', JSON.stringify(degraded.checks));
    if (!canProbe) t.diagnostic(`pulse is down for other checks on this machine: ${JSON.stringify(probing.filter(([, state]) => !state.ok))}`);

    // The canary goes on: heartbeats in the log and in the metrics, after the disk failed.
    const before = sample(parseSamples(await pulse.metrics()), 'pulse_heartbeats_total', { journey: 'canary' }) ?? 0;
    const beatsAfter = () => pulse.lines.slice(seen).filter((line) => line.event === 'heartbeat' && line.journey === 'canary').length;
    await eventually('3 canary heartbeats after the disk failed', 60_000, async () => (beatsAfter() >= 3 ? true : undefined));
    const metrics = parseSamples(
      await pulse.metricsWhen((text) => (sample(parseSamples(text), 'pulse_heartbeats_total', { journey: 'canary' }) ?? 0) >= before + 2, 30_000),
    );
    assert.ok((sample(metrics, 'pulse_heartbeats_total', { journey: 'canary' }) ?? 0) >= before + 2, 'canary heartbeats counted after the disk failed');
    assert.equal(sample(metrics, 'pulse_journey_up', { journey: 'canary' }), 1, 'the canary is not blamed');
    assert.equal(sample(metrics, 'pulse_prober_check_up', { location: 'e2e-1', check: 'store' }), 0);
    assert.equal(sample(metrics, 'pulse_store_degraded', { location: 'e2e-1', reason: condition }), 1);

    // Prometheus: the store alert fires with its reason; the inhibit rule's source alert never even pends.
    const fired = await eventually('PulseStoreProblems firing in Prometheus', 60_000, async () => {
      const [alert] = await query(`ALERTS{alertname="PulseStoreProblems",alertstate="firing",instance="${instance}"}`);
      return alert;
    });
    assert.equal(fired.metric.reason, condition);
    assert.equal(fired.metric.severity, 'warning');
    assert.equal(fired.metric.cause, 'prober');
    const window = `${Math.ceil((Date.now() - spoiledAt) / 1000) + 5}s`;
    const scope = `instance="${instance}"`;
    assert.equal((await query(`min_over_time(pulse_prober_check_up{${scope},check="store"}[${window}])`))[0]?.value[1], '0', 'the store check failed');
    // pulse_prober_up never fell where the checks that decide probing held.
    const stillProbing = `min by (instance) (pulse_prober_check_up{${scope},check!="store"})`;
    assert.deepEqual(
      await query(`max_over_time((${stillProbing} - on (instance) max by (instance) (pulse_prober_up{${scope}}))[${window}:1s])`).then((r) =>
        r.filter((x) => x.value[1] !== '0'),
      ),
      [],
      'the failing store never took pulse down',
    );
    const otherChecksHeld = (await query(`min_over_time(${stillProbing}[${window}:1s])`))[0]?.value[1] === '1';
    if (otherChecksHeld) {
      assert.equal((await query(`min_over_time(pulse_prober_up{${scope}}[${window}])`))[0]?.value[1], '1', 'pulse_prober_up stayed 1');
      assert.deepEqual(
        await query(`max_over_time(ALERTS{alertname="PulseProberDown",${scope}}[${window}])`),
        [],
        'PulseProberDown, the inhibit source, never pending or firing',
      );
    } else t.diagnostic('other checks failed meanwhile on this machine; PulseProberDown, if it fired, fired for them');

    // The probes and the prober panel say so, with the reason; liveness and readiness hold.
    for (const probe of ['/healthz', '/readyz']) {
      const answer = await json<{ prober: string; problems: { check: string; detail: string }[] }>(`${pulseUrl.origin}${probe}`);
      assert.equal(answer.status, 200, `${probe} stays 200: restarting mends no disk`);
      assert.ok(answer.body.prober === 'degraded' || (answer.body.prober === 'down' && !canProbe), `${probe}: ${JSON.stringify(answer.body)}`);
      const store = answer.body.problems.find((problem) => problem.check === 'store');
      assert.ok(store?.detail.includes(disk.dataDir), `${probe}: ${JSON.stringify(answer.body)}`);
    }
    const page = await (await fetch(`${pulseUrl.origin}/`)).text();
    if (canProbe) assert.match(page, /data-prober-state="degraded"/);
    assert.match(page, new RegExp(`data-store-condition="${condition}"><strong>Run store degraded:</strong> (the data folder|no space left)`));
    assert.match(page, /<tr data-check="store"><td>store<\/td><td>[^]*?<\/td><td>[^<]*(read-only|no space left)/);

    return { pulse, degraded, seen, canProbe };
  }

  /**
   * The log in plain words naming the folder, what is wrong, and the fix: each failed write, and
   * the turn to degraded (or, on a machine where other checks fail, the turn's line naming the
   * store among them); never a lock "taken over".
   */
  function assertPlainWords(t: TestContext, lines: LogLine[], pattern: RegExp, canProbe: boolean): void {
    const failed = lines.find((each) => each.event === 'store_failed' && pattern.test(String(each.msg)));
    assert.ok(failed, `a store_failed line in plain words: ${JSON.stringify(lines.filter((each) => each.event === 'store_failed').slice(0, 2))}`);
    assert.match(String(failed.msg), /fix: /);
    const turn = lines.find((each) => each.event === (canProbe ? 'prober_degraded' : 'prober_down') && pattern.test(String(each.msg)));
    assert.ok(turn, `the turn is logged in plain words: ${JSON.stringify(lines.filter((each) => /^prober_/.test(String(each.event))))}`);
    t.diagnostic(`store_failed: ${String(failed.msg)}`);
    t.diagnostic(`${String(turn.event)}: ${String(turn.msg)}`);
    if (canProbe) {
      assert.match(String(turn.msg), /fix: /);
      assert.match(String(turn.msg), /Journey alerts are not held/);
      // Down only ever for other checks (the machine may starve a moment), never for the store alone.
      const downForStore = lines.filter((each) => each.event === 'prober_down' && JSON.stringify(each.failing) === '["store"]');
      assert.deepEqual(downForStore, [], 'never logged down for the store');
    }
    assert.ok(!lines.some((each) => /taken over by another process/.test(String(each.msg))), 'no lock "taken over" when the disk is at fault');
  }

  test('a data folder that turns read-only (ext4 remounted read-only after an error, EROFS for root too)', { timeout: 300_000 }, async (t) => {
    const disk = diskThatTurnsReadOnly();
    const { pulse, seen, canProbe } = await spoiledUnderPulse(t, disk, 'read_only');
    const escaped = disk.dataDir.replace(/[/.]/g, '\\$&');
    assertPlainWords(t, pulse.lines.slice(seen), new RegExp(`the data folder ${escaped} is read-only`), canProbe);
    const failed = pulse.lines.slice(seen).find((line) => line.event === 'store_failed');
    assert.ok(failed, 'the failed writes are logged');
    assert.equal(failed.condition, 'read_only');
    assert.match(String(failed.msg), new RegExp(`run store \\w+ failed: the data folder ${escaped} is read-only; fix: .*read-write`));

    // The lock cannot be refreshed past its stale limit (30 s): it says why, not that another process took it.
    const lost = await pulse.waitFor((line) => line.event === 'data_lock_lost', 90_000, seen);
    assert.equal(lost.condition, 'read_only');
    assert.match(String(lost.msg), new RegExp(`the data folder lock cannot be kept: the data folder ${escaped} is read-only`));
    assert.doesNotMatch(String(lost.msg), /taken over/);
    t.diagnostic(`data_lock_lost: ${String(lost.msg)}`);

    assert.equal(await pulse.stop(), 0, `SIGTERM exits 0: ${pulse.stderr}`);
    assert.ok(!pulse.lines.some((line) => line.event === 'stop_failed'), 'every part stopped cleanly');
    const left = pulse.lines.find((line) => line.event === 'data_lock_left');
    assert.match(String(left?.msg), /stays behind \(the data folder .* is read-only\)/);
    t.diagnostic(`data_lock_left: ${String(left?.msg)}`);
  });

  test(
    'a data folder read-only before the start: pulse refuses to start saying read-only, not that the user may not write',
    { timeout: 120_000 },
    async (t) => {
      const disk = diskThatTurnsReadOnly();
      t.after(() => disk.close());
      disk.spoil();
      const started = await runPulse(['run', '--journeys', JOURNEYS, '--base-url', shop.url, '--data-dir', disk.dataDir, '--port', '0'], {
        timeoutMs: 60_000,
      });
      assert.notEqual(started.code, 0);
      const escaped = disk.dataDir.replace(/[/.]/g, '\\$&');
      assert.match(started.stderr, new RegExp(`PULSE_DATA_DIR '${escaped}' is not writable: the data folder ${escaped} is read-only`));
      assert.match(started.stderr, /mount it read-write again/);
      assert.doesNotMatch(started.stderr, /chown|may not write|by this user/);
      t.diagnostic(started.stderr.trim());
    },
  );

  test('a data folder on a disk that fills up (tmpfs filled to the last byte, ENOSPC)', { timeout: 300_000 }, async (t) => {
    const disk = diskThatFillsUp();
    const { pulse, seen, canProbe } = await spoiledUnderPulse(t, disk, 'full');
    const escaped = disk.dataDir.replace(/[/.]/g, '\\$&');
    assertPlainWords(t, pulse.lines.slice(seen), new RegExp(`no space left on the device holding the data folder ${escaped}`), canProbe);
    assert.equal(await pulse.stop(), 0, `SIGTERM exits 0: ${pulse.stderr}`);
    assert.ok(!pulse.lines.some((line) => line.event === 'stop_failed'), 'every part stopped cleanly');
  });
});
