// Where '@playwright/test' leads in a journey worker: to pulse's test API (playwright-test.ts), for
// spec files, their fixtures and the Playwright config, whether they are ES modules or CommonJS.
// The real module is still what that API itself imports.
import Module, { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const SPECIFIERS = new Set(['@playwright/test', 'playwright/test']);

/** The resolve hook, in the loader's own thread: plain JavaScript, given as a data: URL. */
const HOOKS = `
let target;
export async function initialize(data) { target = data.target; }
export async function resolve(specifier, context, next) {
  if ((specifier === '@playwright/test' || specifier === 'playwright/test') && context.parentURL !== target) return { url: target, shortCircuit: true };
  return next(specifier, context);
}`;

let installed = false;

/** From now on in this process, an import of '@playwright/test' (except the API's own) gets pulse's test API. */
export function redirectPlaywrightTest(): void {
  if (installed) return;
  installed = true;
  const target = new URL(import.meta.url.endsWith('.ts') ? './playwright-test.ts' : './playwright-test.js', import.meta.url).href;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { target } });
  // CommonJS spec files (a project without "type": "module") require() it: the same redirect there.
  const loader = Module as unknown as { _resolveFilename: (request: string, parent: unknown, ...rest: unknown[]) => string };
  const resolveFilename = loader._resolveFilename;
  const targetPath = fileURLToPath(target);
  loader._resolveFilename = function (request, parent, ...rest) {
    const from = (parent as { filename?: string } | undefined)?.filename;
    if (SPECIFIERS.has(request) && from !== targetPath) return targetPath;
    return resolveFilename.call(this, request, parent, ...rest);
  };
}
