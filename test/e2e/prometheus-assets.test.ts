/**
 * The shipped Prometheus and Grafana assets (deploy/prometheus, deploy/grafana) checked with
 * the real promtool: rules and config are valid, the rule unit tests pass, and the rules,
 * their tests and the dashboard only speak of metrics pulse exports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_METRICS } from '../../src/sinks/metric-definitions.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const prometheusDir = path.join(root, 'deploy', 'prometheus');
const ruleTestsDir = path.join(prometheusDir, 'tests');
const configFile = path.join(prometheusDir, 'prometheus.yml');
const dashboardFile = path.join(root, 'deploy', 'grafana', 'dashboard.json');

/** What pulse exports, on /metrics and in pushes: the one table the sinks build their series from. */
const PULSE_METRICS = new Set(ALL_METRICS.filter((metric) => metric.type !== 'histogram').map((metric) => metric.name));
const PULSE_HISTOGRAMS = new Set(ALL_METRICS.filter((metric) => metric.type === 'histogram').map((metric) => metric.name));
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];
const SEVERITIES = new Set(['critical', 'warning', 'info']);

const PULSE_METRIC_NAME = /\bpulse_[a-z_]+/g;
const RECORDING_RULE_NAME = /\bpulse:[a-z0-9_:]+/g;

interface ToolRun {
  code: number;
  output: string;
}

/** Runs promtool; a missing promtool is a failure with the fix, never a skip. */
function promtool(args: readonly string[], cwd = prometheusDir): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    execFile('promtool', [...args], { cwd, timeout: 120_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error === null) {
        resolve({ code: 0, output });
        return;
      }
      if (error.code === 'ENOENT') {
        reject(new Error('promtool is not on PATH: apt-get install prometheus (Debian ships promtool with it)'));
        return;
      }
      if (error.killed) {
        reject(new Error(`promtool ${args.join(' ')} timed out after 120s\n${output}`));
        return;
      }
      resolve({ code: typeof error.code === 'number' ? error.code : 1, output: output || error.message });
    });
  });
}

async function assertPromtoolPasses(args: readonly string[], cwd?: string): Promise<string> {
  const run = await promtool(args, cwd);
  assert.equal(run.code, 0, `promtool ${args.join(' ')} exited ${run.code}:\n${run.output}`);
  return run.output;
}

async function yamlFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  return names.map((name) => path.join(dir, name));
}

async function ruleFiles(): Promise<string[]> {
  return (await yamlFiles(prometheusDir)).filter((file) => file !== configFile);
}

/** YAML text without its comment lines: comments may name anything. */
function withoutComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n');
}

function unknownMetrics(text: string, { bareHistograms }: { bareHistograms: boolean }): string[] {
  const unknown = new Set<string>();
  for (const [name] of text.matchAll(PULSE_METRIC_NAME)) {
    if (PULSE_METRICS.has(name)) continue;
    if (bareHistograms && PULSE_HISTOGRAMS.has(name)) continue;
    const suffix = HISTOGRAM_SUFFIXES.find((s) => name.endsWith(s));
    if (suffix !== undefined && PULSE_HISTOGRAMS.has(name.slice(0, -suffix.length))) continue;
    unknown.add(name);
  }
  return [...unknown];
}

async function recordedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const file of await ruleFiles()) {
    const text = await readFile(file, 'utf8');
    for (const match of text.matchAll(/^\s*-\s*record:\s*(\S+)\s*$/gm)) names.add(match[1] ?? '');
  }
  return names;
}

interface AlertBlock {
  name: string;
  text: string;
}

/** Splits alerts.yml into one text block per `- alert:` rule (promtool cannot dump rules). */
function alertBlocks(text: string): AlertBlock[] {
  const source = withoutComments(text);
  const starts = [...source.matchAll(/^\s*- alert:\s*(\S+)\s*$/gm)];
  return starts.map((match, i) => {
    const end = starts[i + 1]?.index ?? source.length;
    const block = source.slice(match.index, end).split(/^\s*- name:/m)[0] ?? '';
    return { name: match[1] ?? '', text: block };
  });
}

