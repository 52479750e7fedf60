// Playwright Test's fixtures, as a spec file declares and uses them: the built-in ones (page,
// context, request, ...) lent by pulse's run, those test.extend() adds (page objects, helpers),
// option values from `use` and test.use(); each set up when a test or hook names it in its first
// parameter, torn down in reverse order when the run ends.
import { SpecMisuseError } from './running.ts';

/** What a fixture is given to hand its value over: it resolves when the fixture is to be torn down. */
export type Use = (value: unknown) => Promise<void>;

export interface FixtureDefinition {
  name: string;
  /** A function `({ ...fixtures }, use, info) => ...`, or a plain value. */
  value: unknown;
  scope: 'test' | 'worker';
  auto: boolean;
  option: boolean;
  /** Lent by the run (page, context, request, ...): its value comes from there. */
  builtin: boolean;
  location: string;
  /** The definition this one overrides: a fixture that names itself gets that one. */
  parent: FixtureDefinition | undefined;
}

const TUPLE_KEYS = new Set(['scope', 'auto', 'option', 'timeout', 'box', 'title']);

/** Playwright's built-in fixtures: pulse lends them from the run it is in. */
export const BUILTIN_FIXTURES = [
  'page',
  'context',
  'browser',
  'request',
  'playwright',
  'browserName',
  'baseURL',
  'headless',
  'channel',
  'launchOptions',
  'contextOptions',
  'connectOptions',
  'testIdAttribute',
  'actionTimeout',
  'navigationTimeout',
  'screenshot',
  'trace',
  'video',
] as const;

/** The fixtures a test object knows: each name's newest definition, older ones reachable through `parent`. */
export class FixtureSet {
  constructor(readonly definitions: ReadonlyMap<string, FixtureDefinition>) {}

  static builtins(): FixtureSet {
    const definitions = new Map<string, FixtureDefinition>();
    for (const name of BUILTIN_FIXTURES)
      definitions.set(name, { name, value: undefined, scope: 'test', auto: false, option: false, builtin: true, location: 'playwright', parent: undefined });
    return new FixtureSet(definitions);
  }

  /** test.extend(): the definitions given, over these. */
  extend(given: Record<string, unknown>, location: string): FixtureSet {
    const definitions = new Map(this.definitions);
    for (const [name, entry] of Object.entries(given)) {
      const [value, options] = isTuple(entry) ? entry : [entry, {}];
      const parent = definitions.get(name);
      definitions.set(name, {
        name,
        value,
        scope: options.scope === 'worker' ? 'worker' : 'test',
        auto: options.auto === true,
        option: options.option === true,
        builtin: false,
        location,
        parent,
      });
    }
    return new FixtureSet(definitions);
  }

  /** mergeTests(): the definitions of every set, later ones over earlier. */
  static merge(sets: FixtureSet[]): FixtureSet {
    const definitions = new Map<string, FixtureDefinition>();
    for (const set of sets) for (const [name, definition] of set.definitions) definitions.set(name, definition);
    return new FixtureSet(definitions);
  }
}

function isTuple(entry: unknown): entry is [unknown, { scope?: string; auto?: boolean; option?: boolean }] {
  if (!Array.isArray(entry) || entry.length !== 2) return false;
  const options: unknown = entry[1];
  return typeof options === 'object' && options !== null && !Array.isArray(options) && Object.keys(options).some((key) => TUPLE_KEYS.has(key));
}

/**
 * The fixture names a function's first parameter destructures, read from its text as Playwright
 * does; undefined when the first parameter is no object pattern (then no fixture can be named).
 */
