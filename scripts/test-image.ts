// npm run test:image: builds the Dockerfile and proves the image it makes, in a real container:
//   - `pulse once` against the demo shop succeeds, as uid 10001;
//   - the daemon starts under tini, beats (a heartbeat log line, pulse_heartbeats_total), and the
//     image's own HEALTHCHECK command passes inside it;
//   - a failed run writes its evidence to /data, owned by the pulse user;
//   - SIGTERM stops it through tini, and it exits 0.
// With Docker where an engine answers; otherwise, as root, with Debian's podman (installed with
// apt when missing, like the test suite's packages). Where the official base image cannot be
// pulled, a base made from Debian packages and the npm registry stands in
// (scripts/make-base-image.sh, kept for later runs).
//
//   npm run test:image [-- --base auto|official|debootstrap] [--tag localhost/pulse:test] [--no-build]
// --no-build proves an image already there under --tag.
//
// The demo shop runs from this checkout on 127.0.0.1; the containers share the host's network.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { demoMfaEnv } from '../src/demo/mfa-account.ts';
import { IMAGE_TEST_PACKAGES } from './debian-packages.ts';
import { ensurePackages } from './ensure-packages.ts';
import { npmBuildSecrets, writeBuildSecrets } from './npm-build-secrets.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LABEL = 'test:image';
/** podman's own store for this test, so its storage driver never clashes with another store's. */
const PODMAN_ROOT = '/var/lib/pulse-image-test/storage';
const PODMAN_RUNROOT = '/run/pulse-image-test';
const PULSE_UID = '10001';