interface DataSourceRef {
  type?: string;
  uid?: string;
}
interface Target {
  refId?: string;
  expr?: string;
  datasource?: DataSourceRef;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { x?: number; y?: number; w?: number; h?: number };
  datasource?: DataSourceRef;
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { links?: { url?: string }[] } };
}
interface Variable {
  name?: string;
  type?: string;
  query?: string | { query?: string };
  definition?: string;
}
interface Dashboard {
  schemaVersion?: number;
  panels?: Panel[];
  templating?: { list?: Variable[] };
}

async function loadDashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(dashboardFile, 'utf8')) as Dashboard;
}

/** Panels, including those nested in collapsed rows. */
function allPanels(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

function dashboardExprs(dashboard: Dashboard): { panel: string; expr: string }[] {
  return allPanels(dashboard).flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: `${panel.id} "${panel.title}"`, expr: target.expr ?? '' })));
}

test('promtool check rules passes on every rules file', async () => {
  const files = await ruleFiles();
  assert.ok(files.length > 0, `no rules files in ${prometheusDir}`);
  for (const file of files) await assertPromtoolPasses(['check', 'rules', file]);
});

test('promtool check config passes on prometheus.yml and finds its rule files', async () => {
  // Run from the repository root: rule_files must resolve relative to the config file.
  const output = await assertPromtoolPasses(['check', 'config', configFile], root);
  for (const file of await ruleFiles()) {
    assert.ok(output.includes(path.basename(file)), `prometheus.yml does not load ${path.basename(file)}:\n${output}`);
  }
});

test('promtool test rules passes on the rule unit tests', async () => {
  const files = await yamlFiles(ruleTestsDir);
  assert.ok(files.length > 0, `no rule unit tests in ${ruleTestsDir}`);
  await assertPromtoolPasses(['test', 'rules', ...files]);
});

test('rules and their unit tests only name metrics pulse exports', async () => {
  for (const file of [...(await ruleFiles()), ...(await yamlFiles(ruleTestsDir))]) {
    const text = withoutComments(await readFile(file, 'utf8'));
    assert.deepEqual(unknownMetrics(text, { bareHistograms: true }), [], `unknown pulse metric in ${file}`);
  }
});

test('rules and their unit tests only use recording rules that are defined', async () => {
  const recorded = await recordedNames();
  assert.ok(recorded.size > 0, 'no recording rules found');
  for (const file of [...(await ruleFiles()), ...(await yamlFiles(ruleTestsDir))]) {
    const text = withoutComments(await readFile(file, 'utf8'));
    const undefinedNames = [...text.matchAll(RECORDING_RULE_NAME)].map(([name]) => name).filter((n) => !recorded.has(n));
    assert.deepEqual([...new Set(undefinedNames)], [], `undefined recording rule in ${file}`);
  }
});

test('every alert has a severity, summary, description and link, and unit tests that fire and silence it', async () => {
  const alerts = alertBlocks(await readFile(path.join(prometheusDir, 'alerts.yml'), 'utf8'));
  assert.ok(alerts.length >= 5, `expected the pulse alerts, found ${alerts.map((a) => a.name).join(', ')}`);
  const names = alerts.map((a) => a.name);
  assert.equal(new Set(names).size, names.length, `duplicate alert names: ${names.join(', ')}`);

  const testsText = (await Promise.all((await yamlFiles(ruleTestsDir)).map((f) => readFile(f, 'utf8')))).join('\n');
  for (const { name, text } of alerts) {
    const severity = /^\s+severity:\s*(\S+)\s*$/m.exec(text)?.[1];
    assert.ok(severity !== undefined && SEVERITIES.has(severity), `${name}: severity label missing or not one of ${[...SEVERITIES].join('|')}`);
    for (const annotation of ['summary', 'description', 'runbook_url']) {
      assert.match(text, new RegExp(`^\\s+${annotation}:\\s*\\S`, 'm'), `${name}: annotation ${annotation} missing`);
    }
    const fires = new RegExp(`alertname:\\s*${name}\\s*\\n\\s*exp_alerts:\\s*\\n\\s*- exp_labels:`);
    const silent = new RegExp(`alertname:\\s*${name}\\s*,?\\s*exp_alerts:\\s*\\[\\]`);
    assert.match(testsText, fires, `${name}: no unit test where it fires`);
    assert.match(testsText, silent, `${name}: no unit test where it stays silent`);
  }
  // A silent expectation on a misspelt alert name would pass vacuously.
  for (const [, tested] of testsText.matchAll(/alertname:\s*([A-Za-z0-9_]+)/g)) {
    assert.ok(names.includes(tested ?? ''), `unit tests name alert ${tested}, which alerts.yml does not define`);
  }
});

