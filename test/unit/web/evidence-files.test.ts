// The evidence route against links planted under the artifacts folder, reached by every spelling a
// router might decode: what is served is what was opened, never a file outside.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import { registerAuth } from '../../../src/web/auth.ts';
import { openEvidence, registerEvidenceFiles } from '../../../src/web/evidence-files.ts';
import { registerControlPage } from '../../../src/control/control-page.ts';
import { tempDir } from '../../support/temp.ts';

const OUTSIDE = 'OUTSIDE-CANARY-7f3e';
const INSIDE = 'real evidence';
/** What must never come back: the canary outside, the system's users, the store. */
const LEAK = /OUTSIDE-CANARY|root:x:0:0|SQLite format/;

/** A data folder with real evidence and links planted at the folder, run and file level. */
function plantedDataDir(t: Parameters<typeof tempDir>[0]) {
  const base = tempDir(t);
  const outside = path.join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'passwd'), OUTSIDE);
  writeFileSync(path.join(outside, 'screenshot.png'), OUTSIDE);
  const dataDir = path.join(base, 'data');
  const root = path.join(dataDir, 'artifacts');
  mkdirSync(path.join(root, 'home', 'run-1'), { recursive: true });
  writeFileSync(path.join(dataDir, 'runs.sqlite'), 'SQLite format 3\0');
  writeFileSync(path.join(root, 'home', 'run-1', 'real.txt'), INSIDE);
  writeFileSync(path.join(root, 'home', 'run-1', '.hidden'), OUTSIDE);
  symlinkSync(outside, path.join(root, 'etc')); // a journey-level link
  symlinkSync(outside, path.join(root, 'home', 'run-2')); // a run-level link
  symlinkSync(path.join(outside, 'passwd'), path.join(root, 'home', 'run-1', 'passwd')); // a file-level link
  symlinkSync('/etc/passwd', path.join(root, 'home', 'run-1', 'system'));
  symlinkSync(path.join(dataDir, 'runs.sqlite'), path.join(root, 'home', 'run-1', 'store'));
  symlinkSync(path.join(root, 'home', 'run-1', 'real.txt'), path.join(root, 'home', 'run-1', 'inside-link.txt'));
  execFileSync('mkfifo', [path.join(root, 'home', 'run-1', 'fifo.html')]);
  return { root, outside };
}

/** Every character of `text` percent-encoded, hex in the given case. */
const encodeAll = (text: string, upper = false) =>
  [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')[upper ? 'toUpperCase' : 'toLowerCase']()}`).join('');

/** The URLs a hostile client might try for `target` (a path under the artifacts folder). */
function spellings(target: string): string[] {
  const [first = '', ...rest] = target.split('/');
  return [
    `/artifacts/${target}`,
    `/%61rtifacts/${target}`,
    `/art%69facts/${target}`,
    `/${encodeAll('artifacts')}/${target}`,
    `/${encodeAll('artifacts', true)}/${encodeAll(target, true)}`,
    `/artifacts/${encodeAll(target)}`,
    `/artifacts/${target.replaceAll('/', '%2f')}`,
    `/artifacts/${target.replaceAll('/', '%2F')}`,
    `/artifacts/${encodeAll(first)}/${rest.join('/')}`,
    `/artifacts/${encodeURIComponent(encodeAll(first))}/${rest.join('/')}`, // double-encoded
    `/artifacts/./${target}`,
    `/artifacts/home/../${target}`,
    `/artifacts/home/%2e%2e/${target}`,
    `/artifacts/home/%2E%2E/${target}`,
    `/artifacts/home/%252e%252e/${target}`,
    `/artifacts/home/..%2f${target}`,
    `/artifacts/home\\..\\${target}`,
    `/artifacts//${target}`,
    `/artifacts/${target}?download=1`,
    `/artifacts/${target};x`,
    `/artifacts/${target}%00.png`,
    `/ARTIFACTS/${target}`,
    `/control/../artifacts/${target}`,
    `/control/%2e%2e/artifacts/${target}`,
  ];
}

function rawGet(port: number, urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error(`${urlPath} did not answer`)));
    req.end();
  });
}

