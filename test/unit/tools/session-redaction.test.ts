import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, createRedactor, growingRedactor, sessionSecrets } from '../../../src/redact.ts';

test('a growing redactor hides the params it started with and every value added later, in their written forms', () => {
  const redact = growingRedactor(createRedactor(['param-secret-1']), ['shopper']);
  assert.equal(redact('param-secret-1 token-abcdef-123'), `${REDACTED} token-abcdef-123`);
  redact.add(['token-abcdef-123']);
  assert.equal(redact('param-secret-1 token-abcdef-123'), `${REDACTED} ${REDACTED}`);
  assert.equal(redact(Buffer.from('token-abcdef-123').toString('base64')), REDACTED);
  assert.equal(redact(Buffer.from('shopper:token-abcdef-123').toString('base64')), REDACTED, 'as the password of a user:password pair');
  assert.equal(redact.active, true);
});

test('a growing redactor with a limit keeps the newest values: one that lives as long as the daemon stays small', () => {
  const redact = growingRedactor(createRedactor([]), [], 2);
  redact.add(['first-value-1']);
  redact.add(['second-value-2']);
  redact.add(['first-value-1']);
  redact.add(['third-value-3']);
  assert.equal(redact('first-value-1 second-value-2 third-value-3'), `${REDACTED} second-value-2 ${REDACTED}`, 'the value seen again counts as new');
});

test('a growing redactor over nothing is inactive until a value is added', () => {
  const redact = growingRedactor(createRedactor([]));
  assert.equal(redact.active, false);
  redact.add(['session-value-1']);
  assert.equal(redact.active, true);
});

test("a session's secrets: cookie and local-storage values of 8 characters or more, not the flags beside them", () => {
  const secrets = sessionSecrets({
    cookies: [{ value: 'Ti81VUJ9E3N_7Lzw4EC1ITgT9ECp3e0K' }, { value: 'dark' }, { value: 'true' }],
    origins: [{ localStorage: [{ value: '{"token":"abc.def.ghi"}' }, { value: '1' }] }],
  });
  assert.deepEqual(secrets, ['Ti81VUJ9E3N_7Lzw4EC1ITgT9ECp3e0K', '{"token":"abc.def.ghi"}']);
});
