// The `test` object a spec file imports from '@playwright/test' when pulse loads it: the same calls
// as Playwright Test's, declaring into the file being collected while it loads, and reaching the
// running test (test.step(), test.info(), test.skip() in a body) while a run is going.
import {
  annotationsOf,
  callSite,
  collector,
  isCollecting,
  newSuite,
  tagsOf,
  within,
  type FixtureTakingFn,
  type HookKind,
  type Modifier,
  type ModifierKind,
  type TestDetails,
} from './collect.ts';
import { FixtureSet } from './fixtures.ts';
import { SpecMisuseError, specRun } from './running.ts';

type Fn = (...args: never[]) => unknown;
/** The `test` function and everything hung on it, as spec files call it. */
export type TestApi = ((...args: unknown[]) => void) & Record<string, unknown>;

const setOf = new WeakMap<object, FixtureSet>();

/** The fixtures a test object (from this module) knows, for mergeTests(). */
export function fixturesOf(test: unknown): FixtureSet | undefined {
  return typeof test === 'function' ? setOf.get(test) : undefined;
}

/** title, optional details, body: as test() and test.describe() take them. */
function titleDetailsBody(args: unknown[], call: string): { title: string; details: TestDetails; body: Fn } {
  const [title, second, third] = args;
  if (typeof title === 'function') return { title: '', details: {}, body: title as Fn };
  const body = (typeof second === 'function' ? second : third) as Fn | undefined;
  if (typeof title !== 'string' || typeof body !== 'function')
    throw new TypeError(`${call} takes a title and a function (and details between them), at ${callSite()}`);
  const details = typeof second === 'object' && second !== null ? (second as TestDetails) : {};
  return { title, details, body };
}

function declareTest(set: FixtureSet, args: unknown[], call: string, modifier?: ModifierKind, only = false): void {
  const location = callSite();
  const collecting = collector(call, location);
  const { title, details, body } = titleDetailsBody(args, call);
  const suite = collecting.current;
  suite.entries.push({
    kind: 'test',
    title,
    location,
    fn: body as FixtureTakingFn,
    parent: suite,
    tags: tagsOf(details, title),
    annotations: annotationsOf(details),
    modifiers: modifier ? [{ kind: modifier, location }] : [],
    only,
    fixtures: set,
  });
}

/** test.skip() and its kin: a test declared with it, a modifier of the describe it is in, or, inside a running test, now. */
function modifierCall(set: FixtureSet, kind: ModifierKind) {
  return (...args: unknown[]): void => {
    const running = specRun.getStore();
    if (running && !isCollecting()) {
      const [condition, description] = args;
      if (args.length > 0 && !condition) return;
      const why = typeof description === 'string' ? `: ${description}` : '';
      if (kind === 'slow') return;
      throw new SpecMisuseError(
        kind === 'fail'
          ? `test.fail() was called while the test ran${why}: pulse does not monitor a test that is expected to fail`
          : `the test called test.${kind}() while it ran${why}: a monitor must run what it monitors`,
      );
    }
    if (typeof args[0] === 'string' && args.some((arg) => typeof arg === 'function')) {
      declareTest(set, args, `test.${kind}()`, kind);
      return;
    }
    const location = callSite();
    const collecting = collector(`test.${kind}()`, location);
    const [condition, description] = args;
    const modifier: Modifier = { kind, location };
    if (args.length > 0) modifier.condition = typeof condition === 'function' ? (condition as Modifier['condition']) : Boolean(condition);
    if (typeof description === 'string') modifier.description = description;
    collecting.current.modifiers.push(modifier);
  };
}

function describeCall(mode?: 'serial' | 'parallel', modifier?: ModifierKind, only = false) {
  return (...args: unknown[]): void => {
    const location = callSite();
    const collecting = collector('test.describe()', location);
    const { title, details, body } = titleDetailsBody(args, 'test.describe()');
    const suite = newSuite(title, location, collecting.current, details);
    if (mode) suite.mode = { mode, location };
    if (modifier) suite.modifiers.push({ kind: modifier, location });
    suite.only = only;
    within(suite, body);
  };
}

