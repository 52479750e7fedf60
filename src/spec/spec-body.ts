// A collected spec test as a journey's body: its beforeAll and beforeEach hooks, the test, its
// afterEach and afterAll hooks, in the order Playwright Test runs them, with its fixtures made from
// the run pulse lends (page, context, the browser) and torn down at the end. A test or hook that
// calls test.step() has those as its steps; one that calls none is one step of its own.
import path from 'node:path';
import { tmpdir } from 'node:os';
import type { APIRequestContext, BrowserContext } from 'playwright';
import { playwright } from '../playwright-library.ts';
import type { JourneyBody, JourneyContext } from '../journey.ts';
import { suitePath, type Hook, type HookKind, type SpecTest } from './collect.ts';
import { FixtureRun } from './fixtures.ts';
import { specRun, type SpecRun, type SpecTestInfo } from './running.ts';
import type { SpecProject } from './projects.ts';

const HOOK_STEP: Record<HookKind, string> = {
  beforeAll: 'before all',
  beforeEach: 'before each',
  afterEach: 'after each',
  afterAll: 'after all',
};

export interface SpecBodyPlan {
  test: SpecTest;
  project: SpecProject;
  /** The project's `use` with every test.use() of the test's describes over it. */
  options: Record<string, unknown>;
  timeoutMs: number;
  /** Set while a setup test signs in: what it saves with storageState({ path }) is kept by pulse instead, never written. */
  signingIn?: boolean;
}

/** The title path Playwright shows: describes' titles, then the test's. */
export function titlePath(test: SpecTest): string[] {
  return [...suitePath(test.parent).map((suite) => suite.title), test.title].filter((title) => title !== '');
}

