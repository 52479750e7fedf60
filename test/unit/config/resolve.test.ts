// Good settings: defaults, which source wins, and the values Config derives from them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSetting, resolveConfig, secretPartners, secretValues, type Config, type ResolveOptions } from '../../../src/config.ts';
import { PulseError } from '../../../src/errors.ts';
import { defaultOf } from '../../../src/settings/table.ts';

function configOf(options: ResolveOptions): Config {
  const result = resolveConfig({ cwd: '/srv/pulse', env: {}, ...options });
  assert.deepEqual(result.problems, []);
  assert.ok(result.config);
  return result.config;
}

test('nothing set: every default, paths resolved against the working folder', () => {
  const config = configOf({});
  assert.deepEqual(config, {
    journeysDir: '/srv/pulse/journeys',
    playwrightConfig: '/srv/pulse/playwright.config.ts',
    playwrightConfigRequired: false,
    specs: '**/*.spec.ts',
    projects: undefined,
    browserPath: undefined,
    systemBrowserPaths: undefined,
    dataDir: '/srv/pulse/.pulse-data',
    location: 'local',
    host: '127.0.0.1',
    port: 9477,
    concurrency: defaultOf('concurrency'),
    workerMemoryBytes: 512 * 1024 * 1024,
    loadTimeoutMs: 10_000,
    logLevel: 'info',
    logFormat: 'auto',
    trace: 'on-retry',
    markTraffic: false,
    webVitals: true,
    gracePeriodMs: 30_000,
    params: {},
    secretParams: [],
    shard: undefined,
    publicUrl: undefined,
    pushgatewayUrl: undefined,
    webhookUrl: undefined,
    webhookKind: 'ping',
    retention: { artifactMaxAgeMs: 7 * 86_400_000, artifactMaxBytes: 1024 ** 3, historyMaxAgeMs: 30 * 86_400_000 },
    auth: { token: undefined, user: undefined, password: undefined, metrics: false },
    allowOpenWrites: false,
    sessionKey: undefined,
    url: undefined,
    controlIntervalMs: 30_000,
  });
  assert.ok(Object.isFrozen(config));
  assert.ok(defaultOf('concurrency') >= 1);
});

test('a flag wins over its variable, a command override over both; a blank variable counts as unset', () => {
  const env = { PULSE_PORT: '8000', PULSE_LOCATION: 'eu-1', PULSE_HOST: '  ', PULSE_GRACE_PERIOD: '10s' };
  const config = configOf({ env, flags: { port: '8001', gracePeriod: '5s' }, overrides: { port: '8002' } });
  assert.equal(config.port, 8002);
  assert.equal(config.location, 'eu-1');
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.gracePeriodMs, 5_000);
});

test('every variable read into its type', () => {
  const config = configOf({
    env: {
      PULSE_JOURNEYS: '/etc/pulse/journeys',
      PULSE_DATA_DIR: 'data',
      PULSE_CONCURRENCY: ' 3 ',
      PULSE_WORKER_MEMORY: '1GiB',
      PULSE_LOAD_TIMEOUT: '2s',
      PULSE_LOG_LEVEL: 'debug',
      PULSE_LOG_FORMAT: 'json',
      PULSE_TRACE: 'always',
      PULSE_MARK_TRAFFIC: 'on',
      PULSE_WEB_VITALS: 'off',
      PULSE_ARTIFACT_MAX_AGE: '1d',
      PULSE_ARTIFACT_MAX_BYTES: '500MB',
      PULSE_HISTORY_MAX_AGE: '12h',
      PULSE_AUTH_METRICS: '1',
      PULSE_ALLOW_OPEN_WRITES: '1',
      PULSE_CONTROL_INTERVAL: 'off',
      PULSE_BROWSER_PATH: '/usr/bin/chromium',
      PULSE_SYSTEM_BROWSER_PATHS: '/a::/b',
      PULSE_WEBHOOK_KIND: 'uptime-kuma',
    },
  });
  assert.equal(config.journeysDir, '/etc/pulse/journeys');
  assert.equal(config.dataDir, '/srv/pulse/data');
  assert.equal(config.concurrency, 3);
  assert.equal(config.workerMemoryBytes, 1024 ** 3);
  assert.equal(config.loadTimeoutMs, 2_000);
  assert.deepEqual([config.logLevel, config.logFormat, config.trace], ['debug', 'json', 'always']);
  assert.deepEqual([config.markTraffic, config.webVitals, config.auth.metrics, config.allowOpenWrites], [true, false, true, true]);
  assert.deepEqual(config.retention, { artifactMaxAgeMs: 86_400_000, artifactMaxBytes: 500_000_000, historyMaxAgeMs: 12 * 3_600_000 });
  assert.equal(config.controlIntervalMs, undefined);
  assert.equal(config.browserPath, '/usr/bin/chromium');
  assert.deepEqual(config.systemBrowserPaths, ['/a', '/b']);
  assert.equal(config.webhookKind, 'uptime-kuma');
});

