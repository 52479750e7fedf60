// Each command takes the flags the settings table puts on it, and what commander hands over
// resolves into Config as the variable would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { withSettingFlags } from '../../../src/commands/shared.ts';
import { resolveConfig, type Flags } from '../../../src/config.ts';
import { PARAMS, SETTING_KEYS, settingOf, type CommandName } from '../../../src/settings/table.ts';

const COMMANDS: CommandName[] = ['once', 'run', 'demo', 'list', 'validate', 'trigger', 'pause', 'resume'];

test('each command has exactly the flags the table puts on it, each naming its variable in --help', () => {
  for (const name of COMMANDS) {
    const command = withSettingFlags(new Command(name));
    const expected = [...SETTING_KEYS.map(settingOf), PARAMS].flatMap((s) => (s.flag?.on.includes(name) ? [s.flag.spec] : []));
    assert.ok(expected.length > 0, name);
    assert.deepEqual(command.options.map((o) => o.flags).sort(), expected.sort(), name);
    const help = command.helpInformation();
    for (const setting of SETTING_KEYS.map(settingOf))
      if (setting.flag?.on.includes(name)) assert.ok(help.includes(`(${setting.env})`), `${name} --help names ${setting.env}`);
  }
});

test('flags parsed by commander read as their variables would', () => {
  const run = withSettingFlags(new Command('run')).exitOverride();
  run.parse(
    [
      '--port',
      '8080',
      '--grace-period',
      '10s',
      '--base-url',
      'http://shop.test/',
      '--param',
      'testUser=qa',
      '--param',
      'coupon=X',
      '--shard',
      '2/3',
      '--log-level',
      'warn',
    ],
    { from: 'user' },
  );
  const flags: Flags = run.opts();
  const { config, problems } = resolveConfig({ env: {}, flags, cwd: '/srv/pulse' });
  assert.deepEqual(problems, []);
  assert.equal(config?.port, 8080);
  assert.equal(config?.gracePeriodMs, 10_000);
  assert.deepEqual(config?.params, { testUser: 'qa', coupon: 'X', baseUrl: 'http://shop.test/' });
  assert.deepEqual(config?.shard, { index: 2, total: 3 });
  assert.equal(config?.logLevel, 'warn');
});
