import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import AdmZip from 'adm-zip';
import { decodeBase32 } from '../../src/base32.ts';
import { DEMO_MFA_ACCOUNT, demoMfaEnv } from '../../src/demo/mfa-account.ts';
import { MAX_SESSIONS } from '../../src/demo/session.ts';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { encodingsOf } from '../../src/redact.ts';
import type { RunResult } from '../../src/result.ts';
import { TOTP_DEFAULTS, totpAt } from '../../src/totp.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { tempDir } from '../support/temp.ts';

/** A well-formed secret the shop's account was not set up with, written as an app groups it. */
const WRONG_SECRET = 'jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp';

/** Every file under a folder, and every entry of every trace zip in it, as text. */
function evidenceTexts(dataDir: string): { where: string; text: string }[] {
  const texts: { where: string; text: string }[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const bytes = readFileSync(full);
        texts.push({ where: path.relative(dataDir, full), text: `${bytes.toString('utf8')}\n${bytes.toString('latin1')}` });
        if (full.endsWith('.zip')) {
          for (const zipped of new AdmZip(full).getEntries())
            texts.push({ where: `${entry.name}!${zipped.entryName}`, text: zipped.getData().toString('utf8') });
        }
      }
    }
  };
  walk(dataDir);
  return texts;
}

function leaksOf(secrets: string[], texts: { where: string; text: string }[]): string[] {
  const spellings = secrets.flatMap((secret) => [secret, secret.replace(/\s+/g, '').toUpperCase(), secret.replace(/\s+/g, '').toLowerCase()]);
  const forms = new Set(spellings.flatMap((spelling) => encodingsOf(spelling)));
  return texts.flatMap(({ where, text }) => [...forms].filter((form) => text.includes(form)).map((form) => `${where}: ${JSON.stringify(form)}`));
}

