import { randomBytes } from 'node:crypto';

const SESSION_COOKIE = 'shop_session';

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** The session id from a Cookie header, if it holds a well-formed shop_session. */
export function readSessionId(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (SESSION_ID.test(value)) return value;
  }
  return undefined;
}

export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`;
}
