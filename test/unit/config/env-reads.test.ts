// A setting is read in one place: config.ts, through the settings table. A module that reads a
// PULSE_ variable itself would skip its validation and repeat its default.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TOOLING_VARIABLES } from '../../../src/settings/table.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/**
 * The postinstall runs in the image before src/ is there (only the few files it imports are
 * copied ahead of npm ci, so the dependency layer stays cached): it looks for the configured
 * browser without config.ts, and pulse validates the setting when it starts.
 */
const ALSO_READ = [{ file: path.join('scripts', 'ensure-browser.ts'), env: 'PULSE_BROWSER_PATH' }];
const READ = /env(?:\.|\[\s*['"`])(PULSE_[A-Z0-9_]+)/g;

function files(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|js)$/.test(file))
    .map((file) => path.join(dir, file));
}

test('no module but src/config.ts reads a PULSE_ variable, bar the tooling where it is said to', () => {
  const scanned = [...files('src'), ...files('scripts'), ...files('bin')];
  assert.ok(scanned.length > 50, `${scanned.length} files`);
  const reads: string[] = [];
  for (const file of scanned) {
    if (file === path.join('src', 'config.ts')) continue;
    for (const [, name] of readFileSync(path.join(ROOT, file), 'utf8').matchAll(READ)) {
      const allowed = [...TOOLING_VARIABLES.map((v) => ({ file: v.readBy, env: v.env })), ...ALSO_READ];
      if (!allowed.some((read) => read.env === name && read.file === file)) reads.push(`${file}: ${name}`);
    }
  }
  assert.deepEqual(reads, []);
});

test('each tooling variable is read where the table says', () => {
  for (const variable of TOOLING_VARIABLES) {
    assert.match(readFileSync(path.join(ROOT, variable.readBy), 'utf8'), new RegExp(`env\\.${variable.env}\\b`), variable.readBy);
  }
});
