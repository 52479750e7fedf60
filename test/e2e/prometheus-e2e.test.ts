/**
 * End to end: a real Prometheus scrapes a real `pulse run` probing the demo shop every 2 s and
 * evaluates the shipped recording and alert rules (windows and `for:` shortened, see REWRITES).
 * Healthy: the success ratio of checkout is 1. The checkout500 fault: a journey-down alert for
 * checkout fires. Mended: the alert goes away.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startShop } from '../../src/demo/shop.ts';
import { DaemonProcess, ROOT } from '../support/daemon-process.ts';
import { CHECKOUT_ONLY } from '../support/journey-files.ts';
import { writeRewritten, type Rewrite } from '../support/rule-rewrites.ts';
import { startPrometheus, type PromAlert } from '../support/prometheus-server.ts';
import { tempDir } from '../support/temp.ts';

const RULES_DIR = path.join(ROOT, 'deploy', 'prometheus');
const DOWN_ALERTS = new Set(['PulseJourneyDownEverywhere', 'PulseJourneyDownInLocation', 'PulseHeartbeatFlatlined']);

/**
 * How the test copies of the shipped rules differ, so minutes of production fit in seconds. Each
 * must match at least once, so a change to the shipped rules cannot silently slow the test down.
 */
const REWRITES: Rewrite<'recording.yml' | 'alerts.yml'>[] = [
  // The 5m success-ratio window: 20 s of 1 s scrapes still hold ~10 runs every 2 s, and a failure shows at once.
  { file: 'recording.yml', from: '[5m]', to: '[20s]', why: 'success ratio window' },
  // The 30m alert window (runs by result, failures by cause, success rate).
  { file: 'recording.yml', from: '[30m]', to: '[1m]', why: 'alert window of runs by result' },
  { file: 'alerts.yml', from: '[1h]', to: '[2m]', why: 'look-back of flaky runs and of the failed step in descriptions' },
  { file: 'alerts.yml', from: '[30m]', to: '[1m]', why: 'window of browser restarts and skipped runs' },
  // for: durations: 2m (down everywhere) and 1m (heartbeat flatlined) become 3 s; 5m, 3m and 15m become 5 s.
  { file: 'alerts.yml', from: 'for: 2m', to: 'for: 3s', why: 'PulseJourneyDownEverywhere' },
  { file: 'alerts.yml', from: 'for: 1m', to: 'for: 3s', why: 'PulseHeartbeatFlatlined, PulseProberDown' },
  {
    file: 'alerts.yml',
    from: 'for: 5m',
    to: 'for: 5s',
    why: 'PulseJourneyDownInLocation, PulseJourneySuccessRateLow, PulseJourneyThirdPartyFailing, PulseJourneyCodeFailing',
  },
  { file: 'alerts.yml', from: 'for: 3m', to: 'for: 5s', why: 'PulseTargetDown' },
  { file: 'alerts.yml', from: 'for: 15m', to: 'for: 5s', why: 'PulseJourneyFlaky' },
];

async function writeTestRules(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const file of ['recording.yml', 'alerts.yml'] as const) {
    const target = await writeRewritten(path.join(RULES_DIR, file), file, path.join(dir, file), REWRITES);
    // Group intervals, if the shipped files ever set any, follow the 1 s evaluation of the test.
    await writeFile(target, (await readFile(target, 'utf8')).replace(/^(\s*)interval: .*$/gm, '$1interval: 1s'));
    files.push(target);
  }
  return files;
}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: Date.now() - start };
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

