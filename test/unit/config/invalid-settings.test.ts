// Bad settings as data: each file under invalid/ gives variables and flags, and the exact lines
// `pulse` prints for them, each naming the setting (and its flag) and the fix.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { resolveConfig, type Flags } from '../../../src/config.ts';
import { formatProblem } from '../../../src/problem.ts';
import { SETTING_KEYS, defaultOf, settingOf } from '../../../src/settings/table.ts';

interface Case {
  env?: Record<string, string>;
  flags?: Flags;
  /** `{cores}` stands for this machine's default concurrency. */
  problems: string[];
}

const dir = new URL('./invalid/', import.meta.url);
const cases = readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => ({ name, ...(JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as Case) }));

test('there are bad inputs to test', () => {
  assert.ok(cases.length >= 40, `${cases.length} files in test/unit/config/invalid/`);
});

for (const c of cases) {
  test(`${c.name}: refused with its one line each`, () => {
    const result = resolveConfig({ env: c.env ?? {}, flags: c.flags ?? {}, cwd: '/srv/pulse' });
    assert.equal(result.config, undefined);
    const expected = c.problems.map((line) => line.replaceAll('{cores}', String(defaultOf('concurrency'))));
    assert.deepEqual(result.problems.map(formatProblem), expected);
    for (const problem of result.problems) assert.ok(problem.fix.length > 0, 'every problem says how to fix it');
  });
}

test('a secret value is never echoed back in a problem', () => {
  const secrets = new Set<string>(
    SETTING_KEYS.map(settingOf)
      .filter((s) => s.secret)
      .map((s) => s.env),
  );
  assert.ok(secrets.size > 0);
  for (const c of cases) {
    for (const [name, value] of Object.entries(c.env ?? {})) {
      if (secrets.has(name) && value.trim()) assert.ok(!c.problems.join('\n').includes(value), `${c.name}: ${name}'s value shown`);
    }
  }
});

// A list parser takes any text, so these three cannot be given a bad value.
const ALWAYS_VALID = new Set(['PULSE_SECRET_PARAMS', 'PULSE_SYSTEM_BROWSER_PATHS', 'PULSE_PROJECTS']);

test('every setting that can be wrong has a bad input among the files', () => {
  const named = new Set(cases.flatMap((c) => c.problems.map((line) => /^PULSE_[A-Z0-9_]+/.exec(line)?.[0])));
  const missing = SETTING_KEYS.map((key) => settingOf(key).env).filter((env) => !named.has(env) && !ALWAYS_VALID.has(env));
  assert.deepEqual(missing, []);
});