const started = performance.now();
function say(line: string): void {
  console.log(`${LABEL} [${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
}

class CheckFailed extends Error {}
function check(ok: unknown, what: string, detail = ''): asserts ok {
  if (!ok) throw new CheckFailed(`${what}${detail ? `\n${detail}` : ''}`);
  say(`ok: ${what}`);
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; with `echo`, its output is shown as it comes, indented. */
function run(argv: readonly string[], options: { timeoutMs?: number; echo?: boolean; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const show = (chunk: Buffer) => {
      if (options.echo) process.stdout.write(chunk.toString().replace(/^(?=.)/gm, '    '));
    };
    child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), show(chunk)));
    child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), show(chunk)));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (error) => (stderr += String(error)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new CheckFailed(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(1000);
  }
}

// ---- the container engine --------------------------------------------------------------------

interface Engine {
  kind: 'docker' | 'podman';
  /** The command and its global flags. */
  argv: string[];
  /** Flags every `run` gets. */
  runFlags: string[];
  buildFlags: string[];
}

function limit(name: string): number | undefined {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard && /^\d+$/.test(hard) ? Number(hard) : undefined;
}

async function findEngine(): Promise<Engine> {
  const docker = await run(['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
  if (docker.code === 0) {
    say(`engine: Docker ${docker.stdout.trim()}`);
    return { kind: 'docker', argv: ['docker'], runFlags: [], buildFlags: [] };
  }
  say('engine: no Docker engine answers; podman, with runc and its own vfs store');
  if (process.getuid?.() !== 0) throw new CheckFailed('without a Docker engine this test runs podman as root: run it as root (CI does)');
  if (!ensurePackages(IMAGE_TEST_PACKAGES, { label: `npm run ${LABEL}` })) throw new CheckFailed('the packages above are needed');
  // podman asks runc for open-file and process limits above the ones it runs under itself, which
  // a container cannot raise: give it the limits it has (processes: at most pid_max).
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim());
  const files = Math.min(limit('Max open files') ?? 1024, 1_048_576);
  const processes = Math.min(limit('Max processes') ?? 4096, pidMax);
  return {
    kind: 'podman',
    argv: ['podman', '--root', PODMAN_ROOT, '--runroot', PODMAN_RUNROOT, '--storage-driver', 'vfs', '--runtime', 'runc', '--cgroup-manager', 'cgroupfs'],
    runFlags: ['--ulimit', `nofile=${files}:${files}`, '--ulimit', `nproc=${processes}:${processes}`],
    // OCI images have no HEALTHCHECK: build Docker's format, which keeps it. With vfs every layer
    // is a full copy of the tree: commit each stage once, and build the two npm ci stages at once.
    buildFlags: ['--format', 'docker', '--layers=false', '--jobs', '2'],
  };
}

async function engine(e: Engine, args: readonly string[], options: Parameters<typeof run>[1] = {}): Promise<Ran> {
  return run([...e.argv, ...args], options);
}

async function engineOk(e: Engine, args: readonly string[], what: string, options: Parameters<typeof run>[1] = {}): Promise<string> {
  const result = await engine(e, args, options);
  if (result.code !== 0) throw new CheckFailed(`${what}: ${e.kind} ${args.join(' ')} exited ${result.code}\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

// ---- the base image --------------------------------------------------------------------------

/** The Dockerfile's default BASE_IMAGE, e.g. node:24-bookworm-slim. */
function officialBase(): string {
  const match = /^ARG BASE_IMAGE=(\S+)/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  if (!match) throw new CheckFailed('Dockerfile: no ARG BASE_IMAGE=<image> line');
  return match[1]!;
}

async function debootstrapBase(e: Engine, nodeMajor: string): Promise<string> {
  const arch = ({ x64: 'x64', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
  const versions = await run(['npm', 'view', `node-linux-${arch}@${nodeMajor}`, 'version', '--json'], { timeoutMs: 60_000 });
  const list = versions.code === 0 ? ([] as string[]).concat(JSON.parse(versions.stdout) as string | string[]) : [];
  const newest = list.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
  if (!newest) throw new CheckFailed(`npm view node-linux-${arch}@${nodeMajor}: no version\n${versions.stderr}`);
  const tag = `localhost/pulse-base:bookworm-node${newest}`;
  if ((await engine(e, ['image', 'inspect', tag], { timeoutMs: 60_000 })).code === 0) {
    say(`base: ${tag}, made from Debian packages earlier (kept until Node.js ${nodeMajor} has a newer release)`);
    return tag;
  }
  if (process.getuid?.() !== 0) throw new CheckFailed('making the base image needs root (debootstrap)');
  if (
    !ensurePackages(
      IMAGE_TEST_PACKAGES.filter((p) => p.name === 'debootstrap'),
      { label: `npm run ${LABEL}` },
    )
  )
    throw new CheckFailed('debootstrap is needed');
  say(`base: making ${tag} with debootstrap and Node.js ${newest} from the npm registry`);
  const made = await run(['bash', path.join(ROOT, 'scripts', 'make-base-image.sh'), tag, ...e.argv], {
    echo: true,
    env: { ...process.env, NODE_MAJOR: nodeMajor },
  });
  if (made.code !== 0) throw new CheckFailed(`make-base-image.sh exited ${made.code}`);
  return tag;
}

async function chooseBase(e: Engine, wanted: string): Promise<string> {
  const official = officialBase();
  const nodeMajor = /^node:(\d+)/.exec(official)?.[1] ?? '24';
  if (wanted === 'official' || wanted === 'auto') {
    const pull = await engine(e, ['pull', official], { timeoutMs: 5 * 60_000 });
    if (pull.code === 0) {
      say(`base: ${official}, pulled`);
      return official;
    }
    const reason = (pull.stderr.trim().split('\n').at(-1) ?? '').slice(0, 300);
    if (wanted === 'official') throw new CheckFailed(`cannot pull ${official}: ${reason}`);
    say(`base: cannot pull ${official} (${reason}); a base made from Debian packages stands in`);
  }
  return debootstrapBase(e, nodeMajor);
}

// ---- the build -------------------------------------------------------------------------------

function npmGet(key: string): string | undefined {
  const result = spawnSync('npm', ['config', 'get', key], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  const value = result.stdout?.trim();
  return result.status === 0 && value && value !== 'null' && value !== 'undefined' ? value : undefined;
}

async function build(e: Engine, base: string, tag: string, secretsDir: string): Promise<void> {
  const secrets = npmBuildSecrets({ get: npmGet, files: [npmGet('userconfig') ?? '', path.join(ROOT, '.npmrc')].filter(Boolean), env: process.env });
  const args = [
    'build',
    ...e.buildFlags,
    '--network',
    'host',
    '--build-arg',
    `BASE_IMAGE=${base}`,
    ...writeBuildSecrets(secretsDir, secrets),
    '--tag',
    tag,
    '--file',
    path.join(ROOT, 'Dockerfile'),
    ROOT,
  ];
  say(`build: ${e.kind} build --network host --build-arg BASE_IMAGE=${base} --tag ${tag} (npm settings as build secrets)`);
  const t0 = performance.now();
  const built = await engine(e, args, { echo: true, env: { ...process.env, DOCKER_BUILDKIT: '1' } });
  if (built.code !== 0) throw new CheckFailed(`the build failed (exit ${built.code})`);
  say(`build: done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

// ---- what the image must do ------------------------------------------------------------------

interface ImageConfig {
  User?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Healthcheck?: { Test?: string[] };
}

async function imageFacts(e: Engine, tag: string): Promise<{ config: ImageConfig; size: number }> {
  const [info] = JSON.parse(await engineOk(e, ['image', 'inspect', tag], 'image inspect')) as {
    Config?: ImageConfig;
    Healthcheck?: ImageConfig['Healthcheck'];
    Size?: number;
  }[];
  // Docker keeps the health check in Config; podman beside it.
  return { config: { ...info?.Config, Healthcheck: info?.Config?.Healthcheck ?? info?.Healthcheck }, size: info?.Size ?? 0 };
}

interface Shop {
  url: string;
  faults(body: Record<string, unknown> | undefined): Promise<void>;
  close(): void;
}

async function startShop(): Promise<Shop> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'demo', 'main.ts'), '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new CheckFailed('the demo shop did not start within 30 s')), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new CheckFailed(`the demo shop exited with ${code}`)));
  });
  child.stdout.resume();
  return {
    url,
    async faults(body) {
      const response = await fetch(
        `${url}/__faults`,
        body ? { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : { method: 'DELETE' },
      );
      if (!response.ok) throw new CheckFailed(`demo shop faults: ${response.status}`);
    },
    close: () => child.kill('SIGTERM'),
  };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((line) => {
    try {
      const value = JSON.parse(line) as unknown;
      return isRecord(value) ? [value] : [];
    } catch {
      return [];
    }
  });
}

async function proveImage(e: Engine, tag: string, shop: Shop, name: string): Promise<void> {
  const { config, size } = await imageFacts(e, tag);
  say(
    `image: ${tag}, ${(size / 2 ** 20).toFixed(0)} MiB, user ${config.User}, entrypoint ${JSON.stringify(config.Entrypoint)}, cmd ${JSON.stringify(config.Cmd)}`,
  );
  check(config.User?.split(':')[0] === PULSE_UID, `the image runs as uid ${PULSE_UID}`);
  check(config.Entrypoint?.[0]?.endsWith('/tini'), 'its entrypoint is tini');
  const healthTest = config.Healthcheck?.Test ?? [];
  check(healthTest[0] === 'CMD' || healthTest[0] === 'CMD-SHELL', 'it has a HEALTHCHECK', JSON.stringify(config.Healthcheck));

  const compiled = await engineOk(
    e,
    [
      'run',
      '--rm',
      '--name',
      `${name}-probe`,
      ...e.runFlags,
      '--entrypoint',
      'sh',
      tag,
      '-c',
      "id; grep -h nodedir node_modules/better-sqlite3/build/config.gypi; node -e \"new (require('better-sqlite3'))(':memory:').prepare('select 1').get(); console.log(process.version)\"",
    ],
    'better-sqlite3 in the image',
  );
  say(`in the image:\n${compiled.trim().replace(/^/gm, '    ')}`);
  check(compiled.includes(`uid=${PULSE_UID}(pulse)`), `a container of the image runs as uid ${PULSE_UID} (pulse)`);
  check(/"nodedir": "\/usr\/local"/.test(compiled), "better-sqlite3 was compiled in the build against the image's Node.js headers, not downloaded");

  // The demo shop's account, for the bundled mfa-sign-in journey.
  const account = Object.entries(demoMfaEnv()).flatMap(([variable, value]) => ['--env', `${variable}=${value}`]);
  const env = ['--env', 'PULSE_LOCATION=image-test', '--env', `PULSE_PARAM_BASE_URL=${shop.url}`, ...account];
  say(`once: pulse once against the demo shop at ${shop.url}`);
  const once = await engine(e, ['run', '--rm', '--name', `${name}-once`, '--network', 'host', ...e.runFlags, ...env, tag, 'once'], {
    echo: true,
    timeoutMs: 5 * 60_000,
  });
  check(once.code === 0, '`pulse once` passed in the image (exit 0)', `exit ${once.code}`);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  say(`daemon: pulse run on 127.0.0.1:${port}, every journey every 10 s`);
  await engineOk(
    e,
    [
      'run',
      '--detach',
      '--name',
      name,
      '--network',
      'host',
      ...e.runFlags,
      ...env,
      '--env',
      'PULSE_HOST=127.0.0.1',
      '--env',
      `PULSE_PORT=${port}`,
      '--env',
      'PULSE_GRACE_PERIOD=20s',
      tag,
      'run',
      '--schedule',
      '*/10 * * * * *',
    ],
    'docker run',
  );
  const logs = async () => {
    const result = await engine(e, ['logs', name], { timeoutMs: 30_000 });
    return jsonLines(result.stdout + result.stderr);
  };
  await until('/readyz', 120_000, async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined));
  check(true, 'the daemon started: /readyz answers 200');
  const pid1 = await engineOk(
    e,
    [
      'exec',
      name,
      'sh',
      '-c',
      'tr "\\0" " " </proc/1/cmdline; echo; grep ^Uid /proc/1/status; for p in /proc/[0-9]*; do [ "$(tr -d "\\0" <$p/cmdline 2>/dev/null | head -c 4)" = node ] && grep ^Uid $p/status | head -1; done | sort -u',
    ],
    'exec',
  );
  say(`processes:\n${pid1.trim().replace(/^/gm, '    ')}`);
  check(/^\/usr\/bin\/tini -- node \/app\/bin\/pulse\.js run/.test(pid1), 'PID 1 is tini, running node bin/pulse.js run');
  check(
    pid1
      .split('\n')
      .filter((l) => l.startsWith('Uid:'))
      .every((l) => l.split(/\s+/)[1] === PULSE_UID),
    `tini and every node process run as uid ${PULSE_UID}`,
  );

  const heartbeat = await until('a heartbeat', 180_000, async () => (await logs()).find((l) => l.event === 'heartbeat'));
  say(`heartbeat: ${JSON.stringify(heartbeat)}`);
  check(heartbeat.location === 'image-test', 'the daemon beats: a heartbeat log line, labelled with PULSE_LOCATION');
  // /metrics rebuilds its pulse_* body off the scrape path, at most a second after a change.
  const scrapeBeats = async () => (await (await fetch(`${base}/metrics`)).text()).split('\n').filter((l) => l.startsWith('pulse_heartbeats_total{'));
  const counted = (lines: string[]) => lines.some((l) => Number(l.split(' ').at(-1)) > 0);
  const beats = await until('pulse_heartbeats_total > 0', 15_000, async () => {
    const lines = await scrapeBeats();
    return counted(lines) ? lines : undefined;
  }).catch(async () => scrapeBeats());
  say(`metrics:\n${beats.map((l) => `    ${l}`).join('\n')}`);
  check(counted(beats), 'pulse_heartbeats_total counts it');

  // Run here rather than read from the engine's health status: podman schedules its checks with
  // systemd timers, which a machine without systemd does not have.
  const health = healthTest[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', healthTest[1] ?? ''] : healthTest.slice(1);
  say(`healthcheck: ${health.join(' ')}`);
  const healthRun = await engine(e, ['exec', name, ...health], { timeoutMs: 30_000 });
  check(healthRun.code === 0, "the image's HEALTHCHECK command passes inside the container", healthRun.stdout + healthRun.stderr);

  say('evidence: the checkout answers 500 for a while');
  await shop.faults({ checkout500: true });
  const failed = await until('a journey_failed line for checkout', 180_000, async () =>
    (await logs()).find((l) => l.event === 'journey_failed' && l.journey === 'checkout'),
  );
  await shop.faults(undefined);
  say(`failure: ${JSON.stringify({ journey: failed.journey, step: failed.step, reason: failed.reason, runId: failed.runId })}`);
  const files = await engineOk(e, ['exec', name, 'find', '/data', '-type', 'f', '-printf', '%U:%G %8s %p\\n'], 'exec find');
  say(
    `/data:\n${files
      .trim()
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')}`,
  );
  const evidence = files.split('\n').filter((l) => l.includes(`/data/artifacts/checkout/${String(failed.runId)}/`));
  check(
    evidence.some((l) => l.endsWith('.png')),
    "the failed run's screenshot is in /data/artifacts",
  );
  check(files.includes('/data/runs.sqlite'), 'the run history is in /data/runs.sqlite');
  check(
    files
      .trim()
      .split('\n')
      .every((l) => l.startsWith(`${PULSE_UID}:${PULSE_UID} `)),
    `everything in /data belongs to ${PULSE_UID}:${PULSE_UID}`,
  );

  say('stop: SIGTERM to the container (tini, PID 1)');
  const t0 = performance.now();
  await engineOk(e, ['kill', '--signal', 'TERM', name], 'kill');
  const waited = await engine(e, ['wait', name], { timeoutMs: 90_000 });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const tail = await logs();
  const events = tail.map((l) => l.event).filter((ev) => ev === 'stopping' || ev === 'stopped');
  say(`stop: exit ${waited.stdout.trim()} after ${seconds} s; events ${JSON.stringify(events)}`);
  check(waited.stdout.trim() === '0', 'SIGTERM stops the daemon through tini with exit 0', waited.stderr);
  check(events.includes('stopping') && events.at(-1) === 'stopped', 'it logged stopping, then stopped');
}

/** Undone in reverse order when the test ends, however it ends (Ctrl-C and SIGTERM included). */
const cleanups: (() => unknown)[] = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch {
      // Clean up the rest all the same.
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      base: { type: 'string', default: 'auto' },
      tag: { type: 'string', default: 'localhost/pulse:test' },
      'no-build': { type: 'boolean', default: false },
    },
  });
  if (!['auto', 'official', 'debootstrap'].includes(values.base)) throw new CheckFailed(`--base ${values.base}: one of auto, official, debootstrap`);
  const e = await findEngine();
  const name = `pulse-image-test-${process.pid}`;
  // Intermediate build stages are untagged; in podman's own store they would pile up.
  if (e.kind === 'podman') cleanups.push(() => engine(e, ['image', 'prune', '--force'], { timeoutMs: 10 * 60_000 }));
  for (const container of [name, `${name}-once`, `${name}-probe`]) cleanups.push(() => engine(e, ['rm', '--force', container], { timeoutMs: 60_000 }));
  const base = values['no-build'] ? '(not built here)' : await chooseBase(e, values.base);
  if (!values['no-build']) {
    const secretsDir = mkdtempSync(path.join(tmpdir(), 'pulse-build-secrets-'));
    chmodSync(secretsDir, 0o700);
    const removeSecrets = () => rmSync(secretsDir, { recursive: true, force: true });
    cleanups.push(removeSecrets);
    await build(e, base, values.tag, secretsDir);
    removeSecrets();
  }
  const shop = await startShop();
  cleanups.push(() => shop.close());
  try {
    await proveImage(e, values.tag, shop, name);
  } catch (error) {
    const logs = await engine(e, ['logs', '--tail', '40', name], { timeoutMs: 30_000 });
    if (logs.code === 0) console.log(`${LABEL}: the daemon's last lines:\n${logs.stdout}${logs.stderr}`);
    throw error;
  }
  say(`passed: ${values.tag} built FROM ${base} and proven with ${e.kind}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${LABEL}: ${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

main().then(cleanUp, async (error: unknown) => {
  console.error(`${LABEL}: FAILED: ${error instanceof CheckFailed ? error.message : error instanceof Error ? error.stack : String(error)}`);
  await cleanUp();
  process.exit(1);
});