test(
  'Prometheus with the shipped rules over a real pulse run: ratio 1 while healthy, checkout down alert on checkout500, resolved when mended',
  { timeout: 150_000 },
  async (t) => {
    const dir = tempDir(t);
    const shop = await startShop();
    t.after(() => shop.close());
    // The checkout alone (the one journey the rules are checked on), on one slot, without the control journey's runs.
    const pulse = new DaemonProcess(
      [
        ...CHECKOUT_ONLY,
        '--concurrency',
        '1',
        '--base-url',
        shop.url,
        '--data-dir',
        path.join(dir, 'data'),
        '--location',
        'e2e-1',
        '--schedule',
        '*/2 * * * * *',
      ],
      { PULSE_CONTROL_INTERVAL: 'off' },
    );
    t.after(() => pulse.stop());
    const pulseUrl = new URL(await pulse.started());

    const ruleFiles = await writeTestRules(dir);
    const prometheus = await startPrometheus({ dir, ruleFiles, targets: [pulseUrl.host] });
    t.after(() => prometheus.stop());

    const query = prometheus.query;
    const checkoutAlerts = async () => (await prometheus.alerts()).filter((a) => a.labels.journey === 'checkout' && DOWN_ALERTS.has(a.labels.alertname ?? ''));
    const ratio = 'pulse:journey_success_ratio:rate5m{journey="checkout",location="e2e-1"}';

    // (a) Healthy: the target is scraped and checkout's success ratio over the window is 1.
    await eventually('pulse scraped (up == 1)', 30_000, async () => ((await query('up{job="pulse"}'))[0]?.value[1] === '1' ? true : undefined));
    const healthy = await eventually('a success ratio for checkout', 40_000, async () => (await query(ratio))[0]);
    assert.equal(healthy.value.value[1], '1', 'every checkout run succeeded');
    // A run slowed by a busy machine can leave the last heartbeat older than 3 intervals of 2 s for a
    // moment (pending; it could only fire after a minute of it); healthy means that it clears.
    let alerts: PromAlert[] = [];
    await eventually('no down alert while healthy', 20_000, async () => {
      alerts = await checkoutAlerts();
      return alerts.length === 0 ? true : undefined;
    }).catch(() => undefined);
    assert.deepEqual(alerts, [], 'no down alert while healthy');
    t.diagnostic(`success ratio 1 after ${healthy.ms} ms`);

    // (b) Broken checkout: a journey-down alert for checkout goes pending, then firing.
    shop.setFaults({ checkout500: true });
    t.after(() => shop.resetFaults());
    const pending = await eventually('a checkout down alert pending or firing', 60_000, async () => (await checkoutAlerts())[0]);
    assert.ok(['pending', 'firing'].includes(pending.value.state));
    t.diagnostic(`${pending.value.labels.alertname} ${pending.value.state} ${pending.ms} ms after the fault`);
    // With a 2 s schedule the flatline alert may fire first; the down-everywhere one must fire too.
    const firing = await eventually('the checkout down alert firing', 60_000 - pending.ms, async () =>
      (await checkoutAlerts()).find((a) => a.state === 'firing' && a.labels.alertname === 'PulseJourneyDownEverywhere'),
    );
    assert.equal(firing.value.labels.alertname, 'PulseJourneyDownEverywhere', 'one location probes it, and it is down there');
    assert.equal(firing.value.labels.location, undefined, 'aggregated over locations');
    assert.equal(firing.value.labels.severity, 'critical');
    t.diagnostic(`firing ${pending.ms + firing.ms} ms after the fault`);
    const [broken] = await query(ratio);
    assert.ok(broken && Number(broken.value[1]) < 1, `success ratio below 1 while broken: ${broken?.value[1]}`);

    // (c) Mended: the alert resolves and leaves /api/v1/alerts.
    shop.resetFaults();
    const resolved = await eventually('the checkout down alert resolved', 60_000, async () => ((await checkoutAlerts()).length === 0 ? true : undefined));
    t.diagnostic(`resolved ${resolved.ms} ms after mending`);
    assert.equal((await query('pulse_journey_up{journey="checkout"}'))[0]?.value[1], '1');

    assert.equal(await prometheus.stop(), 0, 'Prometheus stopped cleanly');
    assert.equal(await pulse.stop(), 0, 'pulse stopped cleanly');
  },
);
