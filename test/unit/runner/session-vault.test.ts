import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SessionKeeper } from '../../../src/runner/session-keeper.ts';
import { SessionVault, sessionKeyOf, type KeptSession } from '../../../src/runner/session-vault.ts';
import type { SessionDefinition } from '../../../src/session.ts';
import { tempDir } from '../../support/temp.ts';

const COOKIE = 'cookie-value-0123456789abcdef';
const KEPT: KeptSession = {
  signedInAt: 1_800_000_000_000,
  state: {
    cookies: [{ name: 'shop_account', value: COOKIE, domain: '127.0.0.1', path: '/', expires: -1, httpOnly: true, secure: false, sameSite: 'Lax' }],
    origins: [{ origin: 'http://127.0.0.1:3100', localStorage: [{ name: 'token', value: 'local-storage-secret-value' }] }],
  },
};
const HEX_KEY = 'ab'.repeat(32);

function recorder() {
  const lines: { fields: Record<string, unknown>; message: string }[] = [];
  const log = (fields: object, message: string) => lines.push({ fields: fields as Record<string, unknown>, message });
  return { lines, log: { info: log, warn: log } };
}

test('the key as given: 64 hex digits or base64 of 32 bytes are the key itself, anything else a passphrase', () => {
  assert.deepEqual(sessionKeyOf(HEX_KEY), { raw: Buffer.from(HEX_KEY, 'hex') });
  const base64 = Buffer.alloc(32, 7).toString('base64');
  assert.deepEqual(sessionKeyOf(base64), { raw: Buffer.alloc(32, 7) });
  assert.deepEqual(sessionKeyOf('correct horse battery staple'), { passphrase: 'correct horse battery staple' });
  // 43 base64 characters that are not 32 bytes once decoded stay a passphrase.
  assert.ok('passphrase' in sessionKeyOf(Buffer.alloc(31, 1).toString('base64') + 'AAA='));
});

test('a session is written readable by its owner only, with nothing of it in clear, and reads back', async (t) => {
  for (const key of [HEX_KEY, 'a passphrase of some length']) {
    const dataDir = tempDir(t);
    const vault = new SessionVault({ dataDir, key });
    await vault.write('shop-user', KEPT);
    const file = vault.fileOf('shop-user');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    const text = readFileSync(file, 'utf8');
    for (const clear of [COOKIE, 'local-storage-secret-value', 'shop_account', Buffer.from(COOKIE).toString('base64')]) assert.ok(!text.includes(clear), clear);
    assert.deepEqual(await vault.read('shop-user'), KEPT);
    assert.deepEqual(readdirSync(path.dirname(file)), ['shop-user.session'], 'no temporary file left');
  }
});

test('a file that does not open is discarded with a log line and never throws: another key, damage, another name, junk, too big', async (t) => {
  const dataDir = tempDir(t);
  await new SessionVault({ dataDir, key: HEX_KEY }).write('shop-user', KEPT);
  const { lines, log } = recorder();
  const other = new SessionVault({ dataDir, key: 'another passphrase altogether', log });
  assert.equal(await other.read('shop-user'), undefined);
  assert.equal(lines.at(-1)?.fields.event, 'session_discarded');
  assert.match(lines.at(-1)!.message, /does not open with PULSE_SESSION_KEY/);
  assert.throws(() => statSync(other.fileOf('shop-user')), /ENOENT/, 'the file is removed');

  const vault = new SessionVault({ dataDir, key: HEX_KEY, log });
  // One bit flipped in the sealed data.
  await vault.write('shop-user', KEPT);
  const sealed = JSON.parse(readFileSync(vault.fileOf('shop-user'), 'utf8')) as { data: string };
  const bytes = Buffer.from(sealed.data, 'base64');
  bytes[0]! ^= 1;
  writeFileSync(vault.fileOf('shop-user'), JSON.stringify({ ...sealed, data: bytes.toString('base64') }));
  assert.equal(await vault.read('shop-user'), undefined);

  // Another session's file, passed off under this name: the name is sealed in.
  await vault.write('admin', KEPT);
  renameSync(vault.fileOf('admin'), vault.fileOf('shop-user'));
  assert.equal(await vault.read('shop-user'), undefined);

  for (const junk of [
    '',
    'not json',
    '{"format":"pulse-session-1"}',
    JSON.stringify({ format: 'pulse-session-1', salt: 'AA', iv: 'AA', tag: 'AA', data: 'AA' }),
  ]) {
    writeFileSync(vault.fileOf('shop-user'), junk);
    assert.equal(await vault.read('shop-user'), undefined, junk);
  }
  writeFileSync(vault.fileOf('shop-user'), Buffer.alloc(5 * 1024 * 1024, 0x20));
  assert.equal(await vault.read('shop-user'), undefined);
  assert.match(lines.at(-1)!.message, /more than a kept session ever is/);
  assert.equal(await vault.read('never-written'), undefined, 'no file: nothing kept, nothing logged');
  assert.equal(lines.filter((line) => line.fields.event === 'session_discarded').length, 8);
});

const SESSION: SessionDefinition = { name: 'shop-user', ttlMs: 60_000, checked: true, declaredAt: 'journeys/shop-user.session.ts:3' };
const USE = { journey: 'account', runId: 'run-1', attempt: 1 };

