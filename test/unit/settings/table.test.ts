// The settings table itself: names that cannot collide, defaults that read, flags commander
// names the way Config looks them up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Option } from 'commander';
import { ALLOW_VARIABLES, PARAMS, SETTING_KEYS, TOOLING_VARIABLES, defaultOf, flagAttribute, settingOf } from '../../../src/settings/table.ts';

const settings = SETTING_KEYS.map((key) => ({ key, ...settingOf(key) }));

test('the table is not empty and every variable is named once', () => {
  assert.ok(settings.length > 30);
  const names = [...settings.map((s) => s.env), PARAMS.env, ALLOW_VARIABLES.env, ...TOOLING_VARIABLES.map((v) => v.env)];
  assert.deepEqual(
    names.filter((name, i) => names.indexOf(name) !== i),
    [],
  );
  for (const name of names) assert.match(name, /^PULSE_[A-Z0-9_<>]+$/);
});

test('every flag is named once, and commander hands its value over under the name Config reads', () => {
  const flags = [...settings.flatMap((s) => (s.flag ? [s.flag] : [])), PARAMS.flag];
  assert.ok(flags.length > 15);
  const specs = flags.map((f) => f.spec);
  assert.deepEqual(
    specs.filter((spec, i) => specs.indexOf(spec) !== i),
    [],
  );
  for (const flag of flags) {
    assert.ok(flag.on.length > 0, `${flag.spec} is on some command`);
    assert.equal(flagAttribute(flag.spec), new Option(flag.spec).attributeName(), flag.spec);
  }
});

test('every default reads as a value of its setting, and one without a default reads as undefined', () => {
  for (const s of settings) {
    const reading = s.read(undefined);
    assert.ok(reading.ok, `${s.env}: default ${s.default}`);
    assert.equal(reading.value === undefined, s.default === undefined, s.env);
    if (s.default !== undefined) assert.deepEqual(defaultOf(s.key), reading.value);
  }
});

test('every description is one line, and says something', () => {
  for (const about of [...settings, PARAMS, ALLOW_VARIABLES, ...TOOLING_VARIABLES]) {
    assert.match(about.description, /^[^\n]{10,200}$/, about.env);
    assert.doesNotMatch(about.description, /\.$/, `${about.env}: a cell, not a sentence`);
  }
});