export function fixtureNames(fn: (...args: never[]) => unknown): string[] | undefined {
  const text = withoutComments(Function.prototype.toString.call(fn));
  const open = firstParameterStart(text);
  if (open === undefined) return undefined;
  let i = open;
  while (/\s/.test(text[i] ?? '')) i += 1;
  if (text[i] === ')') return [];
  if (text[i] !== '{') return undefined;
  const close = matching(text, i);
  const body = text.slice(i + 1, close);
  const names: string[] = [];
  for (const part of splitTopLevel(body)) {
    const entry = part.trim();
    if (entry === '') continue;
    if (entry.startsWith('...')) return undefined;
    const key = /^(?:(['"])(.*?)\1|([A-Za-z_$][\w$]*))/.exec(entry);
    if (key) names.push(key[2] ?? key[3]!);
  }
  return names;
}

/** Index just past the `(` that opens the parameter list, or undefined for an arrow function with one bare parameter (no pattern). */
function firstParameterStart(text: string): number | undefined {
  const arrowBare = /^\s*(?:async\s+)?[A-Za-z_$][\w$]*\s*=>/.exec(text);
  if (arrowBare) return undefined;
  const open = text.indexOf('(');
  return open < 0 ? undefined : open + 1;
}

/** The text with each comment a space: a comment in a parameter list names no fixture (strings kept whole). */
function withoutComments(text: string): string {
  let kept = '';
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (char === '"' || char === "'" || char === '`') {
      const end = skipString(text, i);
      kept += text.slice(i, end + 1);
      i = end;
    } else if (char === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      kept += ' ';
      i = end < 0 ? text.length : end - 1;
    } else if (char === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      kept += ' ';
      i = end < 0 ? text.length : end + 1;
    } else kept += char;
  }
  return kept;
}

/** Index of the bracket that closes the one at `open`, strings skipped. */
function matching(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    const char = text[i]!;
    if (char === '"' || char === "'" || char === '`') {
      i = skipString(text, i);
      continue;
    }
    if (char === '{' || char === '(' || char === '[') depth += 1;
    else if (char === '}' || char === ')' || char === ']') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return text.length;
}

function skipString(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' ? 2 : 1;
  return i;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (char === '"' || char === "'" || char === '`') i = skipString(text, i);
    else if (char === '{' || char === '(' || char === '[') depth += 1;
    else if (char === '}' || char === ')' || char === ']') depth -= 1;
    else if (char === ',' && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
}

/** Thrown when a fixture is named that no definition, option or built-in provides. */
export class UnknownFixtureError extends SpecMisuseError {
  override name = 'UnknownFixtureError';
}

export interface FixtureRunOptions {
  set: FixtureSet;
  /** Values and fixture functions from `use` (config, project) and test.use(), by name. */
  options: Readonly<Record<string, unknown>>;
  /** The built-ins' values, each made when first asked for. */
  builtins: Readonly<Record<string, () => unknown>>;
  /** The third argument of a fixture function and the second of a test: test.info(). */
  info: unknown;
}

/** The fixtures of one run: each made once when first named, all torn down at its end. */
export class FixtureRun {
  readonly #made = new Map<FixtureDefinition | string, Promise<unknown>>();
  readonly #teardowns: (() => Promise<void>)[] = [];
  /** A fixture function given by test.use() as a definition, one per name, so it is made once like any fixture. */
  readonly #overrides = new Map<string, FixtureDefinition>();

  constructor(private readonly options: FixtureRunOptions) {}

  /** The fixtures `fn` names, and every auto fixture, made and handed over as its first argument. */
  async argumentsFor(fn: (...args: never[]) => unknown, what: string): Promise<Record<string, unknown>> {
    const names = fixtureNames(fn);
    if (names === undefined)
      throw new UnknownFixtureError(`${what}: its first parameter must destructure the fixtures it uses, e.g. async ({ page }) => { ... }`);
    for (const definition of this.options.set.definitions.values()) if (definition.auto) await this.#make(definition, []);
    const values: Record<string, unknown> = {};
    for (const name of names) values[name] = await this.#get(name, undefined, what, []);
    return values;
  }

  /** Every fixture made, torn down newest first; the first error is thrown after all were tried. */
  async tearDown(): Promise<void> {
    let first: { error: unknown } | undefined;
    for (const teardown of this.#teardowns.reverse()) {
      try {
        await teardown();
      } catch (error) {
        first ??= { error };
      }
    }
    this.#teardowns.length = 0;
    if (first) throw first.error;
  }

  /** A fixture by name, asked for by `by` (whose own name means its parent definition); `chain`: the fixtures being set up that led here. */
  #get(name: string, by: FixtureDefinition | undefined, what: string, chain: readonly FixtureDefinition[]): Promise<unknown> {
    if (by && by.name === name) {
      if (!by.parent) throw new UnknownFixtureError(`fixture '${name}' (${by.location}) asks for '${name}', which it overrides, but nothing defines it before`);
      return this.#make(by.parent, chain);
    }
    const given = this.options.options[name];
    const definition = this.options.set.definitions.get(name);
    if (given !== undefined && !(definition?.builtin && typeof given !== 'function')) {
      if (typeof given === 'function') {
        let override = this.#overrides.get(name);
        if (!override) {
          override = { ...(definition ?? blank(name)), value: given, builtin: false, parent: definition, location: 'test.use()' };
          this.#overrides.set(name, override);
        }
        return this.#make(override, chain);
      }
      if (!definition?.builtin) return Promise.resolve(given);
    }
    if (definition) return this.#make(definition, chain);
    if (Object.hasOwn(this.options.options, name)) return Promise.resolve(given);
    throw new UnknownFixtureError(`${what} uses fixture '${name}', which no test.extend(), option or built-in fixture provides`);
  }

  #make(definition: FixtureDefinition, chain: readonly FixtureDefinition[]): Promise<unknown> {
    // A fixture that needs itself through others would wait for itself for ever: say so instead.
    const looped = chain.indexOf(definition);
    if (looped >= 0) {
      const cycle = [...chain.slice(looped), definition].map((entry) => `'${entry.name}' (${entry.location})`).join(' -> ');
      throw new SpecMisuseError(`fixtures ${cycle} depend on each other in a cycle: none of them can be set up`);
    }
    const key = definition.builtin ? definition.name : definition;
    let made = this.#made.get(key);
    if (!made) {
      made = this.#setUp(definition, [...chain, definition]);
      this.#made.set(key, made);
    }
    return made;
  }

  async #setUp(definition: FixtureDefinition, chain: readonly FixtureDefinition[]): Promise<unknown> {
    if (definition.builtin) {
      const option = this.options.options[definition.name];
      const builtin = this.options.builtins[definition.name];
      return builtin ? builtin() : option;
    }
    if (typeof definition.value !== 'function') return definition.value;
    const fn = definition.value as (fixtures: Record<string, unknown>, use: Use, info: unknown) => unknown;
    const what = `fixture '${definition.name}' (${definition.location})`;
    const names = fixtureNames(fn);
    if (names === undefined) throw new UnknownFixtureError(`${what}: its first parameter must destructure the fixtures it uses`);
    const dependencies: Record<string, unknown> = {};
    for (const name of names) dependencies[name] = await this.#get(name, definition, what, chain);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let provide!: (value: unknown) => void;
    const provided = new Promise<unknown>((resolve) => (provide = resolve));
    let used = false;
    const use: Use = async (value) => {
      if (used) throw new SpecMisuseError(`${what} called use() twice`);
      used = true;
      provide(value);
      await released;
    };
    const done = Promise.resolve().then(() => fn(dependencies, use, this.options.info));
    done.catch(() => undefined);
    const value = await Promise.race([
      provided,
      done.then(() => {
        throw new SpecMisuseError(`${what} returned without calling use(value)`);
      }),
    ]);
    this.#teardowns.push(async () => {
      release();
      await done;
    });
    return value;
  }
}

function blank(name: string): FixtureDefinition {
  return { name, value: undefined, scope: 'test', auto: false, option: true, builtin: false, location: 'test.use()', parent: undefined };
}
