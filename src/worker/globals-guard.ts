// A worker runs many attempts of many journeys: one that replaces Date.now, fetch or a prototype
// method would change every later run in that worker, and pulse's own timing and reporting with it.

/** The built-ins whose members pulse and journeys rely on; their own properties are watched. */
const WATCHED: Record<string, object | undefined> = {
  globalThis,
  Date,
  'Date.prototype': Date.prototype,
  Math,
  JSON,
  Promise,
  'Promise.prototype': Promise.prototype,
  Object,
  'Object.prototype': Object.prototype,
  'Array.prototype': Array.prototype,
  'Function.prototype': Function.prototype,
  'String.prototype': String.prototype,
  Reflect,
  console,
  performance: globalThis.performance,
  process,
};

/** Properties pulse changes itself (process.exit is made to throw), or that Node updates on its own. */
const IGNORED = new Set([
  'process.exit',
  'process.exitCode',
  'process.title',
  'process.env',
  'process.stdout',
  'process.stderr',
  'process.stdin',
  'process.domain',
  'process._exiting',
]);

/** Identity of every watched property, taken once the worker is warm. */
export class GlobalsGuard {
  readonly #baseline = new Map<string, unknown>();

  constructor() {
    for (const [key, value] of watchedEntries()) {
      if (!IGNORED.has(key) && typeof value === 'function') this.#baseline.set(key, value);
    }
  }

  /** Names of watched functions that were replaced or removed since the baseline, e.g. ['Date.now', 'globalThis.fetch']. */
  changed(): string[] {
    const now = new Map<string, unknown>(watchedEntries());
    const changed: string[] = [];
    for (const [key, value] of this.#baseline) if (now.get(key) !== value) changed.push(key);
    return changed;
  }
}

function* watchedEntries(): Generator<[string, unknown]> {
  for (const [name, target] of Object.entries(WATCHED)) {
    if (!target) continue;
    for (const property of Object.getOwnPropertyNames(target)) {
      // Accessors are read through their getter, which may do work or throw; their identity is the getter.
      const descriptor: { value?: unknown; get?: () => unknown } | undefined = Object.getOwnPropertyDescriptor(target, property);
      const value = descriptor && 'value' in descriptor ? descriptor.value : descriptor?.get;
      yield [`${name}.${property}`, value];
    }
  }
}
