import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { layerZones } from '../../../eslint.config.js';

/** The import-direction rule alone, as eslint.config.js sets it, on a file planted at a path in src/. */
async function importProblems(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { 'import-x': importX },
        settings: { 'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js'] })] },
        rules: { 'import-x/no-restricted-paths': ['error', { zones: layerZones }] },
      },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: file });
  return (result?.messages ?? []).map((message) => message.message);
}

test('an import from a later layer of the flow fails the lint, naming both layers', async () => {
  const problems = await importProblems('src/registry/planted.ts', "import { createWebServer } from '../web/server.ts';\nvoid createWebServer;\n");
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0]!, /registry comes before web in the flow of a run/);
  const contract = await importProblems('src/events.ts', "import { Runner } from './runner/runner.ts';\nvoid Runner;\n");
  assert.match(contract.join('\n'), /contracts and tools comes before runner \(daemon side\)/);
});

test('imports from an earlier layer or within a folder pass', async () => {
  assert.deepEqual(
    await importProblems(
      'src/web/planted.ts',
      "import { openRunStore } from '../store/run-store.ts';\nimport { artifactsDir } from '../artifacts.ts';\nvoid openRunStore; void artifactsDir;\n",
    ),
    [],
  );
  assert.deepEqual(await importProblems('src/runner/planted.ts', "import { Runner } from './runner.ts';\nvoid Runner;\n"), []);
});