function hookCall(kind: HookKind, set: FixtureSet) {
  return (...args: unknown[]): void => {
    const location = callSite();
    const collecting = collector(`test.${kind}()`, location);
    const [first, second] = args;
    const fn = (typeof first === 'function' ? first : second) as FixtureTakingFn | undefined;
    if (typeof fn !== 'function') throw new TypeError(`test.${kind}() takes a function (and a title before it), at ${location}`);
    collecting.current.hooks.push({ kind, title: typeof first === 'string' ? first : undefined, fn, location, fixtures: set });
  };
}

/** test.step(): one of pulse's steps, named by the titles of the steps it is inside of, joined with " › ". */
async function step(title: string, body: (info: unknown) => unknown, options?: { timeout?: number; box?: boolean }): Promise<unknown> {
  const run = specRun.getStore();
  if (!run) throw new Error(`test.step('${title}') was called outside a running test, at ${callSite()}`);
  const stepPath = [...run.stepPath, String(title)];
  const inner = { ...run, stepPath, softErrors: [] as unknown[] };
  let skipped = false;
  const stepInfo = {
    skip: (condition?: unknown) => {
      if (condition === undefined || condition) skipped = true;
    },
    attach: async () => undefined,
  };
  return run.step(stepPath.join(' › '), () =>
    specRun.run(inner, async () => {
      const value = await withStepTimeout(
        Promise.resolve().then(() => body(stepInfo)),
        options?.timeout,
        title,
      );
      if (inner.softErrors.length > 0 && !skipped) throw inner.softErrors[0];
      return value;
    }),
  );
}

async function withStepTimeout<T>(work: Promise<T>, timeoutMs: number | undefined, title: string): Promise<T> {
  if (!timeoutMs || timeoutMs <= 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`test.step('${title}') ran out of its own timeout of ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A Playwright Test `test` object over these fixtures. */
export function makeTest(set: FixtureSet): TestApi {
  const test = ((...args: unknown[]) => declareTest(set, args, 'test()')) as TestApi;
  const only = (...args: unknown[]) => declareTest(set, args, 'test.only()', undefined, true);
  const describe = Object.assign(describeCall(), {
    only: describeCall(undefined, undefined, true),
    skip: describeCall(undefined, 'skip'),
    fixme: describeCall(undefined, 'fixme'),
    serial: Object.assign(describeCall('serial'), { only: describeCall('serial', undefined, true), skip: describeCall('serial', 'skip') }),
    parallel: Object.assign(describeCall('parallel'), { only: describeCall('parallel', undefined, true) }),
    configure: (options: { mode?: 'default' | 'serial' | 'parallel'; retries?: number; timeout?: number } = {}) => {
      const location = callSite();
      const suite = collector('test.describe.configure()', location).current;
      if (options.mode) suite.mode = { mode: options.mode, location };
      if (options.retries !== undefined) suite.retries = options.retries;
      if (options.timeout !== undefined) suite.timeoutMs = options.timeout;
    },
  });
  Object.assign(test, {
    only,
    describe,
    skip: modifierCall(set, 'skip'),
    fixme: modifierCall(set, 'fixme'),
    fail: Object.assign(modifierCall(set, 'fail'), { only }),
    slow: modifierCall(set, 'slow'),
    beforeEach: hookCall('beforeEach', set),
    afterEach: hookCall('afterEach', set),
    beforeAll: hookCall('beforeAll', set),
    afterAll: hookCall('afterAll', set),
    use: (values: Record<string, unknown>) => {
      const location = callSite();
      collector('test.use()', location).current.uses.push({ values, location });
    },
    step: Object.assign(step, { skip: async () => undefined }),
    info: () => {
      const run = specRun.getStore();
      if (!run) throw new Error(`test.info() can only be called while a test runs, at ${callSite()}`);
      return run.info;
    },
    setTimeout: (timeout: number) => {
      const run = specRun.getStore();
      if (run) run.info.timeout = timeout;
    },
    extend: (fixtures: Record<string, unknown>) => makeTest(set.extend(fixtures, callSite())),
  });
  setOf.set(test, set);
  return test;
}
