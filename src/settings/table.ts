// Every setting of pulse, declared once: its variable, its flag, how its value is read, its
// default, what it does and the fix for a bad value. Config resolution, the CLI's flags, the
// problems reported at start and docs/settings.md are all made from this table.
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import {
  baseUrl,
  duration,
  durationOrOff,
  location,
  nameList,
  oneOf,
  onOff,
  pathList,
  relativeGlob,
  shard,
  size,
  text,
  timerDuration,
  url,
  urlTemplate,
  wholeNumber,
  zeroOne,
  type Parser,
} from './values.ts';

export type { Shard } from './values.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
const TRACE_MODES = ['off', 'on-retry', 'always'] as const;
/** When a run records a Playwright trace: by default only its retry, so a confirmed failure has one. */
export type TraceMode = (typeof TRACE_MODES)[number];
/**
 * ping: healthchecks.io and its kin: `<url>` on success, `<url>/fail` otherwise, a short text body.
 * uptime-kuma: Uptime Kuma's push URL, `<url>?status=up|down&msg=<text>&ping=<ms>`.
 */
const WEBHOOK_KINDS = ['ping', 'uptime-kuma'] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

/** The commands that take a flag. */
export type CommandName = 'once' | 'run' | 'demo' | 'list' | 'validate' | 'trigger' | 'pause' | 'resume';
/** Every command that loads journeys: most flags are on all of them. */
export const LOADING: readonly CommandName[] = ['once', 'run', 'demo', 'list', 'validate'];
const DAEMON: readonly CommandName[] = ['run', 'demo'];
const REMOTE: readonly CommandName[] = ['trigger', 'pause', 'resume'];

export interface Flag {
  /** As commander spells it: the name and its value, e.g. `--grace-period <duration>`. */
  spec: `--${string} <${string}>`;
  on: readonly CommandName[];
}

/** What the table says of a setting, besides how to read it. */
interface About<F extends Flag | undefined> {
  env: `PULSE_${string}`;
  flag?: F;
  /** One line: what it does. Shown in `--help` and in docs/settings.md. */
  description: string;
  /** The value as a person would write it; used when the setting is not given. */
  default?: string;
  /** The default as docs/settings.md shows it, where it depends on the machine. */
  shownDefault?: string;
  /** What to do about a bad value, when more can be said than to correct it or leave it out. */
  fix?: string;
  /** Its value is never echoed back in a problem. */
  secret?: boolean;
}

interface Declaration<T, F extends Flag | undefined> extends About<F> {
  parse: Parser<T>;
}

export type Reading<T> = { ok: true; value: T } | { ok: false; message: string };

/** A declared setting, able to read the text given for it (or its default) into its value. */
export interface Setting<T, F extends Flag | undefined = Flag | undefined> extends About<F> {
  /** The value of the text given, of the default when none is, undefined when there is neither. */
  read(given: string | undefined): Reading<T>;
}

// With a default the value is always there; without one it may be undefined.
function setting<T, const F extends Flag | undefined = undefined>(declaration: Declaration<T, F> & { default: string }): Setting<T, F>;
function setting<T, const F extends Flag | undefined = undefined>(declaration: Declaration<T, F> & { default?: undefined }): Setting<T | undefined, F>;
function setting<T, const F extends Flag | undefined>(declaration: Declaration<T, F>): Setting<T | undefined, F> {
  const { parse, ...rest } = declaration;
  return {
    ...rest,
    read(given) {
      const text = given ?? declaration.default;
      if (text === undefined) return { ok: true, value: undefined };
      const parsed = parse.safeParse(text);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: parsed.error.issues[0]?.message ?? 'invalid' };
    },
  };
}

const MIB = 1024 * 1024;

