/**
 * End to end: a real `pulse run` probes the demo shop every 3 s and its own control page every
 * 2 s; a real Prometheus scrapes it every second with the shipped rules (windows and `for:`
 * shortened, see REWRITES); a real Alertmanager runs the shipped configuration (its webhook URLs
 * pointed at this test, its group timings shortened). Then pulse is made genuinely sick: its
 * browser is killed and may not start again. Its control journey fails, pulse_prober_up drops to
 * 0, PulseProberDown reaches pulse's owners, and the journey's flatlined heartbeat, which fires
 * in Prometheus, is held by Alertmanager and never reaches anyone.
 */
import assert from 'node:assert/strict';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { startShop } from '../../src/demo/shop.ts';
import { findBrowser } from '../../src/runner/find-browser.ts';
import { DaemonProcess, ROOT } from '../support/daemon-process.ts';
import { journeyDir, writeJourney } from '../support/journey-files.ts';
import { browserMains } from '../support/processes.ts';
import { writeRewritten, type Rewrite } from '../support/rule-rewrites.ts';
import { eventually } from '../support/eventually.ts';
import { startPrometheus } from '../support/prometheus-server.ts';
import { startServerBinary } from '../support/server-binary.ts';
import { tempDir } from '../support/temp.ts';

const PROMETHEUS_DIR = path.join(ROOT, 'deploy', 'prometheus');
const ALERTMANAGER_CONFIG = path.join(ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');

/**
 * How the test copies differ from the shipped files, so that minutes fit in seconds. Each must
 * match, so a change to the shipped files cannot silently slow the test down or leave it stale.
 */
const REWRITES: Rewrite<'recording.yml' | 'alerts.yml' | 'alertmanager.yml'>[] = [
  { file: 'recording.yml', from: '[30m]', to: '[1m]', why: 'alert window of runs and failures' },
  { file: 'recording.yml', from: '[5m]', to: '[20s]', why: 'success ratio window' },
  { file: 'alerts.yml', from: '[30m]', to: '[1m]', why: 'window of browser restarts and skipped runs' },
  { file: 'alerts.yml', from: '[1h]', to: '[2m]', why: 'look-back of flaky runs and of the failed step in descriptions' },
  // PulseProberDown and PulseHeartbeatFlatlined: 1m each in production.
  { file: 'alerts.yml', from: 'for: 1m', to: 'for: 1s', why: 'PulseProberDown, PulseHeartbeatFlatlined' },
  { file: 'alertmanager.yml', from: 'https://alerts.example.internal', to: '{webhook}', why: 'the receivers: this test' },
  { file: 'alertmanager.yml', from: 'group_wait: 30s', to: 'group_wait: 1s', why: 'first notification of a group' },
  { file: 'alertmanager.yml', from: 'group_interval: 5m', to: 'group_interval: 1s', why: 'later notifications of a group' },
];

function rewritten(source: string, file: (typeof REWRITES)[number]['file'], target: string, values: Record<string, string> = {}): Promise<string> {
  return writeRewritten(source, file, target, REWRITES, values);
}

interface Notification {
  receiver: string;
  status: string;
  alerts: { status: string; labels: Record<string, string> }[];
}

/** The test's webhook receiver: every notification Alertmanager posts, with the path it came to. */
async function startWebhook(): Promise<{ url: string; received: { path: string; receivedAt: number; body: Notification }[]; close: () => Promise<void> }> {
  const received: { path: string; receivedAt: number; body: Notification }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      try {
        received.push({ path: request.url ?? '', receivedAt: Date.now(), body: JSON.parse(body) as Notification });
      } catch {
        // Not Alertmanager's: ignored.
      }
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface AmAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[]; silencedBy: string[] };
  fingerprint: string;
}

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

