// playwright.config files as pulse reads them: which files each project takes (testDir, testMatch,
// testIgnore as globs, regular expressions and lists, Playwright's default), each project's `use`
// over the config's, and the browser a project asks for. Each config is a small file written here.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { browserOf, loadSpecConfig, projectFiles, type SpecProject } from '../../../src/spec/projects.ts';
import { tempDir } from '../../support/temp.ts';

/** A folder holding `files` (empty ones), and a config file in it with this text. */
function configIn(t: TestContext, name: string, text: string, files: string[] = []): { dir: string; config: string } {
  const dir = tempDir(t, 'pulse-config-');
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), '');
  }
  const config = path.join(dir, name);
  writeFileSync(config, text);
  return { dir, config };
}

function takenBy(project: SpecProject, dir: string, files: string[]): string[] {
  return files.filter((file) => project.takes(path.join(dir, file)));
}

function named(projects: SpecProject[], name: string): SpecProject {
  const found = projects.find((project) => project.name === name);
  assert.ok(found, `no project '${name}'`);
  return found;
}

const FILES = [
  'tests/shop.spec.ts',
  'tests/cart.test.mjs',
  'tests/deep/account.spec.tsx',
  'tests/helpers.ts',
  'tests/auth.setup.ts',
  'tests/.hidden/secret.spec.ts',
  'tests/..odd.spec.ts',
  'other/outside.spec.ts',
  'shop.spec.js',
];

test("Playwright's default testMatch: every *.spec.* and *.test.* below testDir, nothing else, nothing outside it", async (t) => {
  const { dir, config } = configIn(t, 'playwright.config.mjs', "export default { testDir: './tests' };\n");
  const { projects, file } = await loadSpecConfig(config, dir);
  assert.equal(file, config);
  assert.equal(projects.length, 1);
  const [only] = projects;
  assert.ok(only);
  assert.equal(only.name, '');
  assert.equal(only.testDir, path.join(dir, 'tests'));
  assert.deepEqual(takenBy(only, dir, FILES), [
    'tests/shop.spec.ts',
    'tests/cart.test.mjs',
    'tests/deep/account.spec.tsx',
    'tests/.hidden/secret.spec.ts',
    'tests/..odd.spec.ts',
  ]);
});

test('no config: one unnamed project over the folder with Playwright defaults', async (t) => {
  const dir = tempDir(t, 'pulse-config-');
  const { projects, file } = await loadSpecConfig(undefined, dir);
  assert.equal(file, undefined);
  assert.equal(projects.length, 1);
  assert.deepEqual([projects[0]?.name, projects[0]?.testDir, projects[0]?.use, projects[0]?.dependencies], ['', dir, {}, []]);
  assert.equal(projects[0]?.takes(path.join(dir, 'a', 'b.spec.ts')), true);
});

test('testMatch and testIgnore as globs, regular expressions and lists, per project over the config', async (t) => {
  const { dir, config } = configIn(
    t,
    'playwright.config.mjs',
    `export default {
  testDir: 'tests',
  testMatch: '*.spec.ts',
  testIgnore: /deep/,
  projects: [
    { name: 'config-wide' },
    { name: 'setup', testMatch: /.*\\.setup\\.ts/ },
    { name: 'sticky', testMatch: /\\.spec\\./g },
    { name: 'listed', testMatch: ['**/cart.*', /account/], testIgnore: [] },
    { name: 'ignoring', testMatch: '**/*.@(spec|test).*', testIgnore: ['**/cart.*', /shop/] },
    { name: 'elsewhere', testDir: './other/' },
  ],
};
`,
  );
  const { projects } = await loadSpecConfig(config, dir);
  assert.deepEqual(
    projects.map((project) => project.name),
    ['config-wide', 'setup', 'sticky', 'listed', 'ignoring', 'elsewhere'],
  );
  assert.deepEqual(takenBy(named(projects, 'config-wide'), dir, FILES), ['tests/shop.spec.ts', 'tests/.hidden/secret.spec.ts', 'tests/..odd.spec.ts']);
  assert.deepEqual(takenBy(named(projects, 'setup'), dir, FILES), ['tests/auth.setup.ts']);
  // A /g expression keeps no state between files: asked twice, it answers the same.
  const sticky = named(projects, 'sticky');
  assert.deepEqual(takenBy(sticky, dir, FILES), takenBy(sticky, dir, FILES));
  assert.deepEqual(takenBy(sticky, dir, FILES), ['tests/shop.spec.ts', 'tests/.hidden/secret.spec.ts', 'tests/..odd.spec.ts']);
  assert.deepEqual(
    takenBy(named(projects, 'listed'), dir, FILES),
    ['tests/cart.test.mjs', 'tests/deep/account.spec.tsx'],
    'an empty testIgnore list ignores nothing',
  );
  assert.deepEqual(takenBy(named(projects, 'ignoring'), dir, FILES), ['tests/deep/account.spec.tsx', 'tests/.hidden/secret.spec.ts', 'tests/..odd.spec.ts']);
  const elsewhere = named(projects, 'elsewhere');
  assert.equal(elsewhere.testDir, path.join(dir, 'other'));
  assert.deepEqual(takenBy(elsewhere, dir, FILES), ['other/outside.spec.ts']);
});

