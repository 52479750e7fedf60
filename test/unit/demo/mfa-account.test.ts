import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeVerifier } from '../../../src/demo/mfa-account.ts';

// RFC 6238's SHA-1 seed in base32; its codes below are the RFC's 8-digit vectors cut to 6 digits.
const ACCOUNT = { email: 'x@example.com', password: 'pw', secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' };
const AT_59_S = '287082';
const verifyCode = codeVerifier(ACCOUNT.secret);

test('the demo shop takes the code of the current window and of one either side, the network delay RFC 6238 allows, and nothing else', () => {
  assert.equal(verifyCode(AT_59_S, 59_000), true, 'its own window');
  assert.equal(verifyCode(AT_59_S, 89_999), true, 'one window late');
  assert.equal(verifyCode(AT_59_S, 0), true, 'one window early');
  assert.equal(verifyCode(AT_59_S, 90_000), false, 'two windows late');
  assert.equal(verifyCode('081804', 1_111_111_109_000), true, 'RFC 6238 at 1111111109');
  for (const bad of ['', '28708', '2870822', 'abcdef', ' 287082']) assert.equal(verifyCode(bad, 59_000), false, JSON.stringify(bad));
});