test(
  'a sick prober: PulseProberDown reaches pulse-owners, the flatlined journey alert of that replica is held by Alertmanager',
  { timeout: 120_000 },
  async (t) => {
    const dir = tempDir(t);
    const shop = await startShop();
    t.after(() => shop.close());

    // The real browser behind a wrapper that refuses to start it once the flag file exists.
    const real = findBrowser().executablePath;
    assert.ok(real, 'a Chromium to wrap: apt-get install chromium-headless-shell');
    const flag = path.join(dir, 'browser-refuses');
    const wrapper = path.join(dir, 'browser.sh');
    writeFileSync(wrapper, `#!/bin/sh\nif [ -e '${flag}' ]; then echo 'the browser refuses to start (test flag)' >&2; exit 1; fi\nexec '${real}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    t.after(() => rmSync(flag, { force: true }));

    const journeys = journeyDir('alertmanager-e2e');
    t.after(() => rmSync(journeys, { recursive: true, force: true }));
    writeJourney(
      journeys,
      { name: 'front-page', schedule: '*/3 * * * * *', timeout: '10s', retries: 0 },
      `async ({ page, step, params }) => { await step('open home', async () => { await page.goto(params.baseUrl); await expect(page.getByRole('heading', { level: 1 })).toBeVisible(); }); }`,
    );
    const pulse = new DaemonProcess(
      [
        '--base-url',
        shop.url,
        '--data-dir',
        path.join(dir, 'data'),
        '--location',
        'e2e-1',
        '--journeys',
        journeys,
        '--browser-path',
        wrapper,
        '--concurrency',
        '2',
      ],
      { PULSE_CONTROL_INTERVAL: '2s' },
    );
    t.after(() => pulse.stop());
    const pulseUrl = new URL(await pulse.started());
    const instance = pulseUrl.host;

    const webhook = await startWebhook();
    t.after(() => webhook.close());
    const amConfig = await rewritten(ALERTMANAGER_CONFIG, 'alertmanager.yml', path.join(dir, 'alertmanager.yml'), { webhook: webhook.url });
    const alertmanager = await startServerBinary({
      binary: '/usr/bin/prometheus-alertmanager',
      install: 'apt-get install -y prometheus-alertmanager',
      // No cluster: an empty listen address turns gossip off.
      args: [
        `--config.file=${amConfig}`,
        `--storage.path=${path.join(dir, 'am')}`,
        '--web.listen-address={address}',
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
    });
    t.after(() => alertmanager.stop());

    const ruleFiles = [
      await rewritten(path.join(PROMETHEUS_DIR, 'recording.yml'), 'recording.yml', path.join(dir, 'recording.yml')),
      await rewritten(path.join(PROMETHEUS_DIR, 'alerts.yml'), 'alerts.yml', path.join(dir, 'alerts.yml')),
    ];
    const prometheus = await startPrometheus({ dir, ruleFiles, targets: [instance], alertmanager: new URL(alertmanager.url).host });
    t.after(() => prometheus.stop());

    const query = prometheus.query;
    const promAlerts = prometheus.alerts;
    const delivered = () =>
      webhook.received.flatMap(({ path: at, receivedAt, body }) =>
        body.alerts.map((alert) => ({ at, receivedAt, status: alert.status, labels: alert.labels })),
      );
    const proberStatus = () => json<{ up: boolean; checks: Record<string, { ok: boolean; detail: string }> }>(`${pulseUrl.origin}/api/prober`);

    // Healthy: the control journey passes, the journey beats and Prometheus sees both.
    await pulse.waitFor((line) => line.event === 'heartbeat' && line.journey === 'front-page', 40_000);
    await eventually('the control check passing in Prometheus', 30_000, async () =>
      (await query(`pulse_prober_check_up{check="control",instance="${instance}"}`))[0]?.value[1] === '1' ? true : undefined,
    );
    await eventually('the journey named with its replica', 30_000, async () =>
      (await query('pulse:journey_instance:info{journey="front-page"}'))[0]?.metric.instance === instance ? true : undefined,
    );
    assert.ok(!pulse.lines.some((line) => line.event === 'control_failed'), 'the control journey passes while pulse is healthy');
    // A machine so starved that pulse reports itself down already would make the rest prove nothing.
    await eventually('pulse healthy before it is made sick', 30_000, async () => ((await proberStatus()).up ? true : undefined)).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify((await proberStatus()).checks)}`);
    });
    assert.deepEqual(
      delivered().filter((a) => a.labels.journey === 'front-page'),
      [],
      'no journey alert while healthy',
    );

    // Sick: the browser is killed and may not start again.
    const seen = pulse.lines.length;
    writeFileSync(flag, '');
    const mains = browserMains(pulse.child.pid!);
    assert.ok(mains.length > 0, 'the running browser was found');
    for (const main of mains) process.kill(main.pid, 'SIGKILL');
    const sickAt = Date.now();

    const controlFailed = await pulse.waitFor((line) => line.event === 'control_failed', 30_000, seen);
    assert.equal(controlFailed.status, 'error');
    assert.match(String(controlFailed.err), /browser/);
    const prober = await eventually('/api/prober saying the control check fails', 30_000, async () => {
      const status = await proberStatus();
      return !status.up && status.checks.control?.ok === false && status.checks.browser?.ok === false ? status : undefined;
    });
    assert.match(prober.checks.browser!.detail, /cannot be launched/);
    // The turn to down is logged with the failing checks (once: it may have been down before, e.g. on a starved machine).
    // The log is written asynchronously, so its line can reach the test after /api/prober's answer.
    const down =
      pulse.lines.filter((line) => line.event === 'prober_down').at(-1) ??
      (await pulse.waitFor((line) => line.event === 'prober_down', 10_000, seen).catch(() => undefined));
    assert.ok(down, 'prober_down logged');
    for (const line of pulse.lines.filter((l) => l.event === 'prober_down' || l.event === 'prober_up'))
      t.diagnostic(`${line.event} ${JSON.stringify(line.failing ?? [])}`);

    // PulseProberDown reaches the webhook, at pulse's owners.
    const proberDown = await eventually('PulseProberDown at the webhook', 40_000, async () =>
      delivered().find((a) => a.labels.alertname === 'PulseProberDown' && a.status === 'firing' && a.receivedAt > sickAt),
    );
    assert.equal(proberDown.at, '/pulse-owners');
    assert.equal(proberDown.labels.instance, instance);
    assert.equal(proberDown.labels.location, 'e2e-1');
    t.diagnostic(`PulseProberDown delivered ${Date.now() - sickAt} ms after the browser was killed`);

    // The heartbeat flatlines: the alert fires in Prometheus, for the sick replica.
    const flatlined = await eventually('PulseHeartbeatFlatlined firing in Prometheus', 60_000, async () =>
      (await promAlerts()).find((a) => a.labels.alertname === 'PulseHeartbeatFlatlined' && a.labels.journey === 'front-page' && a.state === 'firing'),
    );
    assert.equal(flatlined.labels.instance, instance, 'the journey alert names the replica that runs the journey');
    assert.equal(flatlined.labels.severity, 'critical');

    // Alertmanager has it, held by PulseProberDown.
    const held = await eventually('the flatline alert inhibited in Alertmanager', 30_000, async () => {
      const alerts = await json<AmAlert[]>(`${alertmanager.url}/api/v2/alerts?active=true&inhibited=true&silenced=false`);
      return alerts.find((a) => a.labels.alertname === 'PulseHeartbeatFlatlined' && a.labels.journey === 'front-page' && a.status.inhibitedBy.length > 0);
    });
    assert.equal(held.status.state, 'suppressed');
    const sources = await json<AmAlert[]>(`${alertmanager.url}/api/v2/alerts?active=true&inhibited=false`);
    const source = sources.find((a) => a.labels.alertname === 'PulseProberDown');
    assert.ok(source, 'PulseProberDown is active and not itself held');
    assert.deepEqual(held.status.inhibitedBy, [source.fingerprint], 'held by PulseProberDown');
    // Every journey alert of this replica is held by now, whatever reached pulse-owners before PulseProberDown did.
    const journeyAlerts = (await json<AmAlert[]>(`${alertmanager.url}/api/v2/alerts?active=true&inhibited=true`)).filter(
      (a) => a.labels.journey && a.labels.instance === instance,
    );
    assert.ok(journeyAlerts.length > 0);
    for (const alert of journeyAlerts) assert.equal(alert.status.state, 'suppressed', `${alert.labels.alertname} held`);

    // Several notification rounds later, nobody has been told about the journey's heartbeat.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    assert.deepEqual(
      delivered().filter((a) => a.labels.alertname === 'PulseHeartbeatFlatlined'),
      [],
      'the held flatline alert never reached a receiver',
    );
    assert.ok(!delivered().some((a) => a.at === '/pager'), 'nothing paged the product on-call');

    assert.equal(await prometheus.stop(), 0, 'Prometheus stopped cleanly');
    assert.equal(await alertmanager.stop(), 0, 'Alertmanager stopped cleanly');
    assert.equal(await pulse.stop(), 0, 'pulse stopped cleanly');
  },
);
