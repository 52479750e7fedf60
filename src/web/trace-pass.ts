// The trace viewer cannot carry pulse's credentials: its service worker fetches the viewer's own
// files and the trace, and a browser adds no bearer token to those. So opening a trace (a request
// that passed the auth) hands the browser a pass: an HttpOnly, SameSite=Strict cookie, valid for
// the viewer's path only and for an hour, signed with a key that lives as long as the daemon.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TRACE_PASS_COOKIE = 'pulse_trace_pass';
const DEFAULT_LIFETIME_MS = 60 * 60 * 1000;
const VALUE = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

export interface TracePassOptions {
  /** The URL path the cookie is sent to, e.g. `/trace-viewer/`. */
  path: string;
  lifetimeMs?: number;
  now?: () => number;
  /** The signing key; a fresh random one by default, so a restart ends every pass. */
  key?: Buffer;
}

export class TracePass {
  readonly #path: string;
  readonly #lifetimeMs: number;
  readonly #now: () => number;
  readonly #key: Buffer;

  constructor(options: TracePassOptions) {
    this.#path = options.path;
    this.#lifetimeMs = options.lifetimeMs ?? DEFAULT_LIFETIME_MS;
    this.#now = options.now ?? Date.now;
    this.#key = options.key ?? randomBytes(32);
  }

  /** A Set-Cookie value; `secure` when the browser reached pulse over https (a Secure cookie is dropped over http). */
  issue(secure: boolean): string {
    const expires = Math.floor((this.#now() + this.#lifetimeMs) / 1000);
    const value = `${expires}.${this.#sign(expires)}`;
    return [
      `${TRACE_PASS_COOKIE}=${value}`,
      `Path=${this.#path}`,
      `Max-Age=${Math.floor(this.#lifetimeMs / 1000)}`,
      'HttpOnly',
      'SameSite=Strict',
      ...(secure ? ['Secure'] : []),
    ].join('; ');
  }

  /** Whether a Cookie header carries a pass this daemon signed and that has not expired. */
  admits(cookieHeader: string | undefined): boolean {
    if (!cookieHeader) return false;
    // The browser may send the name more than once (another path's cookie); any valid one admits.
    return cookieHeader
      .split(';')
      .map((pair) => pair.trim())
      .filter((pair) => pair.startsWith(`${TRACE_PASS_COOKIE}=`))
      .some((pair) => this.#valid(pair.slice(TRACE_PASS_COOKIE.length + 1)));
  }

  #valid(value: string): boolean {
    const match = VALUE.exec(value);
    if (!match) return false;
    const expires = Number(match[1]);
    if (expires * 1000 <= this.#now()) return false;
    const given = Buffer.from(match[2]!);
    const expected = Buffer.from(this.#sign(expires));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #sign(expires: number): string {
    return createHmac('sha256', this.#key).update(`pulse trace viewer pass until ${expires}`).digest('base64url');
  }
}
