// Where '@playwright/test' leads in a journey worker: to pulse's test API (playwright-test.ts), for
// spec files, their fixtures and the Playwright config, whether they are ES modules or CommonJS.
// The real module is still what that API itself imports.
import Module, { register } from 'node:module';
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
}

let installed = false;

/** From now on in this process, an import or require() of '@playwright/test' gets pulse's test API. */
export function redirectPlaywrightTest(): void {
  if (installed) return;
  installed = true;
  const ts = import.meta.url.endsWith('.ts');
  const target = new URL(ts ? './playwright-test.ts' : './playwright-test.js', import.meta.url).href;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { target } });
  // CommonJS spec files require() it: a bridge module hands them the instance loaded here, as a
  // real file, since Node.js 24 loads a require()d module through its ES module loader too.
  (globalThis as Record<symbol, unknown>)[Symbol.for('pulse.specTestApi')] = api;
  const bridge = fileURLToPath(new URL(ts ? './commonjs-bridge.cts' : './commonjs-bridge.cjs', import.meta.url));
  const loader = Module as unknown as CommonJsLoader;
  const resolveFilename = loader._resolveFilename;
  loader._resolveFilename = function (request, parent, ...rest) {
    if (SPECIFIERS.has(request)) return bridge;
    return resolveFilename.call(this, request, parent, ...rest);
  };
}
