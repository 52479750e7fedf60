// docs/settings.md, made from the settings table: `npm run docs:settings` writes it, and a unit
// test fails when the file and the table say different things.
import { resolveConfig } from '../config.ts';
import { formatProblem } from '../problem.ts';
import { ALLOW_VARIABLES, LOADING, PARAMS, SETTING_KEYS, TOOLING_VARIABLES, settingOf, type Flag } from './table.ts';

export function settingsReference(): string {
  const rows = SETTING_KEYS.map((key) => {
    const setting = settingOf(key);
    const fallback = setting.shownDefault ?? (setting.default === undefined ? '' : code(setting.default));
    const secret = setting.secret ? '; never shown back in a problem' : '';
    return [code(setting.env), setting.flag ? flagCell(setting.flag) : '', fallback, `${setting.description}${secret}`];
  });
  return [
    '# Settings',
    '',
    '<!-- Made from src/settings/table.ts by `npm run docs:settings`; a unit test fails when the two differ. -->',
    '',
    'pulse reads its settings from environment variables; a flag, where there is one, wins over its',
    'variable. A variable set to blank counts as unset. Every setting is checked at start, and each',
    'bad one is reported in one line that names it, says what it must be, and how to fix it:',
    '',
    '```',
    ...resolveConfig({ env: { PULSE_PORT: '70000' } }).problems.map(formatProblem),
    '```',
    '',
    'A `PULSE_` variable that is none of those below is refused too, with the closest name',
    'suggested: a typo must not leave the UI open.',
    '',
    table(['variable', 'flag', 'default', 'what it does'], rows),
    '',
    `Flags are taken by every command that loads journeys (${LOADING.map(code).join(', ')}) unless the`,
    'table names the commands.',
    '',
    '## Journey params',
    '',
    table(['variable', 'flag', 'what it does'], [[code(PARAMS.env), flagCell(PARAMS.flag), PARAMS.description]]),
    '',
    '## Other variables',
    '',
    table(
      ['variable', 'read by', 'what it does'],
      [[code(ALLOW_VARIABLES.env), 'pulse', ALLOW_VARIABLES.description], ...TOOLING_VARIABLES.map((v) => [code(v.env), code(v.readBy), v.description])],
    ),
    '',
  ].join('\n');
}

function flagCell(flag: Flag): string {
  const everywhere = flag.on.length === LOADING.length && LOADING.every((name) => flag.on.includes(name));
  return everywhere ? code(flag.spec) : `${code(flag.spec)} (${flag.on.map(code).join(', ')})`;
}

function code(text: string): string {
  return `\`${text}\``;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
