// Lint for pulse: typescript-eslint's recommended type-aware rules, and the layers of the flow of
// one run (shared/DESIGN.md) as data: a module may import from its own layer's folder or from an
// earlier layer, never from a later one, so that the tree keeps the flow's direction and no two
// folders import each other.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers, earliest first: the contracts and small tools every part may use, then the flow of
 * a run (load, schedule, run, work, report, store, serve), then what puts it together and starts it.
 */
export const LAYERS = [
  {
    name: 'contracts and tools',
    paths: [
      'src/problem.ts',
      'src/errors.ts',
      'src/duration.ts',
      'src/html.ts',
      'src/run-id.ts',
      'src/redact.ts',
      'src/base32.ts',
      'src/totp.ts',
      'src/artifacts.ts',
      'src/result.ts',
      'src/web-vitals.ts',
      'src/thresholds.ts',
      'src/near-miss.ts',
      'src/journey.ts',
      'src/session.ts',
      'src/index.ts',
      'src/config.ts',
      'src/logger.ts',
      'src/settings',
      'src/playwright-use.ts',
      'src/events.ts',
      'src/lifecycle.ts',
      'src/origins.ts',
      'src/trace-context.ts',
      'src/process-tree.ts',
      'src/regular-file.ts',
      // The protocol between the daemon's side and the worker's, and whose fault an attempt's ending is: both sides use them.
      'src/worker-protocol.ts',
      'src/attempt-ending.ts',
    ],
  },
  { name: 'demo shop', paths: ['src/demo'] },
  { name: 'spec files', paths: ['src/spec'] },
  { name: 'registry', paths: ['src/registry'] },
  { name: 'scheduler', paths: ['src/scheduler'] },
  { name: 'runner (daemon side)', paths: ['src/runner'] },
  { name: 'journey worker', paths: ['src/worker'] },
  { name: 'control', paths: ['src/control'] },
  { name: 'prober', paths: ['src/prober.ts', 'src/playwright.ts'] },
  { name: 'sinks', paths: ['src/sinks'] },
  { name: 'store', paths: ['src/store'] },
  { name: 'operations', paths: ['src/operations'] },
  { name: 'web', paths: ['src/web'] },
  { name: 'daemon loop', paths: ['src/dispatch.ts', 'src/event-log.ts'] },
  { name: 'composition', paths: ['src/compose.ts'] },
  { name: 'daemon', paths: ['src/daemon.ts'] },
  { name: 'commands', paths: ['src/commands'] },
  { name: 'cli', paths: ['src/cli.ts'] },
];

/** For each layer, every later layer is a place it may not import from. */
export const layerZones = LAYERS.flatMap((layer, index) =>
  LAYERS.slice(index + 1).flatMap((later) =>
    layer.paths.flatMap((target) =>
      later.paths.map((from) => ({
        target: `./${target}`,
        from: `./${from}`,
        message: `${layer.name} comes before ${later.name} in the flow of a run: move what is needed to its owner in an earlier layer, or hand it in`,
      })),
    ),
  ),
);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.scratch/**',
      'bench/.cache/**',
      'test/fixtures/**',
      '.pulse-data/**',
      '**/test-results/**',
      '**/playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js'] })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // node:test's test() and describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      // Fastify's route handlers and hooks are async to return a value; many have nothing to await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
