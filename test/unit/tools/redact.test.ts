import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, createRedactor, encodingsOf } from '../../../src/redact.ts';

const SECRET = `p&ss "wörd" <1> +!'~`;

test('a secret is hidden in every form evidence keeps it in: raw, JSON, HTML, URL, form body, base64', () => {
  const redact = createRedactor([SECRET]);
  assert.equal(redact.active, true);
  const written = [
    SECRET,
    JSON.stringify({ password: SECRET }),
    `<input value="${SECRET.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">`,
    `https://shop.example.com/login?pw=${encodeURIComponent(SECRET)}`,
    new URLSearchParams({ pw: SECRET }).toString(),
    Buffer.from(SECRET).toString('base64'),
    Buffer.from(SECRET).toString('base64url'),
  ];
  for (const text of written) {
    const out = redact(text);
    assert.ok(out.includes(REDACTED), `redacted in: ${text}`);
    for (const form of encodingsOf(SECRET)) if (form.length >= 3) assert.ok(!out.includes(form), `no ${form} left in ${out}`);
  }
});

test('the basic-auth header of user:secret is hidden for each partner value', () => {
  const redact = createRedactor(['hunter22'], ['qa-user']);
  const header = `Authorization: Basic ${Buffer.from('qa-user:hunter22').toString('base64')}`;
  assert.equal(redact(header), `Authorization: Basic ${REDACTED}`);
});

test('overlapping secrets are hidden whole, the longest first; short ones (under 3 characters) are not secrets', () => {
  const redact = createRedactor(['abc', 'abcdef', 'xy']);
  assert.equal(redact('abcdef abc xy'), `${REDACTED} ${REDACTED} xy`);
});

test('nothing to hide: the text is returned as it is, and the redactor says it is idle', () => {
  const redact = createRedactor([]);
  assert.equal(redact.active, false);
  assert.equal(redact('anything'), 'anything');
});