describe('the mfa-sign-in journey: password, then a one-time code from totp()', () => {
  let shop: Shop;
  before(async () => {
    shop = await startShop();
  });
  after(() => shop.close());

  /** A form posted to the shop as a browser would, without following the redirect. */
  const post = async (path: string, body: Record<string, string>, cookie?: string) =>
    fetch(`${shop.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams(body).toString(),
    });
  /** The password given in a new shop session: its cookie, with the code page open. */
  const signIn = async (cookie?: string) => {
    const response = await post('/mfa/sign-in', { email: DEMO_MFA_ACCOUNT.email, password: DEMO_MFA_ACCOUNT.password }, cookie);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/mfa/code');
    return cookie ?? response.headers.get('set-cookie')!.split(';')[0]!;
  };

  const once = async (dataDir: string, env: NodeJS.ProcessEnv, extra: string[] = []) => {
    const run = await runPulse(['once', 'mfa-sign-in', '--base-url', shop.url, '--data-dir', dataDir, '--json', ...extra], { env, timeoutMs: 150_000 });
    const [result] = JSON.parse(run.stdout || '[]') as RunResult[];
    assert.ok(result, `${run.stdout}\n${run.stderr}`);
    return { ...run, result };
  };

  test('a code that signed a session in is refused when replayed in that session, after signing out and giving the password again', async () => {
    const key = decodeBase32(DEMO_MFA_ACCOUNT.secret);
    assert.ok(key.ok);
    const code = totpAt(key.bytes, Date.now(), TOTP_DEFAULTS);
    const cookie = await signIn();
    const accepted = await post('/mfa/code', { code }, cookie);
    assert.equal(accepted.status, 303);
    assert.equal(accepted.headers.get('location'), '/mfa/account');
    assert.equal((await post('/mfa/sign-out', {}, cookie)).status, 303);

    await signIn(cookie);
    const replayed = await post('/mfa/code', { code }, cookie);
    assert.equal(replayed.status, 401, 'the same code, in the same session');
    assert.match(await replayed.text(), /role="alert">That code was refused/);
    const account = await fetch(`${shop.url}/mfa/account`, { redirect: 'manual', headers: { cookie } });
    assert.equal(account.status, 303, 'not signed in');

    // The demo's choice: `pulse demo` signs in every 5 s, each run in a browser context of its own.
    const other = await post('/mfa/code', { code }, await signIn());
    assert.equal(other.status, 303, 'another session takes it');
    assert.equal(other.headers.get('location'), '/mfa/account');
  });

  test('signs in against the demo shop with the account the demo hands it, and neither secret shows', { timeout: 180_000 }, async (t) => {
    const dataDir = tempDir(t);
    const run = await once(dataDir, demoMfaEnv());
    assert.equal(run.code, 0, JSON.stringify(run.result.error));
    assert.equal(run.result.status, 'success');
    assert.deepEqual(
      run.result.steps.map((step) => [step.name, step.status]),
      [
        ['open sign-in', 'passed'],
        ['sign in', 'passed'],
        ['sign out', 'passed'],
      ],
    );
    assert.deepEqual(
      leaksOf([DEMO_MFA_ACCOUNT.secret, DEMO_MFA_ACCOUNT.password], [...evidenceTexts(dataDir), { where: 'output', text: run.stdout + run.stderr }]),
      [],
    );
  });

  test('with a wrong secret it fails at the sign-in step, saying the code was refused, and the secret is in no evidence', { timeout: 180_000 }, async (t) => {
    const dataDir = tempDir(t);
    const run = await once(dataDir, { ...demoMfaEnv(), PULSE_PARAM_MFA_SECRET: WRONG_SECRET });
    assert.equal(run.code, 1);
    assert.equal(run.result.status, 'failure');
    assert.equal(run.result.attempts, 2, 'the retry ran, with its trace');
    assert.equal(run.result.error?.step, 'sign in');
    assert.match(run.result.error?.message ?? '', /POST \/mfa\/code answered 401/);
    assert.match(run.result.error?.message ?? '', /the shop refused the one-time code/);
    assert.equal(run.result.cause, 'target');
    assert.deepEqual(
      run.result.steps.map((step) => [step.name, step.status]),
      [
        ['open sign-in', 'passed'],
        ['sign in', 'failed'],
      ],
    );

    const texts = evidenceTexts(dataDir);
    const html = texts.find(({ where }) => where.endsWith('page.html'));
    assert.ok(html, `the page's HTML was kept: ${texts.map((x) => x.where).join(', ')}`);
    assert.match(html.text, /That code was refused/, 'the page says so');
    assert.ok(
      texts.some(({ where }) => where.endsWith('screenshot.png')),
      'a screenshot was kept',
    );
    assert.ok(
      texts.some(({ where }) => /\.trace$/.test(where)),
      'a trace was kept',
    );
    const everywhere = [...texts, { where: 'output', text: run.stdout + run.stderr }];
    assert.deepEqual(leaksOf([WRONG_SECRET, DEMO_MFA_ACCOUNT.password], everywhere), []);
    // The password went into the page: it is there, redacted, so the search above looked in the right places.
    assert.ok(
      everywhere.some(({ text }) => text.includes('[redacted]')),
      'the typed password shows redacted',
    );
  });

  test('the shop asks for the password again after five refused codes, so six digits cannot be guessed', async () => {
    const cookie = await signIn();
    const wrongPassword = await post('/mfa/sign-in', { email: DEMO_MFA_ACCOUNT.email, password: 'nope' });
    assert.equal(wrongPassword.status, 401);
    assert.match(await wrongPassword.text(), /Wrong email or password/);
    for (let i = 1; i <= 4; i += 1) {
      const refused = await post('/mfa/code', { code: '000000' }, cookie);
      assert.equal(refused.status, 401);
      assert.match(await refused.text(), /role="alert">That code was refused/);
    }
    const fifth = await post('/mfa/code', { code: '000000' }, cookie);
    assert.equal(fifth.status, 401);
    assert.match(await fifth.text(), /Too many tries: sign in again/);
    const after = await post('/mfa/code', { code: '000000' }, cookie);
    assert.equal(after.status, 303, 'the code page is closed until the password is given again');
    assert.equal(after.headers.get('location'), '/mfa/sign-in');
    const account = await fetch(`${shop.url}/mfa/account`, { redirect: 'manual', headers: { cookie } });
    assert.equal(account.status, 303, 'not signed in');
  });

  test('the shop remembers at most MAX_SESSIONS sign-ins under way, forgetting the oldest: `pulse demo` signs in every 5 s', { timeout: 300_000 }, async () => {
    const codePage = async (cookie: string) => (await fetch(`${shop.url}/mfa/code`, { redirect: 'manual', headers: { cookie } })).status;
    const oldest = await signIn();
    assert.equal(await codePage(oldest), 200, 'the code page is open after the password');
    let newest = oldest;
    for (let done = 0; done < MAX_SESSIONS; done += 25) {
      const cookies = await Promise.all(Array.from({ length: Math.min(25, MAX_SESSIONS - done) }, () => signIn()));
      newest = cookies.at(-1)!;
    }
    assert.equal(await codePage(oldest), 303, 'the oldest sign-in under way is forgotten');
    assert.equal(await codePage(newest), 200, 'the newest is kept');
  });

  test("a secret that is not base32 fails the step as the journey's own fault, naming the param and not its value", { timeout: 180_000 }, async (t) => {
    const dataDir = tempDir(t);
    const run = await once(dataDir, { ...demoMfaEnv(), PULSE_PARAM_MFA_SECRET: 'not-a-base32-secret!' }, ['--retries', '0']);
    assert.equal(run.code, 1);
    assert.equal(run.result.error?.step, 'sign in');
    assert.match(
      run.result.error?.message ?? '',
      /totp\(\): params\.mfaSecret is not base32: a character outside A-Z and 2-7 at position 4; fix: set PULSE_PARAM_MFA_SECRET/,
    );
    assert.equal(run.result.cause, 'journey');
    assert.equal(run.result.error?.reason, 'script');
    assert.deepEqual(leaksOf(['not-a-base32-secret!'], [...evidenceTexts(dataDir), { where: 'output', text: run.stdout + run.stderr }]), []);
  });
});
