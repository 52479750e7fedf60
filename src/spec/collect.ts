// What a Playwright Test file declares, collected as it is imported: its describes, tests, hooks,
// test.use() blocks and modifiers, each with the file:line it was written at. Nothing runs here:
// a collected test is turned into a journey (spec-journeys.ts) and run by spec-body.ts.
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FixtureSet } from './fixtures.ts';
import { SpecMisuseError } from './running.ts';

/** This folder: frames in it are pulse's, never the spec's own call site. */
const OWN_FOLDER = path.dirname(fileURLToPath(import.meta.url)) + path.sep;

export interface Annotation {
  type: string;
  description?: string;
}

/** The details object of test() and test.describe(): `{ tag, annotation }`. */
export interface TestDetails {
  tag?: string | string[];
  annotation?: Annotation | Annotation[];
}

export type ModifierKind = 'skip' | 'fixme' | 'fail' | 'slow';

/** test.skip(), test.fixme(), test.fail() or test.slow() at a describe's (or the file's) level, or on one test. */
export interface Modifier {
  kind: ModifierKind;
  /** Unconditional when absent; a function is asked the project's options. */
  condition?: boolean | ((options: Record<string, unknown>) => unknown);
  description?: string;
  location: string;
}

export type HookKind = 'beforeEach' | 'afterEach' | 'beforeAll' | 'afterAll';

export interface Hook {
  kind: HookKind;
  title: string | undefined;
  fn: FixtureTakingFn;
  location: string;
  fixtures: FixtureSet;
}

/** A test or hook body: its first parameter destructures the fixtures it uses. */
export type FixtureTakingFn = (fixtures: Record<string, unknown>, info: unknown) => unknown;

/** A test.use() block: option values and fixture overrides, in force for the describe it is in. */
export interface UseBlock {
  values: Record<string, unknown>;
  location: string;
}

export interface Suite {
  kind: 'describe';
  /** Empty for the file itself and for an anonymous describe. */
  title: string;
  location: string;
  parent: Suite | undefined;
  tags: string[];
  annotations: Annotation[];
  hooks: Hook[];
  uses: UseBlock[];
  modifiers: Modifier[];
  mode: { mode: 'default' | 'serial' | 'parallel'; location: string } | undefined;
  retries: number | undefined;
  timeoutMs: number | undefined;
  only: boolean;
  entries: (Suite | SpecTest)[];
}

export interface SpecTest {
  kind: 'test';
  title: string;
  location: string;
  fn: FixtureTakingFn;
  parent: Suite;
  tags: string[];
  annotations: Annotation[];
  modifiers: Modifier[];
  only: boolean;
  /** The fixtures of the test object it was declared with (test.extend() makes new ones). */
  fixtures: FixtureSet;
}

/** What went wrong while a file declared itself, for `pulse validate` to report at its line. */
export interface Misdeclared {
  location: string;
  message: string;
  fix: string;
}

export interface CollectedFile {
  root: Suite;
  misdeclared: Misdeclared[];
}

export function newSuite(title: string, location: string, parent: Suite | undefined, details: TestDetails = {}): Suite {
  return {
    kind: 'describe',
    title,
    location,
    parent,
    tags: tagsOf(details, title),
    annotations: annotationsOf(details),
    hooks: [],
    uses: [],
    modifiers: [],
    mode: undefined,
    retries: undefined,
    timeoutMs: undefined,
    only: false,
    entries: [],
  };
}

/** Tags from the details (`tag`) and those written in the title (`@smoke`), as Playwright reads both. */
export function tagsOf(details: TestDetails, title: string): string[] {
  const given = details.tag === undefined ? [] : Array.isArray(details.tag) ? details.tag : [details.tag];
  const inTitle = title.match(/@[\w-]+/g) ?? [];
  return [...new Set([...given, ...inTitle].map(String))];
}

export function annotationsOf(details: TestDetails): Annotation[] {
  const given = details.annotation === undefined ? [] : Array.isArray(details.annotation) ? details.annotation : [details.annotation];
  return given.filter((entry): entry is Annotation => typeof entry === 'object' && entry !== null && typeof entry.type === 'string');
}

/**
 * The describe whose callback is declaring: an async context, so what an async callback declares
 * after an await lands in that describe (refused with it), never in whatever is declaring then.
 */
const declaringIn = new AsyncLocalStorage<Suite>();

/** The file being imported now: where test(), describe() and hooks declare themselves. */
class Collector {
  readonly root: Suite;
  readonly misdeclared: Misdeclared[] = [];

  constructor(file: string) {
    this.root = newSuite('', file, undefined);
  }

  get current(): Suite {
    return declaringIn.getStore() ?? this.root;
  }
}

let collecting: Collector | undefined;

/**
 * Imports a spec file with a collector in place: what its top level declares (and what the
 * modules it imports declare while it loads) is collected as that file's.
 */
export async function collectFile(file: string, load: () => Promise<unknown>): Promise<CollectedFile> {
  if (collecting) throw new Error(`a spec file is being collected already; ${file} must wait for it`);
  const collector = new Collector(file);
  collecting = collector;
  try {
    await load();
  } finally {
    collecting = undefined;
  }
  return { root: collector.root, misdeclared: collector.misdeclared };
}

/** The file being collected, or a throw that says test() was called at the wrong moment. */
export function collector(call: string, location: string): Collector {
  if (collecting) return collecting;
  throw new SpecMisuseError(
    `${call} was called at ${location}, outside the top level of a spec file and outside a test.describe() callback; declare tests while the file loads`,
  );
}

export function isCollecting(): boolean {
  return collecting !== undefined;
}

/**
 * Runs a describe's callback with it as the place its tests go. An async callback is refused at
 * its line with everything in it: what it declares after an await would be declared half.
 */
export function within(suite: Suite, callback: () => unknown): void {
  const collector = collecting!;
  const outer = collector.current;
  outer.entries.push(suite);
  const returned = declaringIn.run(suite, callback);
  if (returned instanceof Promise) {
    returned.catch(() => undefined);
    outer.entries.splice(outer.entries.indexOf(suite), 1);
    collector.misdeclared.push({
      location: suite.location,
      message: 'the test.describe() callback is async',
      fix: 'make it a plain function: Playwright Test declares tests synchronously',
    });
  }
}

/** file:line:column of the spec code that called into this module, from the stack. */
export function callSite(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  for (const frame of frames) {
    const match = /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?$/.exec(frame.trim());
    if (!match) continue;
    const file = match[1]!.replace(/^file:\/\//, '');
    const shown = decodeURIComponent(file);
    if (shown.startsWith(OWN_FOLDER) || shown.startsWith('node:') || shown.includes(`${path.sep}node_modules${path.sep}`)) continue;
    return `${shown}:${match[2]}:${match[3]}`;
  }
  return 'unknown';
}

/** Every suite from the file's root down to `suite`, outermost first. */
export function suitePath(suite: Suite): Suite[] {
  const path: Suite[] = [];
  for (let at: Suite | undefined = suite; at; at = at.parent) path.unshift(at);
  return path;
}

/** Every test below `suite`, in declaration order. */
export function testsIn(suite: Suite): SpecTest[] {
  return suite.entries.flatMap((entry) => (entry.kind === 'test' ? [entry] : testsIn(entry)));
}