test("a project's use over the config's, metadata merged, budgets and dependencies kept; a .ts config loads too", async (t) => {
  const { dir, config } = configIn(
    t,
    'playwright.config.ts',
    `const shared: Record<string, unknown> = { baseURL: 'http://127.0.0.1:3000', locale: 'en-GB', viewport: { width: 1280, height: 720 } };
export default {
  use: shared,
  retries: 1,
  timeout: 45_000,
  metadata: { team: 'shop', tier: 1 },
  projects: [
    { name: 'setup', testMatch: /.*\\.setup\\.ts/ },
    { name: 'mobile', dependencies: ['setup'], retries: 0, use: { viewport: { width: 390, height: 844 }, storageState: '.auth/shopper.json' }, metadata: { tier: 2 } },
  ],
};
`,
  );
  const { projects } = await loadSpecConfig(config, dir);
  const setup = named(projects, 'setup');
  const mobile = named(projects, 'mobile');
  assert.deepEqual(setup.use, { baseURL: 'http://127.0.0.1:3000', locale: 'en-GB', viewport: { width: 1280, height: 720 } });
  assert.deepEqual(mobile.use, {
    baseURL: 'http://127.0.0.1:3000',
    locale: 'en-GB',
    viewport: { width: 390, height: 844 },
    storageState: '.auth/shopper.json',
  });
  assert.deepEqual([setup.retries, setup.timeoutMs, setup.dependencies], [1, 45_000, []]);
  assert.deepEqual([mobile.retries, mobile.timeoutMs, mobile.dependencies], [0, 45_000, ['setup']]);
  assert.deepEqual(mobile.metadata, { team: 'shop', tier: 2 });
  assert.equal(mobile.testDir, dir);
});

test("projectFiles lists a project's files sorted, none from node_modules", async (t) => {
  const { dir, config } = configIn(t, 'playwright.config.mjs', "export default { projects: [{ name: 'setup', testMatch: '*.setup.ts' }] };\n", [
    'tests/z.setup.ts',
    'tests/a.setup.ts',
    'tests/nested/m.setup.ts',
    'node_modules/lib/x.setup.ts',
    'tests/shop.spec.ts',
  ]);
  const { projects } = await loadSpecConfig(config, dir);
  assert.deepEqual(
    (await projectFiles(named(projects, 'setup'))).map((file) => path.relative(dir, file)),
    ['tests/a.setup.ts', 'tests/nested/m.setup.ts', 'tests/z.setup.ts'].map((file) => file.split('/').join(path.sep)),
  );
});

test('an empty projects list is one project from the config; a config without a default export is Playwright defaults', async (t) => {
  const empty = configIn(t, 'playwright.config.mjs', "export default { testDir: 'tests', projects: [], use: { locale: 'de-DE' } };\n");
  const { projects } = await loadSpecConfig(empty.config, empty.dir);
  assert.deepEqual(
    projects.map((project) => [project.name, project.use, project.testDir]),
    [['', { locale: 'de-DE' }, path.join(empty.dir, 'tests')]],
  );
  const bare = configIn(t, 'playwright.config.mjs', 'export const nothing = 1;\n');
  const defaults = await loadSpecConfig(bare.config, bare.dir);
  assert.deepEqual(
    defaults.projects.map((project) => [project.name, project.testDir]),
    [['', bare.dir]],
  );
});

test('the browser a project asks for: browserName, else the device default, else Chromium', () => {
  assert.equal(browserOf({}), 'chromium');
  assert.equal(browserOf({ browserName: 'firefox' }), 'firefox');
  assert.equal(browserOf({ defaultBrowserType: 'webkit', viewport: { width: 390, height: 844 } }), 'webkit', "devices['iPhone 13'] without browserName");
  assert.equal(browserOf({ defaultBrowserType: 'webkit', browserName: 'chromium' }), 'chromium', 'a device told to run in Chromium');
  assert.equal(browserOf({ browserName: undefined, defaultBrowserType: 'firefox' }), 'firefox');
  assert.equal(browserOf({ browserName: 42 }), 'chromium', 'no string: the default');
});
