import { availableParallelism, hostname as osHostname } from 'node:os';
import path from 'node:path';
import { distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { parseBytes, parseDuration } from './duration.ts';
import type { JourneyParams } from './journey.ts';
import type { Problem } from './problem.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
/** When a run records a Playwright trace: by default only its retry, so a confirmed failure has one. */
export type TraceMode = 'off' | 'on-retry' | 'always';
const TRACE_MODES: readonly TraceMode[] = ['off', 'on-retry', 'always'];
const MARK_TRAFFIC_MODES = ['on', 'off'] as const;
/**
 * ping: healthchecks.io and its kin: `<url>` on success, `<url>/fail` otherwise, a short text body.
 * uptime-kuma: Uptime Kuma's push URL, `<url>?status=up|down&msg=<text>&ping=<ms>`.
 */
const WEBHOOK_KINDS = ['ping', 'uptime-kuma'] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

/** This replica's part of the journeys: `i/n`, from --shard or the StatefulSet pod ordinal. */
export interface Shard {
  /** 1-based. */
  index: number;
  total: number;
}

const LOCATION = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;
/** Param names that are treated as secret without being listed in PULSE_SECRET_PARAMS. */
const SECRET_NAME = /pass(word)?|secret|token|key|credential|auth/i;
/** Settings whose values are never echoed back in a problem. */
const SECRET_SETTINGS = new Set(['authToken', 'authPassword']);
/** Durations above this are surely a typo, and would overflow Node's timers. */
const MAX_DURATION_MS = 24 * 3_600_000;

/** One typed, validated, frozen view of every setting. */
export interface Config {
  journeysDir: string;
  playwrightConfig: string | undefined;
  /** Set explicitly, so it must exist (the default may be missing). */
  playwrightConfigRequired: boolean;
  browserPath: string | undefined;
  /** Replaces the built-in list of system Chromium paths when set. */
  systemBrowserPaths: string[] | undefined;
  dataDir: string;
  location: string;
  host: string;
  port: number;
  concurrency: number;
  /** Resident memory one journey worker may use before it is ended. */
  workerMemoryBytes: number;
  /** How long one journey file may take to import. */
  loadTimeoutMs: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  trace: TraceMode;
  /** Requests to a journey's own origins carry the run id and a traceparent. */
  markTraffic: boolean;
  /** Web vitals and bytes per step, from a script pulse adds to every page. */
  webVitals: boolean;
  gracePeriodMs: number;
  params: Partial<JourneyParams>;
  /** Names of params whose values never appear in logs, errors or the UI. */
  secretParams: string[];
  /** `i/n`: this replica runs only the journeys it owns. */
  shard: Shard | undefined;
  /** Base URL of the on-call UI as people reach it, for links in logs and alerts. */
  publicUrl: string | undefined;
  /** Pushgateway base URL: each run's gauges are pushed there (for `pulse once` in CI or cron). */
  pushgatewayUrl: string | undefined;
  /** Dead-man's-switch URL pinged after each run; `{journey}` and `{location}` are filled in. */
  webhookUrl: string | undefined;
  webhookKind: WebhookKind;
  retention: { artifactMaxAgeMs: number; artifactMaxBytes: number; historyMaxAgeMs: number };
  /** Optional auth of the UI, API and artifacts: a bearer token and/or basic credentials. */
  auth: { token: string | undefined; user: string | undefined; password: string | undefined; metrics: boolean };
  /** Run now, pause and resume without auth: only on a network where everyone may. */
  allowOpenWrites: boolean;
  /** A running daemon, for `pulse trigger`, `pause` and `resume`. */
  url: string | undefined;
  /** How often the built-in control journey runs against pulse's own page; undefined when off. */
  controlIntervalMs: number | undefined;
}

/** Flags as commander hands them over; every one is optional and wins over its variable. */
export interface Flags {
  journeys?: string;
  playwrightConfig?: string;
  browserPath?: string;
  dataDir?: string;
  location?: string;
  host?: string;
  port?: string;
  concurrency?: string;
  logLevel?: string;
  logFormat?: string;
  trace?: string;
  gracePeriod?: string;
  baseUrl?: string;
  param?: string[];
  shard?: string;
  publicUrl?: string;
  pushgatewayUrl?: string;
  webhookUrl?: string;
  webhookKind?: string;
  url?: string;
}

interface Setting {
  env: string;
  flag?: string;
  /** What to do about a bad value, when more can be said than to correct it or leave it out. */
  fix?: string;
}
const SETTINGS = {
  journeysDir: { env: 'PULSE_JOURNEYS', flag: '--journeys' },
  playwrightConfig: { env: 'PULSE_PLAYWRIGHT_CONFIG', flag: '--playwright-config' },
  browserPath: { env: 'PULSE_BROWSER_PATH', flag: '--browser-path' },
  systemBrowserPaths: { env: 'PULSE_SYSTEM_BROWSER_PATHS' },
  dataDir: { env: 'PULSE_DATA_DIR', flag: '--data-dir' },
  location: { env: 'PULSE_LOCATION', flag: '--location' },
  host: { env: 'PULSE_HOST', flag: '--host' },
  port: { env: 'PULSE_PORT', flag: '--port' },
  concurrency: { env: 'PULSE_CONCURRENCY', flag: '--concurrency' },
  workerMemoryBytes: { env: 'PULSE_WORKER_MEMORY' },
  loadTimeoutMs: { env: 'PULSE_LOAD_TIMEOUT' },
  logLevel: { env: 'PULSE_LOG_LEVEL', flag: '--log-level' },
  logFormat: { env: 'PULSE_LOG_FORMAT', flag: '--log-format' },
  trace: { env: 'PULSE_TRACE', flag: '--trace' },
  markTraffic: { env: 'PULSE_MARK_TRAFFIC' },
  webVitals: { env: 'PULSE_WEB_VITALS' },
  gracePeriodMs: { env: 'PULSE_GRACE_PERIOD', flag: '--grace-period' },
  secretParams: { env: 'PULSE_SECRET_PARAMS' },
  shard: { env: 'PULSE_SHARD', flag: '--shard' },
  shardCount: { env: 'PULSE_SHARD_COUNT' },
  publicUrl: { env: 'PULSE_PUBLIC_URL', flag: '--public-url' },
  pushgatewayUrl: { env: 'PULSE_PUSHGATEWAY_URL', flag: '--pushgateway-url' },
  webhookUrl: { env: 'PULSE_WEBHOOK_URL', flag: '--webhook-url' },
  webhookKind: { env: 'PULSE_WEBHOOK_KIND', flag: '--webhook-kind' },
  artifactMaxAgeMs: { env: 'PULSE_ARTIFACT_MAX_AGE' },
  artifactMaxBytes: { env: 'PULSE_ARTIFACT_MAX_BYTES' },
  historyMaxAgeMs: { env: 'PULSE_HISTORY_MAX_AGE' },
  authToken: { env: 'PULSE_AUTH_TOKEN', fix: 'generate one with `openssl rand -hex 24`, or leave it out to run without a token' },
  authUser: { env: 'PULSE_AUTH_USER' },
  authPassword: { env: 'PULSE_AUTH_PASSWORD' },
  authMetrics: { env: 'PULSE_AUTH_METRICS' },
  allowOpenWrites: { env: 'PULSE_ALLOW_OPEN_WRITES' },
  url: { env: 'PULSE_URL', flag: '--url' },
  controlIntervalMs: { env: 'PULSE_CONTROL_INTERVAL' },
} satisfies Record<string, Setting>;
type SettingKey = keyof typeof SETTINGS;

/** PULSE_ variables read outside the daemon's settings: by the postinstall script and by playwright.config.ts. */
const OTHER_VARIABLES = ['PULSE_SKIP_BROWSER_INSTALL', 'PULSE_DEMO_PORT'];
/** Names listed here pass the unknown-variable check: for a variable of another program that shares the prefix. */
const ALLOW_VARIABLE = 'PULSE_ALLOW_VARS';
const KNOWN_VARIABLES = new Set([...Object.values(SETTINGS).map((s: Setting) => s.env), ...OTHER_VARIABLES, ALLOW_VARIABLE]);

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const oneOf = <T extends string>(values: readonly T[]) =>
  z.string().trim().refine((v): v is T => (values as readonly string[]).includes(v), `must be one of ${values.join(', ')}`) as unknown as z.ZodType<T, string>;
const duration = z.string().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) ctx.addIssue({ code: 'custom', message: "must be a duration such as '30s' or '2m'" });
  return ms ?? 0;
});
const size = z.string().transform((value, ctx) => {
  const bytes = parseBytes(value);
  if (bytes === undefined) ctx.addIssue({ code: 'custom', message: "must be a size such as '500MB' or '2GiB'" });
  return bytes ?? 0;
});
const shortDuration = duration.refine((ms) => ms <= MAX_DURATION_MS, 'must be at most 24h');
const url = z.string().trim().refine((v) => /^https?:\/\/[^\s]+$/.test(v) && URL.canParse(v), 'must be an http(s) URL such as http://127.0.0.1:3000');
const urlTemplate = z
  .string()
  .trim()
  .refine((v) => url.safeParse(v.replaceAll('{journey}', 'j').replaceAll('{location}', 'l')).success, 'must be an http(s) URL, {journey} and {location} allowed, e.g. https://hc-ping.com/<key>/{journey}');

