#!/usr/bin/env node
// Journeys are TypeScript, loaded at run time, so the tsx loader is registered before anything else.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
const source = new URL('../src/cli.ts', import.meta.url);
if (existsSync(source)) {
  await import(source.href);
} else {
  // A production build ships dist/ only: journeys' `import 'pulse'` must resolve to it too.
  register('./resolve-dist.js', import.meta.url);
  await import(new URL('../dist/cli.js', import.meta.url).href);
}
