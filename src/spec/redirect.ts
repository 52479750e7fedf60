// Where '@playwright/test' leads in a journey worker: to pulse's test API (playwright-test.ts), for
// spec files, their fixtures and the Playwright config, whether they are ES modules or CommonJS.
// The real module is still what that API itself imports.
import Module, { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as api from './playwright-test.ts';

const SPECIFIERS = new Set(['@playwright/test', 'playwright/test']);

/** The resolve hook, in the loader's own thread: plain JavaScript, given as a data: URL. */
const HOOKS = `
let target;
export async function initialize(data) { target = data.target; }
export async function resolve(specifier, context, next) {
  if ((specifier === '@playwright/test' || specifier === 'playwright/test') && context.parentURL !== target) return { url: target, shortCircuit: true };
  return next(specifier, context);
}`;

interface CommonJsLoader {
  _resolveFilename: (request: string, parent: unknown, ...rest: unknown[]) => string;
  _cache: Record<string, Module>;
}

let installed = false;

/** From now on in this process, an import or require() of '@playwright/test' gets pulse's test API. */
export function redirectPlaywrightTest(): void {
  if (installed) return;
  installed = true;
  const target = new URL(import.meta.url.endsWith('.ts') ? './playwright-test.ts' : './playwright-test.js', import.meta.url).href;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { target } });
  // CommonJS spec files (a project without "type": "module") require() it: they get the very same
  // module instance, through a cache entry of its own, never a second copy with its own state.
  const loader = Module as unknown as CommonJsLoader;
  const id = path.join(path.dirname(fileURLToPath(import.meta.url)), '(pulse test API for spec files)');
  const cached = new Module(id);
  cached.filename = id;
  cached.loaded = true;
  cached.exports = api;
  loader._cache[id] = cached;
  const resolveFilename = loader._resolveFilename;
  loader._resolveFilename = function (request, parent, ...rest) {
    if (SPECIFIERS.has(request)) return id;
    return resolveFilename.call(this, request, parent, ...rest);
  };
}
