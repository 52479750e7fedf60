import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeVerifier } from '../../../src/demo/mfa-account.ts';
import { MAX_SESSIONS } from '../../../src/demo/session.ts';

// RFC 6238's SHA-1 seed in base32; its codes below are the RFC's 8-digit vectors cut to 6 digits.
const ACCOUNT = { email: 'x@example.com', password: 'pw', secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' };
const AT_59_S = '287082';
/** RFC 6238 at 1111111109 s and at 1111111111 s: two windows one after the other. */
const AT_1111111109_S = '081804';
const AT_1111111111_S = '050471';

let sessions = 0;
/** A shop session that has signed in with no code yet. */
const freshSession = () => `session-${(sessions += 1)}`;

test('a code replayed in the session it signed in is refused, as is the code of an earlier window; the next window signs in', () => {
  const verifyCode = codeVerifier(ACCOUNT.secret);
  const session = freshSession();
  assert.equal(verifyCode(AT_1111111109_S, 1_111_111_109_000, session), true, 'first use');
  assert.equal(verifyCode(AT_1111111109_S, 1_111_111_109_500, session), false, 'the same code again, in its window');
  assert.equal(verifyCode(AT_1111111111_S, 1_111_111_111_000, session), true, "the next window's code");
  assert.equal(
    verifyCode(AT_1111111109_S, 1_111_111_111_000, session),
    false,
    "the previous window's code, which one window late would be taken, after a later one",
  );
  assert.equal(verifyCode(AT_1111111111_S, 1_111_111_111_000, session), false, "the next window's code again");
  // The demo's choice: `pulse demo` signs in every 5 s, each run in a session of its own.
  assert.equal(verifyCode(AT_1111111109_S, 1_111_111_111_000, freshSession()), true, 'another session');
});

test('a wrong code of the right length is refused, and so is anything not six ASCII digits', () => {
  const verifyCode = codeVerifier(ACCOUNT.secret);
  for (const wrong of ['287083', '000000', '280782', '999999']) assert.equal(verifyCode(wrong, 59_000, freshSession()), false, wrong);
  const malformed = ['', '28708', '2870822', 'abcdef', ' 287082', '287082 ', '28708\n', '+28708', '-28708', '2870.8', '２８７０８２', '٢٨٧٠٨٢'];
  for (const bad of malformed) assert.equal(verifyCode(bad, 59_000, freshSession()), false, JSON.stringify(bad));
  assert.equal(verifyCode(AT_59_S, 59_000, freshSession()), true, 'the right code still signs in after them');
});

test('the used codes are remembered for MAX_SESSIONS sessions at most: a flood of sign-ins forgets the oldest first', () => {
  const verifyCode = codeVerifier(ACCOUNT.secret);
  const first = freshSession();
  assert.equal(verifyCode(AT_59_S, 59_000, first), true);
  let last = first;
  for (let i = 1; i < MAX_SESSIONS; i += 1) {
    last = freshSession();
    assert.equal(verifyCode(AT_59_S, 59_000, last), true);
  }
  assert.equal(verifyCode(AT_59_S, 59_000, first), false, 'with MAX_SESSIONS remembered, the first is one of them');
  assert.equal(verifyCode(AT_59_S, 59_000, freshSession()), true, 'one more');
  assert.equal(verifyCode(AT_59_S, 59_000, first), true, 'the first is forgotten');
  assert.equal(verifyCode(AT_59_S, 59_000, last), false, 'the latest are still remembered');
});

test('the demo shop takes the code of the current window and of one either side, the network delay RFC 6238 allows, and nothing else', () => {
  const verifyCode = codeVerifier(ACCOUNT.secret);
  assert.equal(verifyCode(AT_59_S, 59_000, freshSession()), true, 'its own window');
  assert.equal(verifyCode(AT_59_S, 89_999, freshSession()), true, 'one window late');
  assert.equal(verifyCode(AT_59_S, 0, freshSession()), true, 'one window early');
  assert.equal(verifyCode(AT_59_S, 90_000, freshSession()), false, 'two windows late');
  assert.equal(verifyCode(AT_1111111109_S, 1_111_111_109_000, freshSession()), true, 'RFC 6238 at 1111111109');
  for (const bad of ['', '28708', '2870822', 'abcdef', ' 287082']) assert.equal(verifyCode(bad, 59_000, freshSession()), false, JSON.stringify(bad));
});

test('a secret that is not base32 is refused when the shop starts, naming what is wrong and not the secret', () => {
  assert.throws(
    () => codeVerifier('not-base32!'),
    (error: Error) => /the demo account's secret is not base32/.test(error.message) && !error.message.includes('not-base32!'),
  );
});
