// Env and flags into one typed, validated, frozen Config. What each setting is, its flag, its
// default and the fix for a bad value are declared in the settings table; this file reads them
// all, applies the rules that span several settings, and reports every problem at once.
import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import { distance } from 'fastest-levenshtein';
import { PulseError } from './errors.ts';
import type { JourneyParams } from './journey.ts';
import type { Problem } from './problem.ts';
import {
  ALLOW_VARIABLES,
  PARAMS,
  SETTINGS,
  SETTING_KEYS,
  TOOLING_VARIABLES,
  flagAttribute,
  flagName,
  settingOf,
  type LogFormat,
  type LogLevel,
  type Reading,
  type Setting,
  type SettingFlags,
  type SettingKey,
  type SettingValue,
  type Shard,
  type TraceMode,
  type WebhookKind,
} from './settings/table.ts';

export type { LogFormat, LogLevel, Shard, TraceMode, WebhookKind } from './settings/table.ts';

/** Param names that are treated as secret without being listed in PULSE_SECRET_PARAMS. */
const SECRET_NAME = /pass(word)?|secret|token|key|credential|auth/i;

/** One typed, validated, frozen view of every setting. */
export interface Config {
  journeysDir: string;
  playwrightConfig: string | undefined;
  /** Set explicitly, so it must exist (the default may be missing). */
  playwrightConfigRequired: boolean;
  /** Glob of spec files in the journeys folder (relative to it); undefined: none. */
  specs: string | undefined;
  /** The Playwright projects whose spec tests run; undefined: all. */
  projects: string[] | undefined;
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
  /** The key kept sessions are encrypted with at rest; none: kept in memory only. */
  sessionKey: string | undefined;
  /** A running daemon, for `pulse trigger`, `pause` and `resume`. */
  url: string | undefined;
  /** How often the built-in control journey runs against pulse's own page; undefined when off. */
  controlIntervalMs: number | undefined;
}

/** Flags as commander hands them over; every one is optional and wins over its variable. */
export interface Flags extends SettingFlags {
  /** `--param name=value`, repeatable. */
  param?: string[];
}