const SCHEMAS: Record<SettingKey, z.ZodType<unknown, string>> = {
  journeysDir: nonEmpty,
  playwrightConfig: nonEmpty,
  browserPath: nonEmpty,
  systemBrowserPaths: z.string().transform((v) => v.split(':').filter(Boolean)),
  dataDir: nonEmpty,
  location: z.string().trim().regex(LOCATION, 'must be 1-63 lower-case letters, digits, - or _, starting and ending with a letter or digit (e.g. eu-west-1)'),
  host: nonEmpty,
  port: wholeNumber(0, 65535),
  concurrency: wholeNumber(1, 64),
  workerMemoryBytes: size.refine((bytes) => bytes >= 128 * 1024 * 1024, 'must be at least 128MiB: a worker with Playwright loaded takes about 100 MiB'),
  loadTimeoutMs: shortDuration.refine((ms) => ms >= 100, 'must be at least 100ms'),
  logLevel: oneOf(LOG_LEVELS),
  logFormat: oneOf(LOG_FORMATS),
  trace: oneOf(TRACE_MODES),
  markTraffic: oneOf(MARK_TRAFFIC_MODES),
  webVitals: oneOf(['on', 'off'] as const),
  gracePeriodMs: shortDuration,
  secretParams: z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  shard: z.string().trim().transform((value, ctx) => {
    const match = /^(\d+)\/(\d+)$/.exec(value);
    const index = Number(match?.[1]);
    const total = Number(match?.[2]);
    if (!match || total < 1 || index < 1 || index > total) {
      ctx.addIssue({ code: 'custom', message: "must be 'i/n' with 1 <= i <= n, e.g. '2/3'" });
      return undefined;
    }
    return { index, total };
  }),
  shardCount: wholeNumber(1, 1000),
  publicUrl: url,
  pushgatewayUrl: url,
  webhookUrl: urlTemplate,
  webhookKind: oneOf(WEBHOOK_KINDS),
  artifactMaxAgeMs: duration,
  artifactMaxBytes: size,
  historyMaxAgeMs: duration,
  authToken: z.string().min(16, 'must be at least 16 characters'),
  authUser: nonEmpty,
  authPassword: z.string().min(8, 'must be at least 8 characters'),
  authMetrics: oneOf(['0', '1'] as const),
  allowOpenWrites: oneOf(['0', '1'] as const),
  url,
  controlIntervalMs: z.string().trim().transform((value, ctx) => {
    if (value === 'off') return undefined;
    const ms = parseDuration(value);
    if (ms === undefined || ms < 1_000 || ms > 3_600_000) ctx.addIssue({ code: 'custom', message: "must be a duration from '1s' to '1h' such as '30s', or 'off' to run no control journey" });
    return ms;
  }),
};

