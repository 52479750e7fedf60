// Playwright's library, loaded with require(). Its ESM entry re-exports a CommonJS module, so
// Node.js scans the 3.6 MB bundle behind it for export names in every process that imports it:
// about 0.3 s of CPU each time a journey worker starts. Types still come from `import type`.
import { createRequire } from 'node:module';
import type * as Playwright from 'playwright';

export const playwright = createRequire(import.meta.url)('playwright') as typeof Playwright;
