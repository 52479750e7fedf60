/**
 * The shipped Alertmanager configuration (deploy/alertmanager) checked with the real amtool: it
 * is valid, every alert of deploy/prometheus/alerts.yml reaches the receiver its cause and
 * severity call for, and the inhibit rule holds journey alerts of a replica whose prober is down.
 * test/alertmanager-e2e.test.ts shows the hold with a real Alertmanager.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const configFile = path.join(root, 'deploy', 'alertmanager', 'alertmanager.yml');
const alertsFile = path.join(root, 'deploy', 'prometheus', 'alerts.yml');
const INSTALL = 'apt-get install prometheus-alertmanager (Debian ships amtool with it)';

/** Runs amtool; a missing amtool is a failure with the fix, never a skip. */
function amtool(args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('amtool', [...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error === null) return resolve({ code: 0, output });
      if (error.code === 'ENOENT') return reject(new Error(`amtool is not on PATH: ${INSTALL}`));
      resolve({ code: typeof error.code === 'number' ? error.code : 1, output: output || error.message });
    });
  });
}

interface AlertRule {
  alert?: string;
  labels?: Record<string, string>;
}

async function shippedAlerts(): Promise<{ name: string; labels: Record<string, string> }[]> {
  const rules = parse(await readFile(alertsFile, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return rules.groups
    .flatMap((group) => group.rules)
    .filter((rule) => rule.alert)
    .map((rule) => ({ name: rule.alert!, labels: rule.labels ?? {} }));
}

test('amtool check-config passes on alertmanager.yml', async () => {
  const run = await amtool(['check-config', configFile]);
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, /SUCCESS/);
  assert.match(run.output, /1 inhibit rules/);
});

test('every shipped alert reaches its receiver: pulse-owners for cause prober, pager for critical, team for the rest', async () => {
  const alerts = await shippedAlerts();
  assert.ok(alerts.length >= 10, `expected the shipped alerts, found ${alerts.length}`);
  const receivers = new Set<string>();
  for (const { name, labels } of alerts) {
    const expected = labels.cause === 'prober' ? 'pulse-owners' : labels.severity === 'critical' ? 'pager' : 'team';
    receivers.add(expected);
    const pairs = Object.entries({ alertname: name, ...labels, journey: 'checkout', location: 'eu-1', instance: 'pulse-eu-1:8080' }).map(
      ([k, v]) => `${k}=${v}`,
    );
    const run = await amtool(['config', 'routes', 'test', `--config.file=${configFile}`, `--verify.receivers=${expected}`, ...pairs]);
    assert.equal(run.code, 0, `${name} (${JSON.stringify(labels)}) should go to ${expected}: ${run.output}`);
  }
  assert.deepEqual([...receivers].sort(), ['pager', 'pulse-owners', 'team'], 'every receiver is used by some alert');
  // The product's pager gets only the target's failures and the heartbeat.
  const paging = alerts
    .filter(({ labels }) => labels.severity === 'critical' && labels.cause !== 'prober')
    .map((a) => a.name)
    .sort();
  assert.deepEqual(paging, ['PulseHeartbeatFlatlined', 'PulseJourneyDownEverywhere']);
});

test('the inhibit rule holds journey alerts while PulseProberDown fires for the same instance, and nothing else', async () => {
  const config = parse(await readFile(configFile, 'utf8')) as {
    inhibit_rules?: { source_matchers?: string[]; target_matchers?: string[]; equal?: string[] }[];
  };
  const rules = config.inhibit_rules ?? [];
  assert.equal(rules.length, 1, 'one inhibit rule');
  const [rule] = rules;
  assert.deepEqual(rule?.source_matchers, ['alertname="PulseProberDown"']);
  assert.deepEqual(rule?.target_matchers, ['journey=~".+"']);
  assert.deepEqual(rule?.equal, ['instance']);
  // PulseProberDown has no journey label, so it can never hold itself.
  const alerts = await shippedAlerts();
  const source = alerts.find((a) => a.name === 'PulseProberDown');
  assert.ok(source, 'alerts.yml defines PulseProberDown');
  assert.equal(source.labels.journey, undefined);
});

test('the webhook URLs are placeholders to replace', async () => {
  const config = parse(await readFile(configFile, 'utf8')) as { receivers: { name: string; webhook_configs?: { url: string }[] }[] };
  assert.ok(config.receivers.length > 0, 'alertmanager.yml has receivers');
  for (const receiver of config.receivers) {
    const urls = (receiver.webhook_configs ?? []).map((w) => w.url);
    assert.ok(urls.length > 0, `${receiver.name}: no webhook`);
    for (const url of urls) assert.match(url, /^https:\/\/alerts\.example\.internal\//, `${receiver.name}: ${url}`);
  }
});