export const SETTINGS = {
  journeysDir: setting({
    env: 'PULSE_JOURNEYS',
    flag: { spec: '--journeys <dir>', on: LOADING },
    description: 'folder searched for `*.journey.ts` and Playwright Test spec files',
    default: 'journeys',
    parse: text,
  }),
  specs: setting({
    env: 'PULSE_SPECS',
    flag: { spec: '--specs <glob>', on: LOADING },
    description: 'Playwright Test files in the journeys folder whose tests are journeys (a glob relative to it), or `none`',
    default: '**/*.spec.ts',
    parse: relativeGlob,
  }),
  projects: setting({
    env: 'PULSE_PROJECTS',
    flag: { spec: '--projects <names>', on: LOADING },
    description: 'comma-separated projects of the Playwright config whose spec tests run; all of them when not given',
    parse: nameList,
  }),
  baseUrl: setting({
    env: 'PULSE_PARAM_BASE_URL',
    flag: { spec: '--base-url <url>', on: LOADING },
    description: '`params.baseUrl`: the site the journeys probe',
    fix: 'give the address of the site the journeys probe, e.g. --base-url https://shop.example.com',
    parse: url,
  }),
  secretParams: setting({
    env: 'PULSE_SECRET_PARAMS',
    description:
      'more param names to redact, comma-separated, as `CARD_NUMBER` or `cardNumber`; names with pass, secret, token, key, credential or auth are redacted anyway',
    parse: nameList,
  }),
  location: setting({
    env: 'PULSE_LOCATION',
    flag: { spec: '--location <name>', on: LOADING },
    description: 'label of where this prober runs, on everything it emits, e.g. `eu-west-1`',
    default: 'local',
    parse: location,
  }),
  host: setting({
    env: 'PULSE_HOST',
    flag: { spec: '--host <address>', on: DAEMON },
    description: 'address the HTTP port binds to',
    default: '127.0.0.1',
    parse: text,
  }),
  port: setting({
    env: 'PULSE_PORT',
    flag: { spec: '--port <port>', on: DAEMON },
    description: 'HTTP port for `/metrics`, health and the UI',
    default: '9477',
    parse: wholeNumber(0, 65535),
  }),
  concurrency: setting({
    env: 'PULSE_CONCURRENCY',
    flag: { spec: '--concurrency <n>', on: DAEMON },
    description: 'most runs at once (1 to 64), and journey workers kept warm',
    default: String(Math.max(1, availableParallelism())),
    shownDefault: 'one per core',
    parse: wholeNumber(1, 64),
  }),
  // A worker with Playwright loaded and driving its own browser takes about 200 MiB (bench/RESULTS.md):
  // the default leaves a journey room without letting one take the machine.
  workerMemoryBytes: setting({
    env: 'PULSE_WORKER_MEMORY',
    description: 'resident memory one journey worker may use before it is ended (at least `128MiB`)',
    default: '512MiB',
    parse: size.refine((bytes) => bytes >= 128 * MIB, 'must be at least 128MiB: a worker with Playwright loaded takes about 100 MiB'),
  }),
  loadTimeoutMs: setting({
    env: 'PULSE_LOAD_TIMEOUT',
    description: 'deadline for importing one journey file (`100ms` to `24h`)',
    default: '10s',
    parse: timerDuration.refine((ms) => ms >= 100, 'must be at least 100ms'),
  }),
  gracePeriodMs: setting({
    env: 'PULSE_GRACE_PERIOD',
    flag: { spec: '--grace-period <duration>', on: DAEMON },
    description: 'how long in-flight runs may finish after SIGTERM (at most `24h`)',
    default: '30s',
    parse: timerDuration,
  }),
  dataDir: setting({
    env: 'PULSE_DATA_DIR',
    flag: { spec: '--data-dir <dir>', on: LOADING },
    description: 'where evidence (screenshots, traces) and the run history live',
    default: '.pulse-data',
    parse: text,
  }),
  trace: setting({
    env: 'PULSE_TRACE',
    flag: { spec: '--trace <mode>', on: LOADING },
    description: 'Playwright trace: `off`, `on-retry`, `always`',
    default: 'on-retry',
    parse: oneOf(TRACE_MODES),
  }),
  markTraffic: setting({
    env: 'PULSE_MARK_TRAFFIC',
    description: "mark documents and API calls to the journey's own origins with the run id and a traceparent, to join runs to backend traces: `on`, `off`",
    default: 'off',
    parse: onOff,
  }),
  webVitals: setting({
    env: 'PULSE_WEB_VITALS',
    description: 'web vitals and network per step: `on`, `off`',
    default: 'on',
    parse: onOff,
  }),
  artifactMaxAgeMs: setting({
    env: 'PULSE_ARTIFACT_MAX_AGE',
    description: 'evidence older than this is pruned (the run stays)',
    default: '7d',
    parse: duration,
  }),
  artifactMaxBytes: setting({
    env: 'PULSE_ARTIFACT_MAX_BYTES',
    description: 'evidence beyond this size is pruned, oldest first',
    default: '1GiB',
    parse: size,
  }),
  historyMaxAgeMs: setting({
    env: 'PULSE_HISTORY_MAX_AGE',
    description: 'runs older than this are forgotten',
    default: '30d',
    parse: duration,
  }),
  logLevel: setting({
    env: 'PULSE_LOG_LEVEL',
    flag: { spec: '--log-level <level>', on: LOADING },
    description: '`fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`',
    default: 'info',
    parse: oneOf(LOG_LEVELS),
  }),
  logFormat: setting({
    env: 'PULSE_LOG_FORMAT',
    flag: { spec: '--log-format <format>', on: LOADING },
    description: '`auto` (pretty on a terminal, JSON otherwise), `json`, `pretty`',
    default: 'auto',
    parse: oneOf(LOG_FORMATS),
  }),
  shard: setting({
    env: 'PULSE_SHARD',
    flag: { spec: '--shard <i/n>', on: [...DAEMON, 'list'] },
    description: 'this replica is shard i of n and runs only the journeys it owns; `pulse list --shard i/n` shows the owner of each',
    parse: shard,
  }),
  shardCount: setting({
    env: 'PULSE_SHARD_COUNT',
    description: 'n shards, each pod taking its shard from its StatefulSet ordinal (`pulse-0` is 1/n); `PULSE_SHARD` wins',
    parse: wholeNumber(1, 1000),
  }),
  publicUrl: setting({
    env: 'PULSE_PUBLIC_URL',
    flag: { spec: '--public-url <url>', on: DAEMON },
    description: 'base URL of the UI as people reach it, for links in logs and alerts',
    parse: baseUrl,
  }),
  controlIntervalMs: setting({
    env: 'PULSE_CONTROL_INTERVAL',
    description: 'how often the built-in control journey runs (`1s` to `1h`), `off` for never',
    default: '30s',
    parse: durationOrOff({ min: 1_000, max: 3_600_000, message: "must be a duration from '1s' to '1h' such as '30s', or 'off' to run no control journey" }),
  }),
  browserPath: setting({
    env: 'PULSE_BROWSER_PATH',
    flag: { spec: '--browser-path <path>', on: LOADING },
    description: "Chromium to use; else a Playwright-managed one, else Debian's headless shell, else Debian's Chromium",
    parse: text,
  }),
  systemBrowserPaths: setting({
    env: 'PULSE_SYSTEM_BROWSER_PATHS',
    description: "colon-separated paths that replace the built-in list of Debian's headless shell and Chromium",
    parse: pathList,
  }),
  playwrightConfig: setting({
    env: 'PULSE_PLAYWRIGHT_CONFIG',
    flag: { spec: '--playwright-config <file>', on: LOADING },
    description: 'the `playwright.config.ts` whose `use` shapes the browser contexts (one named must exist), or `none`',
    default: 'playwright.config.ts',
    parse: text,
  }),
  pushgatewayUrl: setting({
    env: 'PULSE_PUSHGATEWAY_URL',
    flag: { spec: '--pushgateway-url <url>', on: LOADING },
    description: "push each run's gauges to this Prometheus Pushgateway, e.g. `http://pushgateway:9091`",
    parse: baseUrl,
  }),
  webhookUrl: setting({
    env: 'PULSE_WEBHOOK_URL',
    flag: { spec: '--webhook-url <url>', on: LOADING },
    description: "dead-man's-switch URL pinged after each run; `{journey}` and `{location}` are filled in",
    parse: urlTemplate,
  }),
  webhookKind: setting({
    env: 'PULSE_WEBHOOK_KIND',
    flag: { spec: '--webhook-kind <kind>', on: LOADING },
    description: '`ping` (healthchecks.io style: `<url>`, `<url>/fail`) or `uptime-kuma` (push URL)',
    default: 'ping',
    parse: oneOf(WEBHOOK_KINDS),
  }),
  authToken: setting({
    env: 'PULSE_AUTH_TOKEN',
    description: 'bearer token (16+ characters) that the UI, the API and the evidence then need; `pulse trigger`, `pause` and `resume` send it',
    fix: 'generate one with `openssl rand -hex 24`, or leave it out to run without a token',
    secret: true,
    parse: z.string().min(16, 'must be at least 16 characters'),
  }),
  sessionKey: setting({
    env: 'PULSE_SESSION_KEY',
    description: 'key of kept sign-ins (`session()`) in `<data>/sessions`: 64 hex digits or base64 of 32 bytes, else a passphrase; unset: kept in memory only',
    fix: 'generate one with `openssl rand -hex 32`, or leave it out to keep sessions in memory only',
    secret: true,
    parse: z.string().min(16, 'must be at least 16 characters'),
  }),
  authUser: setting({
    env: 'PULSE_AUTH_USER',
    description: 'basic-auth user, set together with `PULSE_AUTH_PASSWORD`',
    parse: text,
  }),
  authPassword: setting({
    env: 'PULSE_AUTH_PASSWORD',
    description: 'basic-auth password (8+ characters), set together with `PULSE_AUTH_USER`',
    secret: true,
    parse: z.string().min(8, 'must be at least 8 characters'),
  }),
  authMetrics: setting({
    env: 'PULSE_AUTH_METRICS',
    description: '`1`: `/metrics` needs the auth too (`/healthz` and `/readyz` always stay open)',
    default: '0',
    parse: zeroOne,
  }),
  allowOpenWrites: setting({
    env: 'PULSE_ALLOW_OPEN_WRITES',
    description: '`1`: run now, pause and resume without auth (trusted networks only)',
    default: '0',
    parse: zeroOne,
  }),
  url: setting({
    env: 'PULSE_URL',
    flag: { spec: '--url <url>', on: REMOTE },
    description: 'the running daemon that `pulse trigger`, `pause` and `resume` act on, e.g. `http://127.0.0.1:9477`; they send the `PULSE_AUTH_*` credentials',
    parse: baseUrl,
  }),
};

