// What a spec file gets for '@playwright/test' when pulse loads it (redirect.ts points the import
// here): Playwright's own exports, with `test` declaring into pulse's collection and `expect.soft`
// failing the step it was in when that step ends.
import { expect as playwrightExpect } from 'playwright/test';
import { FixtureSet } from './fixtures.ts';
import { specRun } from './running.ts';
import { fixturesOf, makeTest, type TestApi } from './test-api.ts';

export * from 'playwright/test';

type Expect = typeof playwrightExpect;

/** A matcher's failure is kept for the end of the step it happened in instead of thrown. */
function softly(matchers: object): object {
  const keep = (error: unknown) => {
    const run = specRun.getStore();
    if (!run) throw error;
    run.softErrors.push(error);
  };
  return new Proxy(matchers, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'not' || property === 'resolves' || property === 'rejects') return typeof value === 'object' && value !== null ? softly(value) : value;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          const returned: unknown = Reflect.apply(value, target, args);
          return returned instanceof Promise ? returned.catch(keep) : returned;
        } catch (error) {
          keep(error);
          return undefined;
        }
      };
    },
  });
}

function pulseExpect(base: Expect): Expect {
  const soft = (actual: unknown, message?: string | { message?: string }) => softly(base(actual, message));
  return new Proxy(base, {
    get(target, property, receiver) {
      if (property === 'soft') return soft;
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'extend' || property === 'configure')
        return (...args: unknown[]) => pulseExpect(Reflect.apply(value as (...a: unknown[]) => Expect, target, args));
      return value;
    },
  });
}

export const expect = pulseExpect(playwrightExpect);
export const test: TestApi = makeTest(FixtureSet.builtins());
test.expect = expect;
export default test;

/** mergeTests(): one test object with the fixtures of all given. */
export function mergeTests(...tests: unknown[]): TestApi {
  const merged = makeTest(FixtureSet.merge(tests.map((given) => fixturesOf(given) ?? FixtureSet.builtins())));
  merged.expect = expect;
  return merged;
}
