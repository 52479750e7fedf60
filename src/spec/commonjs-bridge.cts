// What a CommonJS spec file (a project without "type": "module") gets when it requires
// '@playwright/test': the very test API instance the worker loaded as an ES module (redirect.ts
// puts it here), never a second copy with a collection of its own.
module.exports = (globalThis as Record<symbol, unknown>)[Symbol.for('pulse.specTestApi')];