const DEFAULTS: Partial<Record<SettingKey, string>> = {
  journeysDir: 'journeys',
  dataDir: '.pulse-data',
  location: 'local',
  host: '127.0.0.1',
  port: '9477',
  concurrency: String(Math.max(1, availableParallelism())),
  workerMemoryBytes: '512MiB',
  loadTimeoutMs: '10s',
  logLevel: 'info',
  logFormat: 'auto',
  trace: 'on-retry',
  markTraffic: 'on',
  webVitals: 'on',
  gracePeriodMs: '30s',
  webhookKind: 'ping',
  artifactMaxAgeMs: '7d',
  artifactMaxBytes: '1GiB',
  historyMaxAgeMs: '30d',
  authMetrics: '0',
  allowOpenWrites: '0',
  controlIntervalMs: '30s',
};

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  flags?: Flags;
  cwd?: string;
  /** Settings a command fills in itself, such as the demo's base URL. */
  overrides?: Partial<Record<SettingKey, string>>;
}

export type ResolveResult = { config: Config; problems: [] } | { config: undefined; problems: Problem[] };

/** Env, flags and defaults into one Config, with one problem per bad setting that names it and its fix. */
export function resolveConfig(options: ResolveOptions = {}): ResolveResult {
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const cwd = options.cwd ?? process.cwd();
  const problems: Problem[] = [];
  const values: Partial<Record<SettingKey, unknown>> = {};

  const flagValue = (key: SettingKey): string | undefined => {
    const name = key === 'journeysDir' ? 'journeys' : key === 'gracePeriodMs' ? 'gracePeriod' : key;
    const value = (flags as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  };
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const setting: Setting = SETTINGS[key];
    const raw = options.overrides?.[key] ?? flagValue(key) ?? nonBlank(env[setting.env]) ?? DEFAULTS[key];
    if (raw === undefined) continue;
    const parsed = SCHEMAS[key].safeParse(raw);
    if (parsed.success) values[key] = parsed.data;
    else {
      problems.push({
        where: describe(setting),
        value: SECRET_SETTINGS.has(key) ? '(hidden)' : JSON.stringify(raw),
        message: parsed.error.issues[0]?.message ?? 'invalid',
        fix: fixOf(key),
      });
    }
  }

  problems.push(...unknownVariables(env));
  const params = collectParams(env, flags, problems);
  // --base-url is the one param common enough to have a flag of its own.
  const baseUrl = flags.baseUrl ?? params.baseUrl;
  if (baseUrl !== undefined) {
    const check = url.safeParse(baseUrl);
    if (!check.success) {
      problems.push({ where: 'PULSE_PARAM_BASE_URL (--base-url)', value: JSON.stringify(baseUrl), message: check.error.issues[0]?.message ?? 'invalid', fix: 'give the address of the site the journeys probe, e.g. --base-url https://shop.example.com' });
    } else params.baseUrl = baseUrl;
  }
  // In a StatefulSet every pod has the same env; its ordinal in the hostname says which shard it is.
  if (values.shard === undefined && typeof values.shardCount === 'number') {
    const hostname = env.HOSTNAME ?? osHostname();
    const shard = shardFromHostname(hostname, values.shardCount);
    if (shard) values.shard = shard;
    else {
      problems.push({ where: 'PULSE_SHARD_COUNT', value: String(values.shardCount), message: `hostname '${hostname}' does not end in a pod ordinal below ${values.shardCount}`, fix: 'set PULSE_SHARD=i/n instead, or run it as a StatefulSet' });
    }
  }
  // A credential set to nothing would leave the UI and API open while the operator believes them closed.
  for (const key of ['authToken', 'authUser', 'authPassword'] as const) {
    const given = flagValue(key) ?? env[SETTINGS[key].env];
    if (given !== undefined && given.trim() === '') {
      problems.push({ where: describe(SETTINGS[key]), value: '(empty)', message: 'is set but empty, which would leave the UI and API open', fix: key === 'authToken' ? (SETTINGS[key].fix ?? 'unset it') : 'give it a value, or unset it (and its partner) to run without basic auth' });
    }
  }
  if (!nonBlank(env.PULSE_AUTH_USER) !== !nonBlank(env.PULSE_AUTH_PASSWORD)) {
    problems.push({ where: 'PULSE_AUTH_USER and PULSE_AUTH_PASSWORD', message: 'only one of the two is set', fix: 'set both for basic auth, or neither' });
  }
  if (problems.length > 0) return { config: undefined, problems };

  // PULSE_SECRET_PARAMS may name params as in the environment (CARD_NUMBER) or as journeys see them (cardNumber).
  const listed = ((values.secretParams as string[] | undefined) ?? []).map((name) => (/^[A-Z0-9_]+$/.test(name) ? camelCase(name) : name));
  const secretParams = [...listed, ...Object.keys(params).filter((name) => SECRET_NAME.test(name))];
  const resolve = (p: unknown) => (typeof p === 'string' ? path.resolve(cwd, p) : undefined);
  const playwrightConfig = (values.playwrightConfig as string | undefined) ?? 'playwright.config.ts';
  const config: Config = {
    journeysDir: resolve(values.journeysDir)!,
    playwrightConfig: playwrightConfig === 'none' ? undefined : resolve(playwrightConfig),
    playwrightConfigRequired: values.playwrightConfig !== undefined,
    browserPath: values.browserPath as string | undefined,
    systemBrowserPaths: values.systemBrowserPaths as string[] | undefined,
    dataDir: resolve(values.dataDir)!,
    location: values.location as string,
    host: values.host as string,
    port: values.port as number,
    concurrency: values.concurrency as number,
    workerMemoryBytes: values.workerMemoryBytes as number,
    loadTimeoutMs: values.loadTimeoutMs as number,
    logLevel: values.logLevel as LogLevel,
    logFormat: values.logFormat as LogFormat,
    trace: values.trace as TraceMode,
    markTraffic: values.markTraffic === 'on',
    webVitals: values.webVitals === 'on',
    gracePeriodMs: values.gracePeriodMs as number,
    params,
    secretParams: [...new Set(secretParams)],
    shard: values.shard as Config['shard'],
    publicUrl: (values.publicUrl as string | undefined)?.replace(/\/+$/, ''),
    pushgatewayUrl: (values.pushgatewayUrl as string | undefined)?.replace(/\/+$/, ''),
    webhookUrl: values.webhookUrl as string | undefined,
    webhookKind: values.webhookKind as WebhookKind,
    retention: {
      artifactMaxAgeMs: values.artifactMaxAgeMs as number,
      artifactMaxBytes: values.artifactMaxBytes as number,
      historyMaxAgeMs: values.historyMaxAgeMs as number,
    },
    auth: {
      token: values.authToken as string | undefined,
      user: values.authUser as string | undefined,
      password: values.authPassword as string | undefined,
      metrics: values.authMetrics === '1',
    },
    allowOpenWrites: values.allowOpenWrites === '1',
    url: (values.url as string | undefined)?.replace(/\/+$/, ''),
    controlIntervalMs: values.controlIntervalMs as number | undefined,
  };
  return { config: Object.freeze(config), problems: [] };
}