test('only the product pages: a critical alert is about the target, the heartbeat, or pulse itself (routed to its owners)', async () => {
  const alerts = alertBlocks(await readFile(path.join(prometheusDir, 'alerts.yml'), 'utf8'));
  const critical = alerts.filter(({ text }) => /^\s+severity:\s*critical\s*$/m.test(text));
  assert.ok(critical.length > 0, 'no critical alert at all');
  for (const { name, text } of critical) {
    const cause = /^\s+cause:\s*(\S+)\s*$/m.exec(text)?.[1];
    assert.ok(cause === 'target' || cause === 'prober' || name === 'PulseHeartbeatFlatlined', `${name} pages with cause ${cause ?? '(none)'}`);
  }
  for (const { name, text } of alerts) {
    const cause = /^\s+cause:\s*(\S+)\s*$/m.exec(text)?.[1];
    if (cause === 'third_party' || cause === 'journey') assert.match(text, /^\s+severity:\s*warning\s*$/m, `${name} (cause ${cause}) must be a warning`);
  }
  // Every alert about pulse itself carries cause="prober", so that Alertmanager routes it to pulse's owners.
  const prober = (await readFile(path.join(prometheusDir, 'alerts.yml'), 'utf8')).split(/^\s*- name: pulse\.prober\s*$/m)[1] ?? '';
  const proberAlerts = alertBlocks(`groups:\n  - name: pulse.prober\n${prober}`);
  assert.ok(
    proberAlerts.some((a) => a.name === 'PulseProberDown'),
    'PulseProberDown is in the pulse.prober group',
  );
  for (const { name, text } of proberAlerts) assert.match(text, /^\s+cause:\s*prober\s*$/m, `${name}: cause prober`);
});

test('per-location journey alerts name the replica that runs the journey, so its PulseProberDown can hold them', async () => {
  const alerts = alertBlocks(await readFile(path.join(prometheusDir, 'alerts.yml'), 'utf8'));
  const named = alerts
    .filter(({ text }) => /group_left \(instance\) pulse:journey_instance:info/.test(text))
    .map((a) => a.name)
    .sort();
  assert.deepEqual(named, [
    'PulseHeartbeatFlatlined',
    'PulseJourneyCodeFailing',
    'PulseJourneyDegraded',
    'PulseJourneyDownInLocation',
    'PulseJourneyFlaky',
    'PulseJourneySuccessRateLow',
    'PulseJourneyThirdPartyFailing',
    'PulseProberErrors',
    'PulseStepNearTimeout',
  ]);
  const proberDown = alerts.find((a) => a.name === 'PulseProberDown');
  assert.ok(proberDown, 'PulseProberDown is defined');
  assert.match(proberDown.text, /expr:\s*pulse_prober_up == 0/, 'PulseProberDown keeps the instance label of pulse_prober_up');
});

test('the retry-absorbed transient failure is tested against every alert', async () => {
  const text = await readFile(path.join(ruleTestsDir, 'retry_absorbed_test.yml'), 'utf8');
  assert.match(text, /pulse_journey_attempts_total\{[^}]*result="failure"/);
  assert.match(text, /pulse_journey_flaky_runs_total/);
  const alerts = alertBlocks(await readFile(path.join(prometheusDir, 'alerts.yml'), 'utf8'));
  for (const { name } of alerts) {
    assert.match(text, new RegExp(`alertname:\\s*${name}\\s*,\\s*exp_alerts:\\s*\\[\\]`), `${name} not checked silent`);
  }
});

