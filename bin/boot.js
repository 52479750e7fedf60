// Journeys are TypeScript, loaded at run time, so the tsx loader is registered before anything else.
import { existsSync } from 'node:fs';
import module, { register } from 'node:module';
import { URL } from 'node:url';
import { register as registerTsxCjs } from 'tsx/cjs/api';
import { register as registerTsx } from 'tsx/esm/api';

/** Imports src/<name>.ts in a checkout, or dist/<name>.js in a production build. */
export async function boot(name) {
  // Node.js 22+ keeps compiled code on disk: Playwright loads in a fraction of the time in every worker.
  module.enableCompileCache?.();
  // Both module systems: a journey file outside a "type": "module" package is compiled as CommonJS.
  registerTsxCjs();
  registerTsx();
  const source = new URL(`../src/${name}.ts`, import.meta.url);
  if (existsSync(source)) return import(source.href);
  // A production build ships dist/ only: journeys' `import 'pulse'` must resolve to it too.
  register('./resolve-dist.js', import.meta.url);
  return import(new URL(`../dist/${name}.js`, import.meta.url).href);
}
