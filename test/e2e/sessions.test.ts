// Kept sessions against a real daemon, real Chromium and the demo shop's sign-in: a journey behind
// the sign-in reuses it across runs, signs in once again when the shop revokes it, and what it keeps
// is found in clear nowhere: not in the data folder, the run store, the evidence, the API or the logs.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import AdmZip from 'adm-zip';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { encodingsOf } from '../../src/redact.ts';
import { DaemonProcess, NEVER, OPEN_WRITES } from '../support/daemon-process.ts';
import { journeyDir } from '../support/journey-files.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { removeDir, tempDir } from '../support/temp.ts';

const KEY = 'a-passphrase-for-kept-sessions-in-tests';

interface Run {
  status: string;
  attempts: number;
  steps: { name: string; status: string }[];
  artifacts: { html?: string; screenshot?: string; trace?: string };
}

interface Stats {
  signIns: number;
}

function sessionFile(name: string, ttl: string, checked = true): string {
  return `import { expect, session } from 'pulse';
export const ${name.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())} = session({
  name: '${name}',
  ttl: '${ttl}',
  signIn: async ({ page, params }) => {
    await page.goto(params.baseUrl + '/account/sign-in');
    await page.getByLabel('Email').fill('shopper@demo.test');
    await page.getByLabel('Password').fill(params.shopPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  },
${checked ? "  isSignedIn: async ({ context, params }) => (await context.request.get(params.baseUrl + '/account', { maxRedirects: 0 })).status() === 200," : ''}
});
`;
}

function accountJourney(name: string, session: string, variable: string, extra = ''): string {
  return `import { expect, journey } from 'pulse';
import { ${variable} } from './${session}.session.ts';
export default journey({ name: '${name}', schedule: '${NEVER}', retries: 1, timeout: '60s', session: ${variable} }, async ({ page, context, step, params }) => {
  await step('open account', async () => {
    await page.goto(params.baseUrl + '/account');
    await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  });
  ${extra}
  void context;
});
`;
}

/** A journey that does its worst with the session it is lent: prints the cookie, writes it into the page and its error. */
const LEAK = `await step('leak the session', async () => {
    const token = (await context.cookies()).find((cookie) => cookie.name === 'shop_account')?.value ?? 'none';
    console.log('the cookie is ' + token);
    console.log('the key is ' + (process.env.PULSE_SESSION_KEY ?? 'not in my environment'));
    await page.evaluate((value) => document.body.insertAdjacentHTML('beforeend', '<p id="leak">' + value + '</p>'), token);
    throw new Error('leaked ' + token);
  });`;

/** The daemon is up; a machine busy with other tests may take a while to start one. */
async function started(pulse: DaemonProcess): Promise<void> {
  await pulse.waitFor((line) => line.event === 'started', 180_000);
}

async function stats(shop: Shop): Promise<Stats> {
  return (await (await fetch(`${shop.url}/__account`)).json()) as Stats;
}

async function tokens(shop: Shop): Promise<string[]> {
  return ((await (await fetch(`${shop.url}/__account/tokens`)).json()) as { tokens: string[] }).tokens;
}

/** Every file below dir, zip archives (traces) opened: name and bytes. */
function everyFile(dir: string): { file: string; bytes: Buffer }[] {
  const found: { file: string; bytes: Buffer }[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const file = path.join(dir, entry);
    if (!statSync(file).isFile()) continue;
    const bytes = readFileSync(file);
    found.push({ file, bytes });
    if (file.endsWith('.zip')) for (const zipped of new AdmZip(file).getEntries()) found.push({ file: `${file}!${zipped.entryName}`, bytes: zipped.getData() });
  }
  return found;
}

function signIns(run: Run): number {
  return run.steps.filter((step) => step.name === 'sign in (shop-user)').length;
}

