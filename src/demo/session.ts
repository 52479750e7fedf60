// The shop's sessions and sign-ins: the cookies it reads, what it remembers per signed-in session (at
// most MAX_SESSIONS, the oldest go first: the demo signs in every few seconds) and a comparison of
// secrets that takes as long whatever the guess.
import { randomBytes, timingSafeEqual } from 'node:crypto';

const SESSION_COOKIE = 'shop_session';

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** Signed-in sessions the shop remembers at most, per sign-in; the oldest go first. */
export const MAX_SESSIONS = 10_000;

/** The value of cookie `name` in a Cookie header, if it is there and matches `pattern`. */
export function readCookie(cookieHeader: string | undefined, name: string, pattern: RegExp): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    if (pattern.test(value)) return value;
  }
  return undefined;
}

/** The session id from a Cookie header, if it holds a well-formed shop_session. */
export function readSessionId(cookieHeader: string | undefined): string | undefined {
  return readCookie(cookieHeader, SESSION_COOKIE, SESSION_ID);
}

export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`;
}

/**
 * Remembers `value` for a session, forgetting the session remembered longest ago when MAX_SESSIONS
 * are remembered already: a session remembered again counts from now.
 */
export function rememberSession<V>(sessions: Map<string, V>, key: string, value: V): void {
  sessions.delete(key);
  if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
  sessions.set(key, value);
}

/** Whether an email (any case) and a password are the account's, compared in constant time. */
export function sameCredentials(given: { email: string; password: string }, account: { email: string; password: string }): boolean {
  const email = sameText(given.email.toLowerCase(), account.email);
  const password = sameText(given.password, account.password);
  return email && password;
}

/** Whether a text given is the one expected, compared in constant time: only a wrong length shows. */
export function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
