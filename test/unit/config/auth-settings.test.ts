// Credentials that are set but say nothing must not leave the UI and API open without a word.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from '../../../src/config.ts';

const base = { PULSE_PARAM_BASE_URL: 'http://127.0.0.1:3100' };

test('an empty or blank PULSE_AUTH_TOKEN is refused like a short one, naming the variable and the fix', () => {
  for (const token of ['', ' ', '\t\n', 'short']) {
    const { config, problems } = resolveConfig({ env: { ...base, PULSE_AUTH_TOKEN: token } });
    assert.equal(config, undefined, JSON.stringify(token));
    const problem = problems.find((p) => p.where.includes('PULSE_AUTH_TOKEN'));
    assert.ok(problem, `a problem for ${JSON.stringify(token)}`);
    assert.match(problem.fix ?? '', /openssl rand/);
    assert.doesNotMatch(JSON.stringify(problem), /short/, 'the value itself is never shown');
  }
});

test('the same for an empty basic-auth user or password', () => {
  const basic = resolveConfig({ env: { ...base, PULSE_AUTH_USER: 'oncall', PULSE_AUTH_PASSWORD: '  ' } });
  assert.ok(basic.problems.some((p) => p.where.includes('PULSE_AUTH_PASSWORD') && /empty/.test(p.message)));
});

test('unset credentials and a good token are accepted', () => {
  const open = resolveConfig({ env: base });
  assert.deepEqual(open.problems, []);
  assert.equal(open.config?.auth.token, undefined);
  const closed = resolveConfig({ env: { ...base, PULSE_AUTH_TOKEN: '0123456789abcdef0123' } });
  assert.deepEqual(closed.problems, []);
  assert.equal(closed.config?.auth.token, '0123456789abcdef0123');
});