test('dashboard panels have unique ids, a grid position and the datasource variable', async () => {
  const dashboard = await loadDashboard();
  assert.ok((dashboard.schemaVersion ?? 0) >= 39, `schemaVersion ${dashboard.schemaVersion} < 39`);
  const panels = allPanels(dashboard);
  assert.ok(panels.length > 0, 'dashboard has no panels');
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, `panel ids not unique: ${ids.join(', ')}`);
  for (const panel of panels) {
    const label = `panel ${panel.id} "${panel.title}"`;
    assert.equal(typeof panel.id, 'number', `${label}: no numeric id`);
    const grid = panel.gridPos;
    assert.ok(grid !== undefined, `${label}: no gridPos`);
    for (const key of ['x', 'y', 'w', 'h'] as const) assert.equal(typeof grid[key], 'number', `${label}: gridPos.${key}`);
    assert.ok((grid.x ?? 0) + (grid.w ?? 0) <= 24, `${label}: wider than the 24-column grid`);
    if (panel.type === 'row') continue;
    assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, `${label}: datasource`);
    assert.ok((panel.targets ?? []).length > 0, `${label}: no targets`);
    for (const target of panel.targets ?? []) {
      assert.deepEqual(target.datasource, { type: 'prometheus', uid: '${datasource}' }, `${label} ${target.refId}: datasource`);
      assert.ok((target.expr ?? '').trim() !== '', `${label} ${target.refId}: empty expr`);
    }
  }
});

test('dashboard variables: prometheus datasource, journey and location from label_values, pulse_url', async () => {
  const variables = (await loadDashboard()).templating?.list ?? [];
  const byName = new Map(variables.map((v) => [v.name, v]));
  const datasource = byName.get('datasource');
  assert.equal(datasource?.type, 'datasource');
  assert.equal(datasource?.query, 'prometheus');
  for (const name of ['journey', 'location']) {
    const variable = byName.get(name);
    assert.equal(variable?.type, 'query', `${name} variable`);
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    assert.match(query ?? '', new RegExp(`^label_values\\(pulse_[a-z_]+(\\{[^}]*\\})?, ${name}\\)$`), `${name} query`);
  }
  assert.ok(['textbox', 'constant'].includes(byName.get('pulse_url')?.type ?? ''), 'pulse_url textbox or constant');
});

test('dashboard links journeys to the pulse UI', async () => {
  const links = allPanels(await loadDashboard()).flatMap((p) => p.fieldConfig?.defaults?.links ?? []);
  assert.ok(
    links.some((link) => link.url === '${pulse_url}/journeys/${__field.labels.journey}'),
    'no data link to ${pulse_url}/journeys/${__field.labels.journey}',
  );
});

test('dashboard queries name only pulse metrics and defined recording rules', async () => {
  const exprs = dashboardExprs(await loadDashboard());
  const recorded = await recordedNames();
  for (const { panel, expr } of exprs) {
    assert.deepEqual(unknownMetrics(expr, { bareHistograms: false }), [], `panel ${panel}: ${expr}`);
    const undefinedNames = [...expr.matchAll(RECORDING_RULE_NAME)].map(([name]) => name).filter((n) => !recorded.has(n));
    assert.deepEqual(undefinedNames, [], `panel ${panel} uses undefined recording rules: ${expr}`);
  }
});

test('dashboard queries are valid PromQL', async () => {
  // Grafana's variables replaced by plain values, every query checked as a recording rule.
  const grafanaValues: Record<string, string> = { __rate_interval: '2m', __interval: '1m', __range: '6h' };
  const rules = dashboardExprs(await loadDashboard()).map(({ expr }, i) => ({
    record: `dashboard:query_${i}`,
    expr: expr.replace(/\$\{?(\w+)\}?/g, (_, name: string) => grafanaValues[name] ?? '.*'),
  }));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pulse-dashboard-'));
  try {
    const file = path.join(dir, 'dashboard-queries.yml');
    // JSON is YAML: no YAML writer needed.
    await writeFile(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }, null, 2));
    await assertPromtoolPasses(['check', 'rules', file], dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
