// npm postinstall: make sure pulse has a Chromium to drive, where that can be done without asking.
// Order: an existing browser; Debian's/Ubuntu's packages when root on apt; Playwright's own download.
// Never fails the install: when nothing works it prints how to get a browser and exits 0.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const INSTALL_TIMEOUT_MS = 5 * 60_000;

// A source checkout has src/; a production copy has only the build.
const source = new URL('../src/runner/find-browser.ts', import.meta.url);
type FindBrowserModule = typeof import('../src/runner/find-browser.ts');
const finder = (await import(existsSync(source) ? source.href : new URL('../dist/runner/find-browser.js', import.meta.url).href).catch(() => undefined)) as
  FindBrowserModule | undefined;
if (!finder) {
  console.log('pulse: browser set-up skipped (neither src/ nor dist/ is here yet)');
  process.exit(0);
}
const { findBrowser, noBrowserFound } = finder;

function found(): string | undefined {
  try {
    return findBrowser({ configuredPath: process.env.PULSE_BROWSER_PATH || undefined }).label;
  } catch {
    return undefined;
  }
}

function run(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'inherit', timeout: INSTALL_TIMEOUT_MS, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

function main(): void {
  if (process.env.PULSE_SKIP_BROWSER_INSTALL === '1') return;
  const existing = found();
  if (existing) {
    console.log(`pulse: using Chromium at ${existing}`);
    return;
  }
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log('pulse: no Chromium found; installing Debian/Ubuntu package chromium-headless-shell');
    const ok =
      run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium-headless-shell']) ||
      (run('apt-get', ['update']) && run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium-headless-shell']));
    if (ok && found()) return;
  }
  console.log("pulse: no Chromium found; trying Playwright's own download");
  if (
    run(process.execPath, [
      path.join(path.dirname(createRequire(import.meta.url).resolve('playwright/package.json')), 'cli.js'),
      'install',
      'chromium-headless-shell',
    ]) &&
    found()
  )
    return;
  console.log(`pulse: ${noBrowserFound().message}`);
}

try {
  main();
} catch (error) {
  console.log(`pulse: could not set up a browser (${error instanceof Error ? error.message : String(error)})\n${noBrowserFound().message}`);
}
