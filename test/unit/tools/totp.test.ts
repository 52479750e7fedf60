import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeBase32 } from '../../../src/base32.ts';
import { SECRET_PARAM_NAMES } from '../../../src/journey.ts';
import { REDACTED, createRedactor } from '../../../src/redact.ts';
import { hotp, timeStep, totp, totpAt, waitBeforeCode, type TotpAlgorithm } from '../../../src/totp.ts';

interface Rfc6238 {
  seeds: Record<TotpAlgorithm, string>;
  vectors: [number, string, string, string, string][];
  hotp: { codes: string[] };
}
const RFC = JSON.parse(readFileSync(new URL('data/totp-rfc6238.json', import.meta.url), 'utf8')) as Rfc6238;
const ALGORITHMS: TotpAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];

/** RFC 4648 base32 written here the long way (5 bits at a time), to feed totp() the RFC's seeds as a param. */
function base32Of(bytes: Buffer): string {
  const bits = [...bytes].map((byte) => byte.toString(2).padStart(8, '0')).join('');
  const padded = bits.padEnd(Math.ceil(bits.length / 5) * 5, '0');
  return (padded.match(/.{5}/g) ?? []).map((chunk) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[parseInt(chunk, 2)]).join('');
}

test('RFC 6238 appendix B: every vector, SHA1/256/512, 8 digits, at the listed times, with the listed time steps', () => {
  assert.equal(RFC.vectors.length, 6);
  for (const [seconds, step, ...codes] of RFC.vectors) {
    assert.equal(timeStep(seconds * 1000, 30), parseInt(step, 16), `T at ${seconds}`);
    ALGORITHMS.forEach((algorithm, index) => {
      const key = Buffer.from(RFC.seeds[algorithm], 'ascii');
      assert.equal(totpAt(key, seconds * 1000, { algorithm, digits: 8, period: 30 }), codes[index], `${algorithm} at ${seconds}`);
    });
  }
});

test('RFC 4226 appendix D: HOTP of counters 0 to 9', () => {
  const key = Buffer.from('12345678901234567890', 'ascii');
  assert.deepEqual(
    RFC.hotp.codes.map((_, counter) => hotp(key, counter, { algorithm: 'SHA1', digits: 6 })),
    RFC.hotp.codes,
  );
});

test('totp() reads the base32 secret from its param: the RFC vectors again, through the public call', async () => {
  for (const algorithm of ALGORITHMS) {
    const secret = base32Of(Buffer.from(RFC.seeds[algorithm], 'ascii'));
    for (const [seconds, , ...codes] of RFC.vectors) {
      const code = await totp({ mfaSecret: secret }, 'mfaSecret', { algorithm, digits: 8, now: () => seconds * 1000, minRemaining: 0 });
      assert.equal(code, codes[ALGORITHMS.indexOf(algorithm)]);
    }
  }
  // 6 digits are the last 6 of the 8 (the same truncated number, modulo 10^6).
  const sha1 = base32Of(Buffer.from(RFC.seeds.SHA1, 'ascii'));
  assert.equal(await totp({ s: sha1 }, 's', { now: () => 59_000, minRemaining: 0 }), '287082');
  assert.equal(await totp({ s: sha1 }, 's', { digits: 7, now: () => 59_000, minRemaining: 0 }), '4287082');
});

