import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gitCommitOf } from '../../../src/registry/git-commit.ts';
import { JourneyVersions } from '../../../src/registry/journey-version.ts';
import { tempDir } from '../../support/temp.ts';

/** Writes files below dir, folders made as needed. */
function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}

const JOURNEY = `import { journey } from 'pulse';
import { login } from './lib/login.ts';
// import './commented-out.ts'
const note = "import './in-a-string.ts'";
export default journey({ name: 'shop', schedule: '* * * * *' }, async ({ page, step }) => {
  await step('log in', async () => login(page));
  void note;
});
`;

function versionOf(dir: string, file = 'shop.journey.ts') {
  return new JourneyVersions().of(path.join(dir, file), dir);
}

test('a version covers the journey file and the local modules it imports, transitively; packages, comments and strings are not imports', async (t) => {
  const dir = tempDir(t);
  write(dir, {
    'shop.journey.ts': JOURNEY,
    'lib/login.ts': "import { fill } from './forms.js';\nimport type { Page } from 'playwright';\nexport const login = (page: Page) => fill(page);\n",
    'lib/forms.ts': "import data from '../data/user.json' with { type: 'json' };\nexport const fill = (page: unknown) => [page, data];\n",
    'data/user.json': '{"name":"ada"}\n',
    'lib/unused.ts': 'export const unused = 1;\n',
  });
  const version = await versionOf(dir);
  assert.ok(version);
  assert.match(version.hash, /^[0-9a-f]{64}$/);
  assert.deepEqual(
    version.files.map((file) => file.path),
    ['shop.journey.ts', 'data/user.json', 'lib/forms.ts', 'lib/login.ts'],
    'the journey file first, then its modules by path; ./forms.js is the TypeScript file beside it; an unimported file is not part of it',
  );
  assert.equal(version.files[0]!.text, JOURNEY);
  assert.equal(version.unresolved, undefined, 'the commented and quoted imports are not followed, so nothing is missing');

  const same = await versionOf(dir);
  assert.equal(same?.hash, version.hash, 'the same files give the same version');

  writeFileSync(path.join(dir, 'lib/unused.ts'), 'export const unused = 2;\n');
  assert.equal((await versionOf(dir))?.hash, version.hash, 'a file the journey does not import changes nothing');

  writeFileSync(
    path.join(dir, 'lib/forms.ts'),
    "import data from '../data/user.json' with { type: 'json' };\nexport const fill = (page: unknown) => [data, page];\n",
  );
  const changed = await versionOf(dir);
  assert.notEqual(changed?.hash, version.hash, 'a change two imports deep is a new version');

  writeFileSync(path.join(dir, 'data/user.json'), '{"name":"grace"}\n');
  assert.notEqual((await versionOf(dir))?.hash, changed?.hash, 'imported data is part of it too');
});

test('an import cycle is followed once, and both files are in the version', async (t) => {
  const dir = tempDir(t);
  write(dir, {
    'shop.journey.ts': "import { a } from './a.ts';\nexport default a;\n",
    'a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
    'b.ts': "import { a } from './a.ts';\nimport './shop.journey.ts';\nexport const b = () => a;\n",
  });
  const version = await versionOf(dir);
  assert.deepEqual(
    version?.files.map((file) => file.path),
    ['shop.journey.ts', 'a.ts', 'b.ts'],
  );
});

test('a missing module is named in the version instead of failing it; creating the file makes a new version', async (t) => {
  const dir = tempDir(t);
  write(dir, { 'shop.journey.ts': "import { gone } from './lib/gone.ts';\nimport './also-gone';\nexport default gone;\n" });
  const version = await versionOf(dir);
  assert.deepEqual(
    version?.files.map((file) => file.path),
    ['shop.journey.ts'],
  );
  assert.deepEqual(version?.unresolved, [
    './also-gone (imported by shop.journey.ts): no such file',
    './lib/gone.ts (imported by shop.journey.ts): no such file',
  ]);
  write(dir, { 'lib/gone.ts': 'export const gone = 1;\n' });
  const found = await versionOf(dir);
  assert.notEqual(found?.hash, version?.hash);
  assert.deepEqual(found?.unresolved, ['./also-gone (imported by shop.journey.ts): no such file']);
  assert.equal(await versionOf(dir, 'nothing-here.journey.ts'), undefined, 'no file, no version');
});