test('URLs that paths are appended to lose their trailing slashes; the webhook template is kept as written', () => {
  const config = configOf({
    env: {
      PULSE_PUBLIC_URL: 'https://pulse.example.com/',
      PULSE_PUSHGATEWAY_URL: 'http://pushgateway:9091//',
      PULSE_WEBHOOK_URL: 'https://hc-ping.com/key/{journey}/',
    },
    flags: { url: 'http://127.0.0.1:9477/' },
  });
  assert.equal(config.publicUrl, 'https://pulse.example.com');
  assert.equal(config.pushgatewayUrl, 'http://pushgateway:9091');
  assert.equal(config.webhookUrl, 'https://hc-ping.com/key/{journey}/');
  assert.equal(config.url, 'http://127.0.0.1:9477');
});

test('params: --base-url over --param over PULSE_PARAM_*; secret ones by name or by PULSE_SECRET_PARAMS', () => {
  const config = configOf({
    env: {
      PULSE_PARAM_BASE_URL: 'http://env.example',
      PULSE_PARAM_TEST_USER: 'qa',
      PULSE_PARAM_CARD_NUMBER: '4111',
      PULSE_PARAM_API_KEY: 'k-1',
      PULSE_SECRET_PARAMS: 'CARD_NUMBER, otpSeed,',
    },
    flags: { param: ['baseUrl=http://param.example', 'otpSeed=s-1', 'testUser=qa2'], baseUrl: 'http://flag.example' },
  });
  assert.deepEqual(config.params, { baseUrl: 'http://flag.example', testUser: 'qa2', cardNumber: '4111', apiKey: 'k-1', otpSeed: 's-1' });
  assert.deepEqual([...config.secretParams].sort(), ['apiKey', 'cardNumber', 'otpSeed']);
  assert.deepEqual(secretValues(config).sort(), ['4111', 'k-1', 's-1']);
  assert.deepEqual(secretPartners({ ...config, auth: { ...config.auth, user: 'oncall' } }).sort(), ['http://flag.example', 'oncall', 'qa2']);
  assert.equal(
    configOf({ env: { PULSE_PARAM_BASE_URL: 'http://env.example' }, flags: { param: ['baseUrl=http://param.example'] } }).params.baseUrl,
    'http://param.example',
  );
  assert.equal(configOf({ env: { PULSE_PARAM_BASE_URL: 'http://env.example' } }).params.baseUrl, 'http://env.example');
});

test('the shard: PULSE_SHARD, else the pod ordinal out of PULSE_SHARD_COUNT', () => {
  assert.deepEqual(configOf({ flags: { shard: '2/3' } }).shard, { index: 2, total: 3 });
  assert.deepEqual(configOf({ env: { PULSE_SHARD_COUNT: '3', HOSTNAME: 'pulse-eu-west-1-2' } }).shard, { index: 3, total: 3 });
  assert.deepEqual(configOf({ env: { PULSE_SHARD: '1/2', PULSE_SHARD_COUNT: '3', HOSTNAME: 'laptop' } }).shard, { index: 1, total: 2 });
});

test("playwright.config.ts: 'none' for none; one named must exist, the default may be missing", () => {
  assert.equal(configOf({ env: { PULSE_PLAYWRIGHT_CONFIG: 'none' } }).playwrightConfig, undefined);
  const named = configOf({ flags: { playwrightConfig: 'e2e/pw.config.ts' } });
  assert.equal(named.playwrightConfig, '/srv/pulse/e2e/pw.config.ts');
  assert.equal(named.playwrightConfigRequired, true);
});

test('auth: a good token, or a user and password', () => {
  const config = configOf({ env: { PULSE_AUTH_TOKEN: '0123456789abcdef', PULSE_AUTH_USER: 'oncall', PULSE_AUTH_PASSWORD: 'correct horse' } });
  assert.deepEqual(config.auth, { token: '0123456789abcdef', user: 'oncall', password: 'correct horse', metrics: false });
});

test("PULSE_ALLOW_VARS lets another program's variable through, and the tooling's own are known", () => {
  configOf({
    env: { PULSE_AUDIO_SERVER: 'unix:/run/pulse', PULSE_ALLOW_VARS: 'PULSE_AUDIO_SERVER', PULSE_SKIP_BROWSER_INSTALL: '1', PULSE_DEMO_PORT: '3200' },
  });
});

test('readSetting: one setting from the environment alone, blank as unset, a bad one as the same problem line', () => {
  assert.equal(readSetting('browserPath', { PULSE_BROWSER_PATH: '/opt/chrome' }), '/opt/chrome');
  assert.equal(readSetting('browserPath', { PULSE_BROWSER_PATH: ' ' }), undefined);
  assert.equal(readSetting('trace', {}), 'on-retry');
  assert.deepEqual(readSetting('systemBrowserPaths', { PULSE_SYSTEM_BROWSER_PATHS: '/a:/b' }), ['/a', '/b']);
  assert.throws(
    () => readSetting('port', { PULSE_PORT: 'x' }),
    (error: unknown) =>
      error instanceof PulseError &&
      error.message.includes('PULSE_PORT (--port)="x": must be a whole number; fix: correct the value, or leave it out to use the default 9477'),
  );
});
