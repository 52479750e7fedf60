// docs/settings.md is made from the settings table; this fails when someone changed one and not the other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { settingsReference } from '../../../src/settings/reference.ts';
import { SETTING_KEYS, settingOf } from '../../../src/settings/table.ts';

const DOC = new URL('../../../docs/settings.md', import.meta.url);

test('docs/settings.md is what the settings table makes (run `npm run docs:settings` after changing the table)', () => {
  assert.equal(readFileSync(DOC, 'utf8'), settingsReference());
});

test('the reference has a row for every setting, with its flag and default', () => {
  const rows = settingsReference()
    .split('\n')
    .filter((line) => line.startsWith('| `PULSE_'));
  for (const key of SETTING_KEYS) {
    const setting = settingOf(key);
    const row = rows.find((line) => line.startsWith(`| \`${setting.env}\` |`));
    assert.ok(row, setting.env);
    if (setting.flag) assert.ok(row.includes(setting.flag.spec), `${setting.env}: ${setting.flag.spec}`);
    if (setting.default !== undefined && !setting.shownDefault) assert.ok(row.includes(`\`${setting.default}\``), `${setting.env}: ${setting.default}`);
  }
});