test('base32 as people copy it: spaces, lower case and padding are read; anything else is refused without quoting it', () => {
  const expected = Buffer.from('12345678901234567890', 'ascii');
  for (const spelling of ['GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 'gezd gnbv gy3t qojq gezd gnbv gy3t qojq', ' GEZDGNBVGY3TQOJQ\nGEZDGNBVGY3TQOJQ ']) {
    const read = decodeBase32(spelling);
    assert.ok(read.ok && read.bytes.equals(expected), spelling);
  }
  const padded = decodeBase32('MZXW6===');
  assert.ok(padded.ok && padded.bytes.toString() === 'foo');
  const bad: [string, RegExp][] = [
    ['', /is empty/],
    ['   ', /is empty/],
    ['GEZDGNBV1Y3TQOJQ', /character outside A-Z and 2-7 at position 9/],
    ['GEZD=GNB', /`=` inside it/],
    ['GEZDGNBVG', /9 characters cannot hold whole bytes/],
  ];
  for (const [text, message] of bad) {
    const read = decodeBase32(text);
    assert.ok(!read.ok, text);
    assert.match(read.message, message);
  }
});

test('a bad or missing secret is a TypeError naming the param and the fix, never its value', async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{}, /^totp\(\): params\.mfaSecret is not set; fix: set PULSE_PARAM_MFA_SECRET \(or --param mfaSecret=\.\.\.\)/],
    [{ mfaSecret: '' }, /params\.mfaSecret is not set/],
    [
      { mfaSecret: 'not-base32-at-all!' },
      /^totp\(\): params\.mfaSecret is not base32: a character outside A-Z and 2-7 at position 4; fix: set PULSE_PARAM_MFA_SECRET/,
    ],
    [{ mfaSecret: 'GEZDGNBVG' }, /params\.mfaSecret is not base32: 9 characters cannot hold whole bytes/],
  ];
  for (const [params, message] of cases) {
    await assert.rejects(totp(params, 'mfaSecret'), (error: Error) => {
      assert.equal(error.name, 'TypeError');
      assert.match(error.message, message);
      if (params.mfaSecret) assert.ok(!error.message.includes(params.mfaSecret), 'the value is not quoted');
      return true;
    });
  }
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  await assert.rejects(totp({ s: secret }, 's', { digits: 9 }), /digits 9 is not 6, 7 or 8/);
  await assert.rejects(totp({ s: secret }, 's', { algorithm: 'MD5' as TotpAlgorithm }), /algorithm "MD5" is not one of SHA1, SHA256, SHA512/);
  await assert.rejects(totp({ s: secret }, 's', { period: 0 }), /period 0 is not a whole number of seconds/);
  await assert.rejects(totp({ s: secret }, 's', { minRemaining: 30 }), /minRemaining 30 is not a number of seconds from 0 to below the period/);
});

test('inside pulse, a secret in a param that is not redacted is refused: it would show in logs and evidence', async () => {
  const params = { mfaSeed: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', mfaSecret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' };
  Object.defineProperty(params, SECRET_PARAM_NAMES, { value: ['mfaSecret'], enumerable: false });
  await assert.rejects(
    totp(params, 'mfaSeed'),
    /^TypeError: totp\(\): params\.mfaSeed is not a secret param, so its value would not be redacted; fix: name it with "secret" in it \(e\.g\. PULSE_PARAM_MFA_SEED_SECRET\) or list mfaSeed in PULSE_SECRET_PARAMS$/,
  );
  assert.match(await totp(params, 'mfaSecret', { minRemaining: 0 }), /^\d{6}$/);
});

test('clock skew: with fewer than minRemaining seconds left in the window, the code is made in the next one', async () => {
  assert.equal(waitBeforeCode(60_000, 30, 3), 0, 'a fresh window: no wait');
  assert.equal(waitBeforeCode(86_999, 30, 3), 0, '3.001 s left is enough');
  assert.equal(waitBeforeCode(87_001, 30, 3), 2_999, 'under 3 s left: wait for the next window');
  assert.equal(waitBeforeCode(89_999, 30, 0), 0, 'minRemaining 0 never waits');
  // A real (short) wait: 200 ms before the end of a window, the code handed out is the next window's.
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  const now = 89_800;
  const started = Date.now();
  const code = await totp({ s: secret }, 's', { now: () => now + (Date.now() - started), minRemaining: 1 });
  const key = Buffer.from('12345678901234567890', 'ascii');
  assert.equal(code, totpAt(key, 90_000, { algorithm: 'SHA1', digits: 6, period: 30 }));
  assert.notEqual(code, totpAt(key, 89_999, { algorithm: 'SHA1', digits: 6, period: 30 }), 'not the expiring one');
});

test('the redactor hides a TOTP secret also as the plain base32 it stands for, upper and lower case', () => {
  const redact = createRedactor(['gezd gnbv gy3t qojq']);
  assert.equal(redact('otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ'), `otpauth://totp/x?secret=${REDACTED}`);
  assert.equal(redact('secret: gezdgnbvgy3tqojq'), `secret: ${REDACTED}`);
  assert.equal(redact('typed: gezd gnbv gy3t qojq'), `typed: ${REDACTED}`);
  const password = createRedactor(['password']);
  assert.equal(password('PASSWORD'), 'PASSWORD', 'a short password is not hidden in every spelling');
});