describe('kept sessions', () => {
  let shop: Shop;
  before(async () => {
    shop = await startShop();
  });
  after(() => shop.close());

  test("the shop's sign-in: a wrong password is refused and counted, the account page needs the cookie, a revoked cookie no longer opens it", async () => {
    const form = (password: string) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'shopper@demo.test', password }).toString(),
      redirect: 'manual' as const,
    });
    const before = (await (await fetch(`${shop.url}/__account`)).json()) as { signIns: number; failedSignIns: number };
    const wrong = await fetch(`${shop.url}/account/sign-in`, form('not-the-password'));
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /The email or the password is wrong/);
    assert.equal((await fetch(`${shop.url}/account`, { redirect: 'manual' })).headers.get('location'), '/account/sign-in');

    const right = await fetch(`${shop.url}/account/sign-in`, form('demo-shopper-password'));
    assert.equal(right.status, 303);
    const cookie = right.headers
      .getSetCookie()
      .map((line) => /^(shop_account=[^;]+)/.exec(line)?.[1])
      .find((found) => found !== undefined);
    assert.ok(cookie, 'a session cookie is issued');
    const account = await fetch(`${shop.url}/account`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(account.status, 200);
    assert.match(await account.text(), /Signed in as <strong data-account-email>shopper@demo.test<\/strong>/);
    const after = (await (await fetch(`${shop.url}/__account`)).json()) as { signIns: number; failedSignIns: number };
    assert.deepEqual([after.signIns - before.signIns, after.failedSignIns - before.failedSignIns], [1, 1]);

    await fetch(`${shop.url}/__account/revoke`, { method: 'POST' });
    assert.equal((await fetch(`${shop.url}/account`, { headers: { cookie }, redirect: 'manual' })).status, 303, 'revoked');
  });

  test('with a key: reused across runs (one sign-in for four runs), signed in once again when the shop revokes it, found in clear nowhere', async (t) => {
    const dir = journeyDir('sessions');
    t.after(() => removeDir(dir));
    writeFileSync(path.join(dir, 'shop-user.session.ts'), sessionFile('shop-user', '30m'));
    writeFileSync(path.join(dir, 'account.journey.ts'), accountJourney('account', 'shop-user', 'shopUser'));
    writeFileSync(path.join(dir, 'leaky.journey.ts'), accountJourney('leaky', 'shop-user', 'shopUser', LEAK));
    const dataDir = tempDir(t);
    // A file left from another key, or damaged: discarded with a log line, never a crash.
    mkdirSync(path.join(dataDir, 'sessions'), { recursive: true });
    writeFileSync(path.join(dataDir, 'sessions', 'shop-user.session'), '{"format":"pulse-session-1","salt":"AAAA","iv":"AAAA","tag":"AAAA","data":"AAAA"}');

    const pulse = new DaemonProcess(
      ['--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--param', 'shopPassword=demo-shopper-password', '--concurrency', '1'],
      {
        ...OPEN_WRITES,
        PULSE_SESSION_KEY: KEY,
      },
    );
    t.after(() => pulse.stop());
    await started(pulse);
    const before = (await stats(shop)).signIns;
    const seen = new Set<string>();

    const runs = [];
    for (let i = 0; i < 4; i += 1) {
      runs.push(await pulse.runNow<Run>('account'));
      for (const token of await tokens(shop)) seen.add(token);
    }
    assert.deepEqual(
      runs.map((run) => run.status),
      ['success', 'success', 'success', 'success'],
    );
    assert.equal((await stats(shop)).signIns - before, 1, 'four runs, one sign-in');
    assert.deepEqual(runs.map(signIns), [1, 0, 0, 0], 'only the first run shows the sign-in step');
    assert.ok(
      pulse.lines.some((line) => line.event === 'session_discarded' && line.session === 'shop-user'),
      'the planted file was discarded with a log line',
    );
    const file = path.join(dataDir, 'sessions', 'shop-user.session');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the kept session is readable by its owner only');

    // The shop revokes every session: the next run finds it rejected, signs in once more, and succeeds in one attempt.
    await fetch(`${shop.url}/__account/revoke`, { method: 'POST' });
    const afterRevoke = await pulse.runNow<Run>('account');
    for (const token of await tokens(shop)) seen.add(token);
    assert.equal(afterRevoke.status, 'success');
    assert.equal(afterRevoke.attempts, 1);
    assert.equal(signIns(afterRevoke), 1);
    assert.equal((await stats(shop)).signIns - before, 2, 'one more sign-in after the revocation');
    assert.ok(pulse.lines.some((line) => line.event === 'session' && line.outcome === 'signed-in-again'));
    const again = await pulse.runNow<Run>('account');
    assert.equal(signIns(again), 0, 'the new sign-in is kept in turn');

    // A journey that does its worst with what it is lent: the cookie printed, in the page, in its error.
    const leaky = await pulse.runNow<Run>('leaky');
    assert.equal(leaky.status, 'failure');
    assert.equal(leaky.attempts, 2);
    assert.ok(leaky.artifacts.html && leaky.artifacts.screenshot && leaky.artifacts.trace, `evidence kept: ${JSON.stringify(leaky.artifacts)}`);
    assert.match(leaky.body, /leaked \[redacted\]/, 'the error is there, the cookie is not');
    assert.equal((await stats(shop)).signIns - before, 2, 'the journey that shares the session signed in no more');
    const api = await (await fetch(`${pulse.url}/api/runs?journey=leaky`)).text();
    await pulse.stop();

    assert.equal(seen.size, 2, 'two sessions were issued');
    const places = [
      ...everyFile(dataDir),
      { file: 'the daemon log', bytes: Buffer.from(pulse.lines.map((line) => JSON.stringify(line)).join('\n') + pulse.stderr) },
      { file: 'the API', bytes: Buffer.from(leaky.body + api) },
    ];
    assert.ok(
      places.some((place) => place.file.endsWith('shop-user.session')),
      'the session file is among what was searched',
    );
    assert.ok(
      places.some((place) => place.file.includes('trace.zip!')),
      'the trace is among what was searched',
    );
    assert.ok(
      pulse.lines.some((line) => line.event === 'journey_output' && String(line.text).includes('the cookie is')),
      "the journey's print reached the log",
    );
    assert.ok(
      pulse.lines.some((line) => line.event === 'journey_output' && line.text === 'the key is not in my environment'),
      "the session key is not in the journey worker's environment",
    );
    assert.deepEqual(
      places.filter((place) => place.bytes.includes(KEY)).map((place) => place.file),
      [],
      'nor anywhere else',
    );
    for (const token of seen) {
      for (const form of encodingsOf(token)) {
        const leaks = places.filter((place) => place.bytes.includes(form));
        assert.deepEqual(
          leaks.map((place) => place.file),
          [],
          `the session cookie (as ${form === token ? 'is' : form}) is in clear nowhere`,
        );
      }
    }
  });

  test('without a key: kept in memory only, nothing written; a short TTL signs in again once it has passed; without a check, a revoked session costs one failed attempt', async (t) => {
    const dir = journeyDir('sessions-memory');
    t.after(() => removeDir(dir));
    writeFileSync(path.join(dir, 'long-user.session.ts'), sessionFile('long-user', '30m'));
    writeFileSync(path.join(dir, 'short-user.session.ts'), sessionFile('short-user', '1s'));
    writeFileSync(path.join(dir, 'long.journey.ts'), accountJourney('long', 'long-user', 'longUser'));
    writeFileSync(path.join(dir, 'short.journey.ts'), accountJourney('short', 'short-user', 'shortUser'));
    writeFileSync(path.join(dir, 'unchecked-user.session.ts'), sessionFile('unchecked-user', '30m', false));
    writeFileSync(path.join(dir, 'unchecked.journey.ts'), accountJourney('unchecked', 'unchecked-user', 'uncheckedUser'));
    const dataDir = tempDir(t);
    const pulse = new DaemonProcess(
      ['--journeys', dir, '--base-url', shop.url, '--data-dir', dataDir, '--param', 'shopPassword=demo-shopper-password', '--concurrency', '1'],
      OPEN_WRITES,
    );
    t.after(() => pulse.stop());
    await started(pulse);

    const start = (await stats(shop)).signIns;
    for (let i = 0; i < 3; i += 1) assert.equal((await pulse.runNow<Run>('long')).status, 'success');
    assert.equal((await stats(shop)).signIns - start, 1, 'three runs on a long TTL, one sign-in');

    const short = (await stats(shop)).signIns;
    for (let i = 0; i < 3; i += 1) {
      assert.equal((await pulse.runNow<Run>('short')).status, 'success');
      // Past the one-second TTL: the next run must sign in again.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    }
    assert.equal((await stats(shop)).signIns - short, 3, 'three runs further apart than the TTL, three sign-ins');

    // Without isSignedIn a revoked session is found by the failure it causes: dropped, and the retry signs in.
    assert.equal((await pulse.runNow<Run>('unchecked')).status, 'success', 'the first run signs in');
    const signedBefore = (await stats(shop)).signIns;
    assert.equal((await pulse.runNow<Run>('unchecked')).attempts, 1, 'kept: one attempt');
    assert.equal((await stats(shop)).signIns, signedBefore, 'no sign-in while the session holds');
    await fetch(`${shop.url}/__account/revoke`, { method: 'POST' });
    const revoked = (await pulse.runNow<Run>('unchecked')) as Run & { flaky?: boolean };
    assert.deepEqual([revoked.status, revoked.attempts, revoked.flaky], ['success', 2, true], 'the retry signed in and passed');
    assert.equal((await stats(shop)).signIns - signedBefore, 1);
    assert.ok(pulse.lines.some((line) => line.event === 'session' && line.session === 'unchecked-user' && line.outcome === 'dropped'));

    assert.ok(pulse.lines.some((line) => line.event === 'sessions_in_memory'));
    await pulse.stop();
    assert.deepEqual(
      everyFile(dataDir).filter((entry) => entry.file.includes(`${path.sep}sessions${path.sep}`)),
      [],
      'nothing kept on disk',
    );
  });

  test("a journey cannot take another's session by declaring one of the same name: validate names both places", async (t) => {
    const dir = journeyDir('sessions-taken');
    t.after(() => removeDir(dir));
    writeFileSync(path.join(dir, 'shop-user.session.ts'), sessionFile('shop-user', '30m'));
    writeFileSync(path.join(dir, 'account.journey.ts'), accountJourney('account', 'shop-user', 'shopUser'));
    // The same name, declared in a file of its own: it would be handed the kept state of the first.
    writeFileSync(path.join(dir, 'thief.session.ts'), sessionFile('shop-user', '30m').replace('export const shopUser', 'export const thief'));
    writeFileSync(path.join(dir, 'thief.journey.ts'), accountJourney('thief', 'thief', 'thief'));
    const validate = await runPulse(['validate', '--journeys', dir], { timeoutMs: 180_000 });
    assert.equal(validate.code, 1, validate.stdout + validate.stderr);
    const output = validate.stdout + validate.stderr;
    assert.match(
      output,
      /thief\.journey\.ts:\d+: session\.name: 'shop-user' is the name of another session, declared at .*shop-user\.session\.ts:\d+ \(used by account\); this one is declared at .*thief\.session\.ts:\d+/,
    );
  });
});