/**
 * A PULSE_ variable that is no setting is a typo until shown otherwise: PULSE_AUTH_TOKN would
 * otherwise leave the UI open without a word. Values are never echoed, they may be secrets.
 */
function unknownVariables(env: NodeJS.ProcessEnv): Problem[] {
  const allowed = new Set((env[ALLOW_VARIABLE] ?? '').split(',').map((name) => name.trim()).filter(Boolean));
  const problems: Problem[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('PULSE_') || name.startsWith('PULSE_PARAM_') || KNOWN_VARIABLES.has(name) || allowed.has(name)) continue;
    const closest = [...KNOWN_VARIABLES].map((known) => ({ known, d: distance(name, known) })).sort((a, b) => a.d - b.d)[0];
    const guess = closest && closest.d <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean ${closest.known}?)` : '';
    problems.push({ where: name, message: `not a pulse setting${guess}`, fix: `correct the name, pass journey params as PULSE_PARAM_<NAME>, or list it in ${ALLOW_VARIABLE} to let it through` });
  }
  return problems;
}

/** PULSE_PARAM_TEST_USER=x becomes params.testUser; --param testUser=x wins over it. */
function collectParams(env: NodeJS.ProcessEnv, flags: Flags, problems: Problem[]): Record<string, string> {
  const params = paramsFromEnv(env);
  for (const pair of flags.param ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      problems.push({ where: '--param', value: JSON.stringify(pair), message: 'must be name=value', fix: 'write it like --param testUser=qa@example.com' });
      continue;
    }
    params[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return params;
}

/** PULSE_PARAM_TEST_USER=x as { testUser: 'x' }: what pulse and Playwright Test both hand journeys. */
export function paramsFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('PULSE_PARAM_') && value !== undefined) params[camelCase(name.slice('PULSE_PARAM_'.length))] = value;
  }
  return params;
}

function camelCase(upperSnake: string): string {
  return upperSnake.toLowerCase().replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The setting's own advice, else to correct the value or fall back to the default. */
function fixOf(key: SettingKey): string {
  const setting: Setting = SETTINGS[key];
  const fallback = DEFAULTS[key];
  return setting.fix ?? (fallback === undefined ? 'correct the value, or leave it out' : `correct the value, or leave it out to use the default ${fallback}`);
}

function describe(setting: Setting): string {
  return setting.flag ? `${setting.env} (${setting.flag})` : setting.env;
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Every param value that must be hidden, for the redactor. */
export function secretValues(config: Pick<Config, 'params' | 'secretParams'>): string[] {
  return config.secretParams.map((name) => config.params[name]).filter((v): v is string => typeof v === 'string');
}

/** Values a secret may be paired with as `user:secret` (basic auth): every other param value, and the UI's own user. */
export function secretPartners(config: Pick<Config, 'params' | 'secretParams' | 'auth'>): string[] {
  const secret = new Set(config.secretParams);
  const params = Object.entries(config.params).filter(([name, value]) => !secret.has(name) && typeof value === 'string').map(([, value]) => value as string);
  return [...params, ...(config.auth.user ? [config.auth.user] : [])];
}

/** A StatefulSet pod is named `<set>-<ordinal>`; ordinal 0 is shard 1. */
export function shardFromHostname(hostname: string, total: number): Shard | undefined {
  const match = /-(\d+)$/.exec(hostname);
  if (!match) return undefined;
  const index = Number(match[1]) + 1;
  return index <= total ? { index, total } : undefined;
}
