// The trace viewer's pass: a cookie this daemon signed, for an hour, and nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TRACE_PASS_COOKIE, TracePass } from '../../../src/web/trace-pass.ts';

const HOUR = 60 * 60 * 1000;

function passAt(clock: { now: number }, key = Buffer.alloc(32, 7)) {
  return new TracePass({ path: '/trace-viewer/', now: () => clock.now, key });
}

/** The Cookie header a browser sends back for a Set-Cookie value. */
const cookieOf = (setCookie: string) => setCookie.split(';')[0]!;

test('a pass it issued admits until it expires, an hour later', () => {
  const clock = { now: Date.parse('2026-12-03T03:00:00Z') };
  const pass = passAt(clock);
  const cookie = cookieOf(pass.issue(false));
  assert.equal(pass.admits(cookie), true);
  assert.equal(pass.admits(`theme=dark; ${cookie}; other=1`), true, 'among other cookies');
  clock.now += HOUR - 1000;
  assert.equal(pass.admits(cookie), true);
  clock.now += 1000;
  assert.equal(pass.admits(cookie), false, 'expired');
});

test('the cookie is HttpOnly, SameSite=Strict, for the viewer path only, and Secure only over https', () => {
  const pass = passAt({ now: 0 });
  const plain = pass.issue(false);
  assert.match(plain, new RegExp(`^${TRACE_PASS_COOKIE}=\\d+\\.[A-Za-z0-9_-]{43}; `));
  assert.match(plain, /; Path=\/trace-viewer\/; Max-Age=3600; HttpOnly; SameSite=Strict$/);
  assert.match(pass.issue(true), /; Secure$/);
});

test('a forged, altered, foreign or malformed pass admits nothing', () => {
  const clock = { now: Date.parse('2026-12-03T03:00:00Z') };
  const pass = passAt(clock);
  const value = cookieOf(pass.issue(false)).slice(TRACE_PASS_COOKIE.length + 1);
  const [expires, signature] = value.split('.') as [string, string];
  const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A');
  for (const header of [
    undefined,
    '',
    `${TRACE_PASS_COOKIE}=`,
    `${TRACE_PASS_COOKIE}=${expires}`,
    `${TRACE_PASS_COOKIE}=${Number(expires) + 3600}.${signature}`,
    `${TRACE_PASS_COOKIE}=${expires}.${flipped}`,
    `${TRACE_PASS_COOKIE}=${expires}.${signature}x`,
    `${TRACE_PASS_COOKIE}=99999999999.${signature}`,
    `x${TRACE_PASS_COOKIE}=${value}`,
    `${TRACE_PASS_COOKIE.toUpperCase()}=${value}`,
    cookieOf(passAt(clock, Buffer.alloc(32, 8)).issue(false)),
  ]) {
    assert.equal(pass.admits(header), false, String(header));
  }
  assert.equal(pass.admits(`${TRACE_PASS_COOKIE}=junk; ${TRACE_PASS_COOKIE}=${value}`), true, 'a valid one beside a stale one still admits');
});

test('a new daemon (a new key) admits no pass of the old one', () => {
  const clock = { now: 0 };
  const old = new TracePass({ path: '/trace-viewer/', now: () => clock.now });
  const fresh = new TracePass({ path: '/trace-viewer/', now: () => clock.now });
  assert.equal(fresh.admits(cookieOf(old.issue(false))), false);
});