test('the keeper hands a kept state out until its TTL has passed, counted from the sign-in', async () => {
  let now = 1_000_000;
  const learned: string[] = [];
  const keeper = new SessionKeeper({ now: () => now, learned: (values) => learned.push(...values) });
  assert.equal(await keeper.take(SESSION), undefined);
  await keeper.settle(SESSION, { outcome: 'signed-in', state: KEPT.state, rejected: false }, false, USE);
  assert.deepEqual(learned.sort(), [COOKIE, 'local-storage-secret-value'].sort(), "the daemon's redactor learns its values");
  now += 59_999;
  assert.deepEqual(await keeper.take(SESSION), KEPT.state);
  now += 1;
  assert.equal(await keeper.take(SESSION), undefined, 'expired');
  assert.equal(await keeper.take(SESSION), undefined, 'and forgotten');
});

test('the keeper forgets a rejected session, and one a failed attempt ran on when the session has no check', async () => {
  const keeper = new SessionKeeper();
  const signedIn = { outcome: 'signed-in', state: KEPT.state, rejected: false } as const;
  await keeper.settle(SESSION, signedIn, false, USE);
  await keeper.settle(SESSION, { outcome: 'reused' }, true, USE);
  assert.ok(await keeper.take(SESSION), 'with a check, a failure is the journey’s, not the session’s');
  await keeper.settle(SESSION, { outcome: 'dropped' }, true, USE);
  assert.equal(await keeper.take(SESSION), undefined);

  const unchecked = { ...SESSION, checked: false };
  await keeper.settle(unchecked, signedIn, false, USE);
  await keeper.settle(unchecked, { outcome: 'reused' }, false, USE);
  assert.ok(await keeper.take(unchecked), 'a success keeps it');
  await keeper.settle(unchecked, { outcome: 'reused' }, true, USE);
  assert.equal(await keeper.take(unchecked), undefined, 'a failure on it without a check drops it');
});

test('with a vault, a sign-in outlives the keeper; without one, nothing is written and that is said once', async (t) => {
  const dataDir = tempDir(t);
  const first = new SessionKeeper({ vault: new SessionVault({ dataDir, key: HEX_KEY }) });
  await first.take(SESSION);
  await first.settle(SESSION, { outcome: 'signed-in', state: KEPT.state, rejected: false }, false, USE);
  const second = new SessionKeeper({ vault: new SessionVault({ dataDir, key: HEX_KEY }) });
  assert.deepEqual(await second.take(SESSION), KEPT.state);
  await second.settle(SESSION, { outcome: 'dropped' }, true, USE);
  assert.deepEqual(readdirSync(path.join(dataDir, 'sessions')), [], 'a dropped session leaves no file');

  const { lines, log } = recorder();
  const memory = new SessionKeeper({ log });
  await memory.take(SESSION);
  await memory.take({ ...SESSION, name: 'other' });
  assert.equal(lines.filter((line) => line.fields.event === 'sessions_in_memory').length, 1);
});

/** What read() gave within `ms`, or 'still reading'. */
async function readWithin(vault: SessionVault, name: string, ms: number): Promise<KeptSession | undefined | 'still reading'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still reading'>((resolve) => (timer = setTimeout(() => resolve('still reading'), ms)));
  try {
    return await Promise.race([vault.read(name), late]);
  } finally {
    clearTimeout(timer);
  }
}

test('a session file that is not a regular file is discarded at once, never waited on or read: a FIFO, a device, a directory, a link', async (t) => {
  const dataDir = tempDir(t);
  const { lines, log } = recorder();
  const vault = new SessionVault({ dataDir, key: HEX_KEY, log });
  await vault.write('shop-user', KEPT);
  const outside = path.join(tempDir(t), 'elsewhere.txt');
  writeFileSync(outside, 'not a session, and not pulse’s to remove');
  const planted: [string, (file: string) => void][] = [
    ['a FIFO', (file) => execFileSync('mkfifo', [file])],
    ['a link to /dev/zero', (file) => symlinkSync('/dev/zero', file)],
    ['a directory', (file) => mkdirSync(file)],
    ['a link to a file outside', (file) => symlinkSync(outside, file)],
  ];
  for (const [what, plant] of planted) {
    const file = vault.fileOf('shop-user');
    rmSync(file, { force: true, recursive: true });
    plant(file);
    const before = process.memoryUsage().rss;
    const read = await readWithin(vault, 'shop-user', 2_000);
    // A reader blocked in open() on the FIFO is let go, so that a failing run still ends.
    if (what === 'a FIFO') t.after(() => unblockFifo(file));
    assert.equal(read, undefined, what);
    assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, `${what}: nothing big was read`);
    assert.equal(lines.at(-1)?.fields.event, 'session_discarded', what);
  }
  assert.equal(readFileSync(outside, 'utf8'), 'not a session, and not pulse’s to remove', 'the target of a link is untouched');

  // A link planted where the file goes is replaced by a regular file on write; its target is untouched.
  const file = vault.fileOf('shop-user');
  rmSync(file, { force: true, recursive: true });
  symlinkSync(outside, file);
  await vault.write('shop-user', KEPT);
  assert.ok(lstatSync(file).isFile(), 'a regular file, not the link');
  assert.equal(readFileSync(outside, 'utf8'), 'not a session, and not pulse’s to remove');
  assert.deepEqual(await vault.read('shop-user'), KEPT);
});

function unblockFifo(file: string): void {
  try {
    closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // No reader waits on it (or it is gone): nothing to let go.
  }
}