export type SettingKey = keyof typeof SETTINGS;
/** Every setting, in the table's order. */
export const SETTING_KEYS = Object.keys(SETTINGS).filter((key): key is SettingKey => key in SETTINGS);
/** What a setting reads into: undefined only for one without a default. */
export type SettingValue<K extends SettingKey> = (typeof SETTINGS)[K] extends Setting<infer T> ? T : never;

/** The table seen one setting at a time, so a key's type says its value's type. */
const DECLARED: { readonly [K in SettingKey]: Setting<SettingValue<K>> } = SETTINGS;

export function settingOf<K extends SettingKey>(key: K): Setting<SettingValue<K>> {
  return DECLARED[key];
}

/** A setting's default, for code that runs without a Config (tests, the bench, one-off loaders). */
export function defaultOf<K extends SettingKey>(key: K): SettingValue<K> {
  const reading = DECLARED[key].read(undefined);
  if (!reading.ok) throw new Error(`the default of ${DECLARED[key].env} does not parse: ${reading.message}`);
  return reading.value;
}

/** `--grace-period <duration>` as a person types it: `--grace-period`. */
export function flagName(spec: Flag['spec']): string {
  return spec.slice(0, spec.indexOf(' '));
}

/** `--grace-period <duration>` as commander names its value: `gracePeriod`. */
export function flagAttribute(spec: Flag['spec']): string {
  return flagName(spec)
    .slice(2)
    .replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;
type AttributeOf<F> = F extends { spec: `--${infer Name} <${string}>` } ? CamelCase<Name> : never;
/** Every setting's flag as commander hands it over: a string, when given. */
export type SettingFlags = { [K in SettingKey as AttributeOf<(typeof SETTINGS)[K]['flag']>]?: string };

/** Journey params: not settings of pulse, values handed to the journeys as they are. */
export const PARAMS = {
  env: 'PULSE_PARAM_<NAME>',
  prefix: 'PULSE_PARAM_',
  flag: { spec: '--param <name=value>', on: LOADING },
  description: 'a journey param: `PULSE_PARAM_TEST_USER` is `params.testUser`; the flag is repeatable and wins',
} as const;

/** The variable of a journey param: testUser is PULSE_PARAM_TEST_USER (config.ts reads it back as testUser). */
export function paramVariable(name: string): string {
  return `${PARAMS.prefix}${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** Lets another program's variable that shares the prefix through the unknown-variable check. */
export const ALLOW_VARIABLES = {
  env: 'PULSE_ALLOW_VARS',
  description: "comma-separated names of other programs' `PULSE_` variables, let through the check for unknown ones",
} as const;

/** Variables of the tooling around pulse, read there and not by pulse itself. */
export const TOOLING_VARIABLES = [
  {
    env: 'PULSE_SKIP_BROWSER_INSTALL',
    readBy: 'scripts/ensure-browser.ts',
    description: '`1`: `npm install` neither looks for nor installs a Chromium (the image sets it)',
  },
  {
    env: 'PULSE_DEMO_PORT',
    readBy: 'playwright.config.ts',
    description: 'port of the demo shop `npx playwright test` starts when `PULSE_PARAM_BASE_URL` is not set',
  },
] as const;