test('a module reached through a symlink out of the journeys folder is left out and named, its content never read into the version', async (t) => {
  const outside = tempDir(t);
  write(outside, { 'secret.ts': 'export const secret = "do not store me";\n' });
  const dir = tempDir(t);
  write(dir, {
    'shop.journey.ts':
      "import { secret } from './lib/secret.ts';\nimport { shared } from '../shared.ts';\nimport { inside } from './linked/inside.ts';\nexport default [secret, shared, inside];\n",
    'real/inside.ts': 'export const inside = 1;\n',
  });
  mkdirSync(path.join(dir, 'lib'));
  symlinkSync(path.join(outside, 'secret.ts'), path.join(dir, 'lib/secret.ts'));
  // A link that stays inside the folder is followed, as a ConfigMap's ..data links are.
  symlinkSync(path.join(dir, 'real'), path.join(dir, 'linked'));
  write(path.dirname(dir), { 'shared.ts': 'export const shared = 1;\n' });
  t.after(() => execFileSync('rm', ['-f', path.join(path.dirname(dir), 'shared.ts')]));

  const version = await versionOf(dir);
  assert.deepEqual(
    version?.files.map((file) => file.path),
    ['shop.journey.ts', 'linked/inside.ts'],
  );
  assert.deepEqual(version?.unresolved, [
    '../shared.ts (imported by shop.journey.ts): outside the journeys folder',
    './lib/secret.ts (imported by shop.journey.ts): outside the journeys folder',
  ]);
  assert.ok(!JSON.stringify(version).includes('do not store me'), 'nothing from outside the folder is kept');
});

test('a file that does not parse still has a version, and a file changed after its first read keeps the version of that read in the same process', async (t) => {
  const dir = tempDir(t);
  write(dir, { 'shop.journey.ts': "import { a } from './a.ts';\nexport default journey({ name: 'x' ;\n", 'a.ts': 'export const a = 1;\n' });
  const broken = await versionOf(dir);
  assert.ok(broken);
  assert.deepEqual(broken.unresolved, ['some imports were not followed: a file does not parse']);

  write(dir, { 'shop.journey.ts': "import { a } from './a.ts';\nexport default a;\n" });
  const versions = new JourneyVersions();
  const first = await versions.of(path.join(dir, 'shop.journey.ts'), dir);
  write(dir, { 'a.ts': 'export const a = 2;\n' });
  assert.equal((await versions.of(path.join(dir, 'shop.journey.ts'), dir))?.hash, first?.hash, 'as Node keeps its first import of a module');
  assert.notEqual((await versionOf(dir))?.hash, first?.hash, 'a fresh process sees the change');
});

test('a big module is hashed whole and kept cut, and a binary one is described rather than stored', async (t) => {
  const dir = tempDir(t);
  const big = `export const big = '${'x'.repeat(400 * 1024)}';\n`;
  write(dir, { 'shop.journey.ts': "import { big } from './big.ts';\nimport blob from './blob.bin';\nexport default [big, blob];\n", 'big.ts': big });
  writeFileSync(path.join(dir, 'blob.bin'), Buffer.from([0, 1, 2, 3]));
  const version = await versionOf(dir);
  const kept = version?.files.find((file) => file.path === 'big.ts');
  assert.equal(kept?.truncated, true);
  assert.ok(kept.text.length < big.length);
  assert.equal(version?.files.find((file) => file.path === 'blob.bin')?.text, '(a binary file of 4 bytes)');
  write(dir, { 'big.ts': big.replace(/x';/, "y';") });
  assert.notEqual((await versionOf(dir))?.hash, version?.hash, 'a change past the kept part is still a new version');
});

test('the git commit: a checkout, a linked worktree, packed refs, a detached head, and no git at all', async (t) => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();
  const repo = tempDir(t);
  git(repo, 'init', '-q', '-b', 'main');
  write(repo, { 'journeys/shop.journey.ts': 'export default 1;\n' });
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'one');
  const head = git(repo, 'rev-parse', 'HEAD');
  assert.equal(await gitCommitOf(path.join(repo, 'journeys')), head, 'a loose ref, found from a folder below the checkout');
  assert.equal((await versionOf(path.join(repo, 'journeys')))?.commit, head, 'the version carries it');

  git(repo, 'pack-refs', '--all');
  assert.equal(await gitCommitOf(repo), head, 'a packed ref');

  const linked = path.join(tempDir(t), 'wt');
  git(repo, 'worktree', 'add', '-q', '--detach', linked);
  assert.equal(await gitCommitOf(linked), head, 'a linked worktree (.git is a file), detached');

  write(repo, { 'journeys/shop.journey.ts': 'export default 2;\n' });
  git(repo, 'commit', '-q', '-am', 'two');
  const second = git(repo, 'rev-parse', 'HEAD');
  assert.notEqual(second, head);
  assert.equal(await gitCommitOf(repo), second, 'the new commit');

  const empty = tempDir(t);
  git(empty, 'init', '-q');
  assert.equal(await gitCommitOf(empty), undefined, 'a repository without a commit has none');

  const plain = tempDir(t);
  write(plain, { 'shop.journey.ts': 'export default 1;\n' });
  assert.equal(await gitCommitOf(plain), undefined, 'no git, no commit');
  assert.equal((await versionOf(plain))?.commit, undefined);

  const hostile = tempDir(t);
  write(hostile, { '.git/HEAD': 'ref: refs/../../../etc/passwd\n' });
  assert.equal(await gitCommitOf(hostile), undefined, 'a HEAD naming a path out of .git is not followed');
});
