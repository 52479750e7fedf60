import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { ROOT, runCommand } from '../support/pulse-cli.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const USER = `pulse-ci-${process.pid}`;
const isRoot = process.getuid?.() === 0;

/**
 * The production build as a container runs it: `npm run build`, copied outside the source tree,
 * production dependencies only, run by an unprivileged user that owns nothing but its data folder.
 */
describe('the built daemon, production dependencies only, as a non-root user', () => {
  let shop: Shop;
  let app: string;
  let data: string;
  let uid: number;
  let gid: number;

  before(async () => {
    shop = await startShop();
    const build = await runCommand('npm', ['run', 'build'], { timeoutMs: 120_000 });
    assert.equal(build.code, 0, build.stderr);
    app = makeTempDir('pulse-app-');
    // Installed like an image's /app: readable by everyone, writable by root only.
    chmodSync(app, 0o755);
    for (const entry of ['bin', 'dist', 'journeys', 'scripts', 'package.json', 'package-lock.json', 'playwright.config.ts']) {
      cpSync(path.join(ROOT, entry), path.join(app, entry), { recursive: true });
    }
    // The installed tree, pruned to what package-lock.json says production needs: the same packages
    // `npm ci --omit=dev` installs, without compiling the SQLite addon a second time (minutes here).
    execFileSync('cp', ['-a', realpathSync(path.join(ROOT, 'node_modules')), path.join(app, 'node_modules')]);
    const install = await runCommand('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund'], { cwd: app, timeoutMs: 120_000 });
    assert.equal(install.code, 0, install.stderr);
    assert.ok(!existsSync(path.join(app, 'node_modules', 'typescript')), 'no dev dependencies');
    assert.ok(!existsSync(path.join(app, 'src')), 'no sources');
    data = makeTempDir('pulse-data-');
    if (isRoot) {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
      uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
      gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
      chownSync(data, uid, gid);
    } else {
      uid = process.getuid!();
      gid = process.getgid!();
    }
  });
  after(async () => {
    await shop.close();
    if (isRoot) execFileSync('userdel', [USER], { stdio: 'ignore' });
    removeDir(app);
    removeDir(data);
  });

  const asUser = (args: string[], timeoutMs = 90_000, extraEnv: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string; lines: string[] }>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(app, 'bin', 'pulse.js'), ...args], {
        cwd: app,
        uid,
        gid,
        env: { PATH: process.env.PATH, HOME: data, PULSE_DATA_DIR: path.join(data, 'pulse'), PULSE_LOG_FORMAT: 'json', ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let signalled = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`timed out\n${stdout}\n${stderr}`));
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        // The daemon gets SIGTERM once it has beaten twice (and its control journey passed, when it runs one).
        const controlDone = !extraEnv.PULSE_CONTROL_INTERVAL || stdout.includes('"event":"control_passed"');
        if (!signalled && (stdout.match(/"event":"heartbeat"/g) ?? []).length >= 2 && controlDone && args[0] === 'run') {
          signalled = true;
          child.kill('SIGTERM');
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, lines: stdout.split('\n').filter(Boolean) });
      });
    });

  test('pulse once checkout succeeds from the build', async () => {
    const run = await asUser(['once', 'checkout', '--base-url', shop.url]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /✓ checkout\s+SUCCESS/);
  });

  test('pulse run beats, passes its built-in control journey, writes its store in the data folder, and stops on SIGTERM with exit 0', async () => {
    // The control journey is a journey file of dist/ too: it must load and pass from the build.
    const run = await asUser(['run', '--base-url', shop.url, '--port', '0', '--schedule', '*/2 * * * * *'], 90_000, {
      PULSE_CONTROL_INTERVAL: '1s',
      PULSE_LOG_LEVEL: 'debug',
    });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const events = run.lines.map((line) => (JSON.parse(line) as { event?: string }).event);
    assert.ok(events.filter((e) => e === 'heartbeat').length >= 2);
    assert.ok(events.includes('stopped'));
    assert.ok(events.includes('control_passed'), 'the control journey passed from the build');
    assert.ok(!events.includes('control_invalid') && !events.includes('control_failed'));
    assert.ok(existsSync(path.join(data, 'pulse', 'runs.sqlite')), 'the run store is in the data folder');
  });

  // Only root can make a folder this test's user cannot write; elsewhere the skip is shown, not passed.
  test(
    'a data folder the user cannot write is a clear error, not a crash loop of runs',
    { skip: isRoot ? false : 'needs root, to run pulse as a user who cannot write the data folder' },
    async () => {
      const locked = makeTempDir('pulse-locked-');
      mkdirSync(path.join(locked, 'data'));
      try {
        const child = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const p = spawn(
            process.execPath,
            [path.join(app, 'bin', 'pulse.js'), 'run', '--base-url', shop.url, '--port', '0', '--data-dir', path.join(locked, 'data')],
            {
              cwd: app,
              uid,
              gid,
              env: { PATH: process.env.PATH, HOME: data, PULSE_LOG_FORMAT: 'json' },
            },
          );
          let stderr = '';
          p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
          p.on('close', (code) => resolve({ code, stderr }));
        });
        assert.notEqual(child.code, 0);
        assert.match(child.stderr, /PULSE_DATA_DIR .* is not writable/);
      } finally {
        removeDir(locked);
      }
    },
  );
});
