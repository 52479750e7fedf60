// A worker runs many attempts of many journeys: one that replaces Date.now, fetch,
// RegExp.prototype.exec or Buffer.from, sets Error.stackTraceLimit or hangs a value on globalThis
// would change every later run in that worker, and pulse's own timing and reporting with it. The
// own property descriptors of the intrinsics are taken once the worker is warm and compared after
// every attempt: a replaced, added or removed property, or a changed flag, is a leftover of that run.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The built-ins whose members pulse, Playwright and journeys rely on; their own properties are watched. */
const WATCHED: Record<string, object | undefined> = {
  globalThis,
  Object,
  'Object.prototype': Object.prototype,
  Function,
  'Function.prototype': Function.prototype,
  Array,
  'Array.prototype': Array.prototype,
  String,
  'String.prototype': String.prototype,
  Number,
  'Number.prototype': Number.prototype,
  'Boolean.prototype': Boolean.prototype,
  Symbol,
  'Symbol.prototype': Symbol.prototype,
  'BigInt.prototype': BigInt.prototype,
  Date,
  'Date.prototype': Date.prototype,
  RegExp,
  'RegExp.prototype': RegExp.prototype,
  Error,
  'Error.prototype': Error.prototype,
  'TypeError.prototype': TypeError.prototype,
  Promise,
  'Promise.prototype': Promise.prototype,
  Map,
  'Map.prototype': Map.prototype,
  Set,
  'Set.prototype': Set.prototype,
  'WeakMap.prototype': WeakMap.prototype,
  'WeakSet.prototype': WeakSet.prototype,
  'WeakRef.prototype': WeakRef.prototype,
  ArrayBuffer,
  'ArrayBuffer.prototype': ArrayBuffer.prototype,
  'TypedArray.prototype': Object.getPrototypeOf(Uint8Array.prototype) as object,
  'Uint8Array.prototype': Uint8Array.prototype,
  'DataView.prototype': DataView.prototype,
  Math,
  JSON,
  Reflect,
  Atomics,
  Intl,
  Buffer,
  'Buffer.prototype': Object.getPrototypeOf(Buffer.alloc(0)) as object,
  URL,
  'URL.prototype': URL.prototype,
  'URLSearchParams.prototype': URLSearchParams.prototype,
  'TextEncoder.prototype': TextEncoder.prototype,
  'TextDecoder.prototype': TextDecoder.prototype,
  'AbortController.prototype': AbortController.prototype,
  AbortSignal,
  'EventTarget.prototype': EventTarget.prototype,
  'EventEmitter.prototype': EventEmitter.prototype,
  console,
  performance: globalThis.performance,
  process,
  fs,
  'fs.promises': fs.promises,
  path,
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
  'process._events',
  'process._eventsCount',
  'process._maxListeners',
  'process.mainModule',
]);

/**
 * Node defines many globals lazily: a getter (atob, Headers, FormData, MessageChannel, DOMException
 * ...) that replaces itself with the value at its first read, and fetch installs its dispatcher (symbols
 * on globalThis) at its first use. Done once before a baseline is taken, so that a journey's first
 * use of any of them is not taken for a change.
 */
export async function settleLazyGlobals(): Promise<void> {
  for (const key of Reflect.ownKeys(globalThis)) {
    try {
      void (globalThis as Record<PropertyKey, unknown>)[key];
    } catch {
      // A getter that throws stays a getter: the baseline keeps it as it is.
    }
  }
  await fetch('data:,').then((response) => response.arrayBuffer());
}

/** Every watched property as it stood once the worker was warm (after settleLazyGlobals), by object. */
export class GlobalsGuard {
  readonly #baseline = new Map<string, Map<PropertyKey, PropertyDescriptor>>();

  constructor() {
    for (const [name, target] of Object.entries(WATCHED)) {
      if (!target) continue;
      const properties = new Map<PropertyKey, PropertyDescriptor>();
      for (const property of Reflect.ownKeys(target)) {
        const descriptor = Reflect.getOwnPropertyDescriptor(target, property);
        if (descriptor && !IGNORED.has(keyOf(name, property))) properties.set(property, descriptor);
      }
      this.#baseline.set(name, properties);
    }
  }

  /** What changed since the baseline, e.g. ['RegExp.prototype.exec (replaced)', 'globalThis.cache (added)']. */
  changed(): string[] {
    const changed: string[] = [];
    for (const [name, target] of Object.entries(WATCHED)) {
      const before = this.#baseline.get(name);
      if (!target || !before) continue;
      let seen = 0;
      for (const property of Reflect.ownKeys(target)) {
        // Accessors are compared by identity, never called: a getter may do work or throw.
        const now = Reflect.getOwnPropertyDescriptor(target, property);
        const was = before.get(property);
        if (was) seen += 1;
        if (!now || (was && sameDescriptor(was, now))) continue;
        const key = keyOf(name, property);
        if (IGNORED.has(key)) continue;
        changed.push(`${key} (${was ? describeChange(was, now) : 'added'})`);
      }
      if (seen < before.size)
        for (const property of before.keys()) if (!Reflect.getOwnPropertyDescriptor(target, property)) changed.push(`${keyOf(name, property)} (removed)`);
    }
    return changed;
  }
}

function keyOf(name: string, property: PropertyKey): string {
  return `${name}.${typeof property === 'symbol' ? property.toString() : String(property)}`;
}

function sameDescriptor(a: PropertyDescriptor, b: PropertyDescriptor): boolean {
  return (
    Object.is(a.value, b.value) &&
    a.get === b.get &&
    a.set === b.set &&
    a.writable === b.writable &&
    a.enumerable === b.enumerable &&
    a.configurable === b.configurable
  );
}

function describeChange(before: PropertyDescriptor, now: PropertyDescriptor): string {
  if (!Object.is(before.value, now.value) || before.get !== now.get || before.set !== now.set) {
    const primitive = (value: unknown) => value === null || (typeof value !== 'object' && typeof value !== 'function');
    if (primitive(before.value) && primitive(now.value) && before.get === undefined && now.get === undefined)
      return `was ${String(before.value)}, now ${String(now.value)}`;
    return 'replaced';
  }
  return 'its flags changed';
}
