// Makes sure the Debian packages a check needs are here before it starts, the way the postinstall
// does for Chromium: `npm test` runs `ensure-packages.ts test` first (its pretest).
//   - all present: one line, no apt at all (a second or less);
//   - missing, root on Debian/Ubuntu: apt-get install them (apt-get update first only if needed);
//   - missing otherwise: name what is missing, print the exact command, exit 1 before any test.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { IMAGE_TEST_PACKAGES, TEST_PACKAGES, type DebianPackage } from './debian-packages.ts';

const APT_GET = '/usr/bin/apt-get';
const APT_TIMEOUT_MS = 15 * 60_000;

export interface EnsureOptions {
  /** Who asks, as the first words of each line: 'npm test'. */
  label: string;
  log?: (line: string) => void;
  /** Tests pass their own; by default the real answers. */
  isRoot?: boolean;
  aptGet?: string;
}

function usable(file: string, mode: number): boolean {
  try {
    accessSync(file, mode);
    return true;
  } catch {
    return false;
  }
}

/** An absolute path that exists, or a command found on PATH (and in /usr/sbin, /sbin for root's tools). */
function present(thing: string): boolean {
  if (path.isAbsolute(thing)) return usable(thing, constants.R_OK);
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => usable(path.join(dir, thing), constants.X_OK));
}

export function missingPackages(packages: readonly DebianPackage[]): { pkg: DebianPackage; absent: string[] }[] {
  return packages.map((pkg) => ({ pkg, absent: pkg.provides.filter((p) => !present(p)) })).filter((m) => m.absent.length > 0);
}

function runAptGet(aptGet: string, args: string[]): boolean {
  const result = spawnSync(aptGet, args, { stdio: 'inherit', timeout: APT_TIMEOUT_MS, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

/** The command a person runs to install these packages. */
export function installCommand(names: readonly string[], asRoot = process.getuid?.() === 0): string {
  return `${asRoot ? '' : 'sudo '}apt-get install -y --no-install-recommends ${names.join(' ')}`;
}

/** True when every package is present, installing what is missing where that can be done without asking. */
export function ensurePackages(packages: readonly DebianPackage[], options: EnsureOptions): boolean {
  const log = options.log ?? ((line: string) => console.log(line));
  let missing = missingPackages(packages);
  if (missing.length === 0) {
    log(`${options.label}: Debian packages present: ${packages.map((p) => p.name).join(' ')}`);
    return true;
  }
  const names = missing.map((m) => m.pkg.name);
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  const aptGet = options.aptGet ?? APT_GET;
  const hasApt = usable(aptGet, constants.X_OK);
  if (isRoot && hasApt) {
    log(`${options.label}: installing missing Debian packages: ${names.join(' ')}`);
    const install = ['install', '-y', '-q', '--no-install-recommends', ...names];
    // Package lists may be absent (a fresh image) or stale (a mirror moved on): update only then.
    const run = (args: string[]) => runAptGet(aptGet, args);
    if (!run(install) && !(run(['update', '-q']) && run(install))) log(`${options.label}: apt-get install failed`);
    missing = missingPackages(packages);
    if (missing.length === 0) return true;
  }
  log(`${options.label}: missing Debian packages:`);
  for (const { pkg, absent } of missing) log(`  ${pkg.name.padEnd(24)} ${absent.join(', ')} not found: ${pkg.usedFor}`);
  if (hasApt) {
    log('Install them, then run it again:');
    log(
      `  ${installCommand(
        missing.map((m) => m.pkg.name),
        isRoot,
      )}`,
    );
  } else {
    log('These are Debian/Ubuntu package names; on another system install what provides the files above.');
  }
  return false;
}

const SETS: Record<string, readonly DebianPackage[]> = { test: TEST_PACKAGES, image: IMAGE_TEST_PACKAGES };

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const set = process.argv[2] ?? '';
  const packages = SETS[set];
  if (!packages) {
    console.error(`usage: ensure-packages.ts ${Object.keys(SETS).join('|')}`);
    process.exit(2);
  }
  const label = set === 'test' ? 'npm test' : `npm run test:${set}`;
  process.exit(ensurePackages(packages, { label }) ? 0 : 1);
}