async function serve(t: TestContext, root: string, auth: { token?: string } = {}) {
  const app = Fastify({ logger: false });
  await registerAuth(app, { ...auth, metrics: false } as Parameters<typeof registerAuth>[1]);
  registerControlPage(app);
  registerEvidenceFiles(app, root);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  return (app.server.address() as AddressInfo).port;
}

test('openEvidence opens regular files under the folder and nothing a link, a dot or a FIFO leads to', async (t) => {
  const { root } = plantedDataDir(t);
  const real = await openEvidence(root, 'home/run-1/real.txt');
  assert.ok(real, 'a real file opens');
  t.after(() => real.handle.close());
  assert.equal(await real.handle.readFile('utf8'), INSIDE);
  for (const refused of [
    'etc/passwd',
    'home/run-2/passwd',
    'home/run-1/passwd',
    'home/run-1/system',
    'home/run-1/store',
    'home/run-1/inside-link.txt',
    'home/run-1/.hidden',
    'home/run-1/fifo.html',
    'home/run-1',
    '../runs.sqlite',
    '/etc/passwd',
    'home/run-1/real.txt\0',
    '',
  ]) {
    assert.equal(await openEvidence(root, refused), undefined, refused);
  }
});

test('no spelling of a path through a planted link reads a file outside the artifacts folder', async (t) => {
  const { root } = plantedDataDir(t);
  const port = await serve(t, root);
  const real = await rawGet(port, '/artifacts/home/run-1/real.txt');
  assert.equal(real.status, 200, 'real evidence is served');
  assert.equal(real.body, INSIDE);
  const encodedReal = await rawGet(port, '/%61rtifacts/home/run-1/real.txt');
  assert.ok(
    encodedReal.status === 200 ? encodedReal.body === INSIDE : encodedReal.status === 404,
    'an encoded spelling of a real file serves that file or nothing',
  );
  const targets = [
    'etc/passwd',
    'etc/screenshot.png',
    'home/run-2/passwd',
    'home/run-1/passwd',
    'home/run-1/system',
    'home/run-1/store',
    'home/run-1/.hidden',
    'home/run-1/fifo.html',
    '../runs.sqlite',
    '../../outside/passwd',
    '../../../../../../etc/passwd',
  ];
  let tried = 0;
  for (const target of targets) {
    for (const spelling of spellings(target)) {
      const response = await rawGet(port, spelling);
      tried += 1;
      assert.notEqual(response.status, 200, `${spelling} answered 200`);
      assert.doesNotMatch(response.body, LEAK, spelling);
    }
  }
  assert.ok(tried > 200, `${tried} spellings tried`);
});

test('with a token set, no spelling reaches evidence without it, and open routes stay open only as themselves', async (t) => {
  const { root } = plantedDataDir(t);
  const token = 'evidence-token-0123456789abcdef';
  const port = await serve(t, root, { token });
  for (const spelling of [
    '/artifacts/home/run-1/real.txt',
    '/%61rtifacts/home/run-1/real.txt',
    '/control/../artifacts/home/run-1/real.txt',
    '/control/%2e%2e/artifacts/home/run-1/real.txt',
    '/%63ontrol/../artifacts/home/run-1/real.txt',
  ]) {
    const response = await rawGet(port, spelling);
    assert.ok(response.status === 401 || response.status === 404, `${spelling} answered ${response.status}`);
    assert.doesNotMatch(response.body, /real evidence/, spelling);
  }
  assert.equal((await rawGet(port, '/artifacts/home/run-1/real.txt', { authorization: `Bearer ${token}` })).body, INSIDE);
  assert.equal((await rawGet(port, '/control/')).status, 200, 'the control page stays open');
  assert.equal((await rawGet(port, '/%63ontrol/')).status, 200, 'the control page under an encoded spelling is still the control page');
});