/** Whether a function's own text calls test.step(): then its steps are the steps; else it is one. */
function callsSteps(fn: (...args: never[]) => unknown): boolean {
  return /\.step\s*\(/.test(Function.prototype.toString.call(fn));
}

export function specBody(plan: SpecBodyPlan): JourneyBody {
  return async (lent: JourneyContext) => {
    const { test } = plan;
    const baseURL = lent.params.baseUrl || (plan.options.baseURL as string | undefined);
    const requests: APIRequestContext[] = [];
    const info = testInfo(plan);
    const fixtures = new FixtureRun({
      set: test.fixtures,
      options: { ...plan.options, ...(baseURL ? { baseURL } : {}) },
      info,
      builtins: {
        page: () => lent.page,
        context: () => lent.context,
        browser: () => lent.context.browser(),
        playwright: () => playwright,
        browserName: () => 'chromium',
        baseURL: () => baseURL,
        request: async () => {
          const made = await playwright.request.newContext({
            ...requestOptions(plan.options),
            ...(baseURL ? { baseURL } : {}),
            storageState: await lent.context.storageState(),
          });
          requests.push(made);
          if (plan.signingIn) keepInstead(made, lent.context);
          return made;
        },
      },
    });
    const restore = plan.signingIn ? keepInstead(lent.context, lent.context) : undefined;
    applyTimeouts(lent.context, plan.options);
    playwright.selectors.setTestIdAttribute(typeof plan.options.testIdAttribute === 'string' ? plan.options.testIdAttribute : 'data-testid');
    const run: SpecRun = { step: lent.step, info, stepPath: [], softErrors: [] };
    const suites = suitePath(test.parent);
    // Before hooks outermost describe first, after hooks innermost first; within a describe, as written (Playwright Test's order).
    const hooks = (kind: HookKind) =>
      (kind.startsWith('after') ? [...suites].reverse() : suites).flatMap((suite) => suite.hooks.filter((hook) => hook.kind === kind));
    const named = new Map<string, number>();
    const stepName = (hook: Hook) => {
      const base = hook.title ?? HOOK_STEP[hook.kind];
      const seen = (named.get(base) ?? 0) + 1;
      named.set(base, seen);
      return seen === 1 ? base : `${base} ${seen}`;
    };
    const call = async (fn: Hook['fn'], what: string, name: string, asStep: boolean) => {
      const body = async () => fn(await fixtures.argumentsFor(fn, what), info);
      if (asStep && !callsSteps(fn)) await lent.step(name, body);
      else await body();
    };
    await specRun.run(run, async () => {
      let failed: { error: unknown } | undefined;
      try {
        for (const hook of [...hooks('beforeAll'), ...hooks('beforeEach')])
          await call(hook.fn, `the ${hook.kind} hook at ${hook.location}`, stepName(hook), true);
        await call(test.fn, `test '${test.title}' (${test.location})`, test.title, true);
        if (run.softErrors.length > 0) throw run.softErrors[0];
      } catch (error) {
        failed = { error };
      }
      // After hooks run whatever happened, as Playwright runs them (they often clean up); after a failure not as steps, and their errors do not replace it.
      for (const hook of [...hooks('afterEach'), ...hooks('afterAll')]) {
        try {
          await call(hook.fn, `the ${hook.kind} hook at ${hook.location}`, stepName(hook), failed === undefined);
        } catch (error) {
          failed ??= { error };
        }
      }
      try {
        await fixtures.tearDown();
      } catch (error) {
        failed ??= { error };
      }
      await Promise.all(requests.map((made) => made.dispose().catch(() => undefined)));
      restore?.();
      if (failed) throw failed.error;
    });
  };
}

/** Playwright's `actionTimeout` and `navigationTimeout` from `use`; pulse's step budget otherwise. */
function applyTimeouts(context: BrowserContext, options: Record<string, unknown>): void {
  if (typeof options.actionTimeout === 'number' && options.actionTimeout > 0) context.setDefaultTimeout(options.actionTimeout);
  if (typeof options.navigationTimeout === 'number' && options.navigationTimeout > 0) context.setDefaultNavigationTimeout(options.navigationTimeout);
}

/** What the `request` fixture takes from `use`, as Playwright makes it. */
function requestOptions(options: Record<string, unknown>): Parameters<typeof playwright.request.newContext>[0] {
  const picked: Record<string, unknown> = {};
  for (const key of ['extraHTTPHeaders', 'httpCredentials', 'ignoreHTTPSErrors', 'proxy', 'userAgent'])
    if (options[key] !== undefined) picked[key] = options[key];
  return picked;
}

/**
 * While a setup test signs in: storageState({ path }) keeps the state for pulse (the run's context
 * is what pulse keeps, encrypted) and writes no file, so the signed-in state never lies on disk in
 * clear. A request context's state is put into the run's context.
 */
function keepInstead(source: BrowserContext | APIRequestContext, context: BrowserContext): () => void {
  const own = Object.getOwnPropertyDescriptor(source, 'storageState');
  // The method as it is now (the prototype's, or an earlier keep's), taken before it is replaced.
  const original: (options: { indexedDB?: boolean }) => ReturnType<BrowserContext['storageState']> = source.storageState.bind(source);
  const keep = async (options: { path?: string; indexedDB?: boolean } = {}) => {
    const { path: _written, ...rest } = options;
    const state = await original(rest);
    if (source !== context) await context.addCookies(state.cookies);
    return state;
  };
  Object.defineProperty(source, 'storageState', { value: keep, configurable: true, writable: true });
  return () => {
    if (own) Object.defineProperty(source, 'storageState', own);
    else delete (source as unknown as Record<string, unknown>).storageState;
  };
}

function testInfo(plan: SpecBodyPlan): SpecTestInfo {
  const { test, project } = plan;
  const [file, line, column] = splitLocation(test.location);
  const outputDir = path.join(tmpdir(), 'pulse-spec-output');
  const annotations = [...suitePath(test.parent).flatMap((suite) => suite.annotations), ...test.annotations];
  const info: SpecTestInfo = {
    title: test.title,
    titlePath: [path.basename(file), ...titlePath(test)],
    file,
    line,
    column,
    project: { name: project.name, use: project.use, metadata: project.metadata },
    annotations,
    tags: [...suitePath(test.parent).flatMap((suite) => suite.tags), ...test.tags],
    retry: 0,
    repeatEachIndex: 0,
    workerIndex: 0,
    parallelIndex: 0,
    timeout: plan.timeoutMs,
    expectedStatus: 'passed',
    status: undefined,
    errors: [],
    outputDir,
    snapshotDir: path.dirname(file),
    config: { projects: [] },
    attachments: [],
    outputPath: (...segments) => path.join(outputDir, ...segments),
    snapshotPath: (...segments) => path.join(path.dirname(file), ...segments),
    attach: async (name, options = {}) => {
      info.attachments.push({ name, contentType: options.contentType ?? 'application/octet-stream' });
    },
    setTimeout: (timeout) => {
      info.timeout = timeout;
    },
    skip: () => undefined,
    fixme: () => undefined,
    fail: () => undefined,
    slow: () => undefined,
  };
  return info;
}

function splitLocation(location: string): [string, number, number] {
  const match = /^(.*):(\d+):(\d+)$/.exec(location);
  return match ? [match[1]!, Number(match[2]), Number(match[3])] : [location, 0, 0];
}
