// One-time codes for sign-ins with a second factor: TOTP (RFC 6238) over HOTP (RFC 4226), the
// secret read from a secret param. A journey calls totp(params, 'mfaSecret') and types the code.
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeBase32 } from './base32.ts';
import { SECRET_PARAM_NAMES } from './journey.ts';
import { paramVariable } from './settings/table.ts';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface TotpOptions {
  /** The HMAC of RFC 6238: SHA1 (the default, what most authenticator apps use), SHA256 or SHA512. */
  algorithm?: TotpAlgorithm;
  /** Length of the code, 6 (the default) to 8. */
  digits?: number;
  /** Seconds a code lasts, 30 by default. */
  period?: number;
  /**
   * Seconds the code must still be valid for when it is handed out: with fewer left in the current
   * window, totp() waits for the next one, so a verifier that accepts only the current window does
   * not see it expire while the page submits it. 3 by default; 0 never waits.
   */
  minRemaining?: number;
  /** The clock, in ms since the epoch (Date.now by default): for tests. */
  now?: () => number;
}

/** What a code is made with, checked. */
export interface TotpShape {
  algorithm: TotpAlgorithm;
  digits: number;
  period: number;
}

/** What a code is made with when the options do not say: what most authenticator apps use. */
export const TOTP_DEFAULTS: Readonly<TotpShape> = Object.freeze({ algorithm: 'SHA1', digits: 6, period: 30 });

const ALGORITHMS: readonly TotpAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];
const DEFAULT_MIN_REMAINING = 3;

/** RFC 4226 HOTP: the code of one counter value. */
export function hotp(key: Buffer, counter: number, shape: Pick<TotpShape, 'algorithm' | 'digits'>): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(shape.algorithm.toLowerCase(), key).update(message).digest();
  // Dynamic truncation (RFC 4226 5.3): 31 bits from the offset the last nibble names.
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** shape.digits).padStart(shape.digits, '0');
}

/** RFC 6238: the time step of a moment, counted from the Unix epoch. */
export function timeStep(timeMs: number, period: number): number {
  return Math.floor(timeMs / 1000 / period);
}

/** RFC 6238 TOTP: the code valid at `timeMs`. */
export function totpAt(key: Buffer, timeMs: number, shape: TotpShape): string {
  return hotp(key, timeStep(timeMs, shape.period), shape);
}

/** How long to wait before making a code at `nowMs`, so that it stays valid for `minRemaining` seconds. */
export function waitBeforeCode(nowMs: number, period: number, minRemaining: number): number {
  const periodMs = period * 1000;
  const leftMs = periodMs - (nowMs % periodMs);
  return leftMs < minRemaining * 1000 ? leftMs : 0;
}

/** The options checked, or why not; the message starts with the option's name. */
function totpShape(options: TotpOptions): TotpShape {
  const algorithm = String(options.algorithm ?? TOTP_DEFAULTS.algorithm)
    .toUpperCase()
    .replace('-', '') as TotpAlgorithm;
  if (!ALGORITHMS.includes(algorithm)) throw new TypeError(`totp(): algorithm ${JSON.stringify(options.algorithm)} is not one of SHA1, SHA256, SHA512`);
  const digits = options.digits ?? TOTP_DEFAULTS.digits;
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) throw new TypeError(`totp(): digits ${JSON.stringify(options.digits)} is not 6, 7 or 8`);
  const period = options.period ?? TOTP_DEFAULTS.period;
  if (!Number.isInteger(period) || period < 1 || period > 300) {
    throw new TypeError(`totp(): period ${JSON.stringify(options.period)} is not a whole number of seconds from 1 to 300 (usually 30)`);
  }
  return { algorithm, digits, period };
}

/** The key in a param, or a TypeError that names the param and the fix (never its value). */
function totpKey(params: Readonly<Record<string, unknown>>, name: string): Buffer {
  const variable = paramVariable(name);
  const value = params[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(
      `totp(): params.${name} is not set; fix: set ${variable} (or --param ${name}=...) to the base32 secret the sign-in's authenticator was set up with`,
    );
  }
  // Inside pulse, params says which are redacted; a secret that is not would show in logs and evidence.
  const secret = (params as { [SECRET_PARAM_NAMES]?: readonly string[] })[SECRET_PARAM_NAMES];
  if (secret && !secret.includes(name)) {
    throw new TypeError(
      `totp(): params.${name} is not a secret param, so its value would not be redacted; fix: name it with "secret" in it (e.g. ${variable}_SECRET) or list ${name} in PULSE_SECRET_PARAMS`,
    );
  }
  const key = decodeBase32(value);
  if (!key.ok)
    throw new TypeError(`totp(): params.${name} ${key.message}; fix: set ${variable} to the base32 secret (A-Z and 2-7, as the authenticator app shows it)`);
  return key.bytes;
}

/**
 * The one-time code of the secret in `params[name]` (base32), valid now for at least
 * `minRemaining` seconds: waits for the next window when the current one is about to end.
 */
export async function totp(params: Readonly<Record<string, unknown>>, name: string, options: TotpOptions = {}): Promise<string> {
  const shape = totpShape(options);
  const minRemaining = options.minRemaining ?? DEFAULT_MIN_REMAINING;
  if (typeof minRemaining !== 'number' || !(minRemaining >= 0) || minRemaining >= shape.period) {
    throw new TypeError(`totp(): minRemaining ${JSON.stringify(options.minRemaining)} is not a number of seconds from 0 to below the period (${shape.period})`);
  }
  const key = totpKey(params, name);
  const now = options.now ?? Date.now;
  const asked = now();
  const waitMs = waitBeforeCode(asked, shape.period, minRemaining);
  if (waitMs === 0) return totpAt(key, asked, shape);
  await sleep(waitMs);
  // A timer may wake a millisecond before the wall clock says the window ended: never the expiring code.
  return totpAt(key, Math.max(now(), asked + waitMs), shape);
}