const KNOWN_VARIABLES = new Set<string>([...SETTING_KEYS.map((key) => settingOf(key).env), ALLOW_VARIABLES.env, ...TOOLING_VARIABLES.map((v) => v.env)]);

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
  const cwd = options.cwd ?? process.cwd();
  const problems: Problem[] = [];
  const params = collectParams(env, options.flags ?? {}, problems);
  const overrides = new Map(Object.entries(options.overrides ?? {}));
  const flags = new Map(Object.entries(options.flags ?? {}));

  /** The text given for a setting: a command's override, else its flag, else its variable. */
  const given = (key: SettingKey): string | undefined => {
    const setting = settingOf(key);
    const flag: unknown = setting.flag ? flags.get(flagAttribute(setting.flag.spec)) : undefined;
    return overrides.get(key) ?? (typeof flag === 'string' ? flag : undefined) ?? fromEnvironment(setting, env, params);
  };
  const read = <K extends SettingKey>(key: K) => settingOf(key).read(given(key));

  for (const key of SETTING_KEYS) {
    const reading = read(key);
    if (!reading.ok) problems.push(settingProblem(settingOf(key), given(key), reading.message));
  }
  problems.push(...unknownVariables(env));
  const podShard = shardOfPod(env, read('shard'), read('shardCount'), problems);
  problems.push(...credentialProblems(env));
  if (problems.length > 0) return { config: undefined, problems };

  // Every setting read without a problem above, so each reads the same again here.
  const value = <K extends SettingKey>(key: K): SettingValue<K> => {
    const reading = read(key);
    if (!reading.ok) throw new Error(`${settingOf(key).env} was checked, yet does not read: ${reading.message}`);
    return reading.value;
  };
  const baseUrl = value('baseUrl');
  if (baseUrl !== undefined) params.baseUrl = baseUrl;
  // PULSE_SECRET_PARAMS may name params as in the environment (CARD_NUMBER) or as journeys see them (cardNumber).
  const listed = (value('secretParams') ?? []).map((name) => (/^[A-Z0-9_]+$/.test(name) ? camelCase(name) : name));
  const secretParams = [...listed, ...Object.keys(params).filter((name) => SECRET_NAME.test(name))];
  const playwrightConfig = value('playwrightConfig');
  const config: Config = {
    journeysDir: path.resolve(cwd, value('journeysDir')),
    playwrightConfig: playwrightConfig === 'none' ? undefined : path.resolve(cwd, playwrightConfig),
    playwrightConfigRequired: given('playwrightConfig') !== undefined,
    specs: value('specs') === 'none' ? undefined : value('specs'),
    projects: value('projects'),
    browserPath: value('browserPath'),
    systemBrowserPaths: value('systemBrowserPaths'),
    dataDir: path.resolve(cwd, value('dataDir')),
    location: value('location'),
    host: value('host'),
    port: value('port'),
    concurrency: value('concurrency'),
    workerMemoryBytes: value('workerMemoryBytes'),
    loadTimeoutMs: value('loadTimeoutMs'),
    logLevel: value('logLevel'),
    logFormat: value('logFormat'),
    trace: value('trace'),
    markTraffic: value('markTraffic'),
    webVitals: value('webVitals'),
    gracePeriodMs: value('gracePeriodMs'),
    params,
    secretParams: [...new Set(secretParams)],
    shard: value('shard') ?? podShard,
    publicUrl: value('publicUrl'),
    pushgatewayUrl: value('pushgatewayUrl'),
    webhookUrl: value('webhookUrl'),
    webhookKind: value('webhookKind'),
    retention: {
      artifactMaxAgeMs: value('artifactMaxAgeMs'),
      artifactMaxBytes: value('artifactMaxBytes'),
      historyMaxAgeMs: value('historyMaxAgeMs'),
    },
    auth: {
      token: value('authToken'),
      user: value('authUser'),
      password: value('authPassword'),
      metrics: value('authMetrics'),
    },
    allowOpenWrites: value('allowOpenWrites'),
    sessionKey: value('sessionKey'),
    url: value('url'),
    controlIntervalMs: value('controlIntervalMs'),
  };
  return { config: Object.freeze(config), problems: [] };
}

/**
 * One setting from the environment alone, for code that runs without a Config: the
 * `pulse/playwright` entry inside Playwright Test, the postinstall script.
 */
export function readSetting<K extends SettingKey>(key: K, env: NodeJS.ProcessEnv = process.env): SettingValue<K> {
  const setting = settingOf(key);
  const text = fromEnvironment(setting, env, paramsFromEnv(env));
  const reading = setting.read(text);
  if (!reading.ok) throw new PulseError({ message: 'invalid settings', problems: [settingProblem(setting, text, reading.message)] });
  return reading.value;
}

/** A variable set to blank counts as unset; a param is taken as given, blank or not. */
function fromEnvironment(setting: Setting<unknown>, env: NodeJS.ProcessEnv, params: Record<string, string>): string | undefined {
  if (setting.env.startsWith(PARAMS.prefix)) return params[camelCase(setting.env.slice(PARAMS.prefix.length))];
  return nonBlank(env[setting.env]);
}

function settingProblem(setting: Setting<unknown>, given: string | undefined, message: string): Problem {
  return { where: describe(setting), value: setting.secret ? '(hidden)' : JSON.stringify(given), message, fix: fixOf(setting) };
}

/** In a StatefulSet every pod has the same env; its ordinal in the hostname says which shard it is. */
function shardOfPod(env: NodeJS.ProcessEnv, shard: Reading<Shard | undefined>, count: Reading<number | undefined>, problems: Problem[]): Shard | undefined {
  if (!shard.ok || shard.value !== undefined || !count.ok || count.value === undefined) return undefined;
  const hostname = env.HOSTNAME ?? osHostname();
  const fromPod = shardFromHostname(hostname, count.value);
  if (!fromPod) {
    problems.push({
      where: describe(SETTINGS.shardCount),
      value: String(count.value),
      message: `hostname '${hostname}' does not end in a pod ordinal below ${count.value}`,
      fix: `set ${SETTINGS.shard.env}=i/n instead, or run it as a StatefulSet`,
    });
  }
  return fromPod;
}

