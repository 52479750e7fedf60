/**
 * The pretest of `npm test`: Debian packages present, installed when root on apt (package lists
 * refreshed only when the install fails), or named with the exact command to run. apt-get is a
 * recording stand-in here; the real one runs in CI on a fresh machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TEST_PACKAGES, type DebianPackage } from '../../../scripts/debian-packages.ts';
import { ensurePackages, installCommand, missingPackages } from '../../../scripts/ensure-packages.ts';
import { tempDir } from '../../support/temp.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A stand-in apt-get that logs its arguments and, on install, creates `<dir>/<package>`; `install` fails until `update` ran when asked. */
function fakeAptGet(dir: string, { needsUpdate }: { needsUpdate: boolean }): { path: string; calls: () => string[] } {
  const log = path.join(dir, 'apt-get.log');
  const script = path.join(dir, 'apt-get');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `echo "$*" >> '${log}'`,
      `if [ "$1" = update ]; then touch '${dir}/updated'; exit 0; fi`,
      needsUpdate ? `[ -e '${dir}/updated' ] || exit 100` : ':',
      'for word in "$@"; do case "$word" in -*|install) ;; *) touch "' + dir + '/$word" ;; esac; done',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return { path: script, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

function packagesIn(dir: string, names: string[]): DebianPackage[] {
  return names.map((name) => ({ name, provides: [path.join(dir, name)], usedFor: `the ${name} test` }));
}

describe('npm test installs the Debian packages it needs first', () => {
  test('the suite needs the browser, the fonts and the Prometheus tools, Alertmanager included', () => {
    const names = TEST_PACKAGES.map((p) => p.name);
    for (const name of [
      'chromium-headless-shell',
      'chromium',
      'fonts-liberation',
      'fonts-noto-color-emoji',
      'prometheus',
      'prometheus-pushgateway',
      'prometheus-alertmanager',
    ]) {
      assert.ok(names.includes(name), name);
    }
    const provided = TEST_PACKAGES.flatMap((p) => p.provides);
    for (const tool of ['promtool', '/usr/bin/prometheus', '/usr/bin/prometheus-pushgateway', '/usr/bin/prometheus-alertmanager', 'amtool'])
      assert.ok(provided.includes(tool), tool);
    assert.deepEqual(
      missingPackages(TEST_PACKAGES).map((m) => m.pkg.name),
      [],
      'this machine has them (the pretest saw to it)',
    );
  });

  test('all present: no apt-get at all', (t) => {
    const dir = tempDir(t);
    const apt = fakeAptGet(dir, { needsUpdate: false });
    writeFileSync(path.join(dir, 'a'), '');
    const lines: string[] = [];
    assert.equal(ensurePackages(packagesIn(dir, ['a']), { label: 'npm test', isRoot: true, aptGet: apt.path, log: (l) => lines.push(l) }), true);
    assert.deepEqual(apt.calls(), []);
    assert.match(lines.join('\n'), /present: a/);
  });

  test('root on apt: installs only what is missing, and updates the package lists only when the install fails', (t) => {
    const dir = tempDir(t);
    writeFileSync(path.join(dir, 'a'), '');
    const fresh = fakeAptGet(dir, { needsUpdate: false });
    assert.equal(ensurePackages(packagesIn(dir, ['a', 'b']), { label: 'npm test', isRoot: true, aptGet: fresh.path, log: () => {} }), true);
    assert.deepEqual(fresh.calls(), ['install -y -q --no-install-recommends b']);

    const stale = tempDir(t);
    const apt = fakeAptGet(stale, { needsUpdate: true });
    assert.equal(ensurePackages(packagesIn(stale, ['c']), { label: 'npm test', isRoot: true, aptGet: apt.path, log: () => {} }), true);
    assert.deepEqual(apt.calls(), ['install -y -q --no-install-recommends c', 'update -q', 'install -y -q --no-install-recommends c']);
  });

  test('not root: nothing is run, each missing package is named with the exact command', (t) => {
    const dir = tempDir(t);
    const apt = fakeAptGet(dir, { needsUpdate: false });
    writeFileSync(path.join(dir, 'a'), '');
    const lines: string[] = [];
    assert.equal(ensurePackages(packagesIn(dir, ['a', 'b', 'c']), { label: 'npm test', isRoot: false, aptGet: apt.path, log: (l) => lines.push(l) }), false);
    assert.deepEqual(apt.calls(), []);
    const text = lines.join('\n');
    assert.match(text, new RegExp(`b +${path.join(dir, 'b')} not found: the b test`));
    assert.doesNotMatch(text, / a +\//);
    assert.ok(lines.includes('  sudo apt-get install -y --no-install-recommends b c'), text);
    assert.equal(installCommand(['b'], true), 'apt-get install -y --no-install-recommends b');
  });

  test('no apt at all: the files that are missing, and no apt command', (t) => {
    const dir = tempDir(t);
    const lines: string[] = [];
    assert.equal(
      ensurePackages(packagesIn(dir, ['b']), { label: 'npm test', isRoot: true, aptGet: path.join(dir, 'no-apt-get'), log: (l) => lines.push(l) }),
      false,
    );
    assert.doesNotMatch(lines.join('\n'), /apt-get install/);
    assert.match(lines.join('\n'), /Debian\/Ubuntu package names/);
  });

  test('npm test runs it before the type check and the tests', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.pretest ?? '', /scripts\/ensure-packages\.ts test\b/);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ensure-packages.ts', 'test'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const unknown = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ensure-packages.ts', 'nothing'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(unknown.status, 2);
  });
});