/** A credential set to nothing would leave the UI and API open while the operator believes them closed. */
function credentialProblems(env: NodeJS.ProcessEnv): Problem[] {
  const problems: Problem[] = [];
  for (const setting of [SETTINGS.authToken, SETTINGS.authUser, SETTINGS.authPassword]) {
    const given = env[setting.env];
    if (given !== undefined && given.trim() === '') {
      problems.push({
        where: describe(setting),
        value: '(empty)',
        message: 'is set but empty, which would leave the UI and API open',
        fix: setting.fix ?? 'give it a value, or unset it (and its partner) to run without basic auth',
      });
    }
  }
  const { authUser: user, authPassword: password } = SETTINGS;
  if (!nonBlank(env[user.env]) !== !nonBlank(env[password.env])) {
    problems.push({ where: `${user.env} and ${password.env}`, message: 'only one of the two is set', fix: 'set both for basic auth, or neither' });
  }
  return problems;
}

/**
 * A PULSE_ variable that is no setting is a typo until shown otherwise: PULSE_AUTH_TOKN would
 * otherwise leave the UI open without a word. Values are never echoed, they may be secrets.
 */
function unknownVariables(env: NodeJS.ProcessEnv): Problem[] {
  const allowed = new Set(
    (env[ALLOW_VARIABLES.env] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  );
  const problems: Problem[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('PULSE_') || name.startsWith(PARAMS.prefix) || KNOWN_VARIABLES.has(name) || allowed.has(name)) continue;
    const closest = [...KNOWN_VARIABLES].map((known) => ({ known, d: distance(name, known) })).sort((a, b) => a.d - b.d)[0];
    const guess = closest && closest.d <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean ${closest.known}?)` : '';
    problems.push({
      where: name,
      message: `not a pulse setting${guess}`,
      fix: `correct the name, pass journey params as ${PARAMS.env}, or list it in ${ALLOW_VARIABLES.env} to let it through`,
    });
  }
  return problems;
}

/** PULSE_PARAM_TEST_USER=x becomes params.testUser; --param testUser=x wins over it. */
function collectParams(env: NodeJS.ProcessEnv, flags: Flags, problems: Problem[]): Record<string, string> {
  const params = paramsFromEnv(env);
  for (const pair of flags.param ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      problems.push({
        where: flagName(PARAMS.flag.spec),
        value: JSON.stringify(pair),
        message: 'must be name=value',
        fix: 'write it like --param testUser=qa@example.com',
      });
      continue;
    }
    params[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return params;
}

/** PULSE_PARAM_TEST_USER=x as { testUser: 'x' }: what pulse and Playwright Test both hand journeys. */
export function paramsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(PARAMS.prefix) && value !== undefined) params[camelCase(name.slice(PARAMS.prefix.length))] = value;
  }
  return params;
}

function camelCase(upperSnake: string): string {
  return upperSnake.toLowerCase().replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The setting's own advice, else to correct the value or fall back to the default. */
function fixOf(setting: Setting<unknown>): string {
  return (
    setting.fix ??
    (setting.default === undefined ? 'correct the value, or leave it out' : `correct the value, or leave it out to use the default ${setting.default}`)
  );
}

/** `PULSE_PORT (--port)`: the variable, and the flag that may stand for it. */
function describe(setting: Setting<unknown>): string {
  return setting.flag ? `${setting.env} (${flagName(setting.flag.spec)})` : setting.env;
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
  const params = Object.entries(config.params).flatMap(([name, value]) => (!secret.has(name) && typeof value === 'string' ? [value] : []));
  return [...params, ...(config.auth.user ? [config.auth.user] : [])];
}

/** A StatefulSet pod is named `<set>-<ordinal>`; ordinal 0 is shard 1. */
export function shardFromHostname(hostname: string, total: number): Shard | undefined {
  const match = /-(\d+)$/.exec(hostname);
  if (!match) return undefined;
  const index = Number(match[1]) + 1;
  return index <= total ? { index, total } : undefined;
}
