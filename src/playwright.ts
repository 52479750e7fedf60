// The Playwright Test entry: run journey files as tests, each step a test.step, with pulse's browser.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { LaunchOptions } from 'playwright';
import type { TestType, PlaywrightTestArgs, PlaywrightTestOptions, PlaywrightWorkerArgs, PlaywrightWorkerOptions } from '@playwright/test';
import { paramsFromEnv, readSetting } from './config.ts';
import { PulseError } from './errors.ts';
import { JOURNEY_FILE_TEST, isJourney, type JourneyParams } from './journey.ts';
import { notAJourney } from './registry/import-journey.ts';
import { findJourneyFiles } from './registry/load.ts';
import { validateJourney } from './registry/validate.ts';
import { CHROMIUM_ARGS, findBrowser } from './runner/find-browser.ts';
import { signInStepName } from './session.ts';

/** Playwright Test was asked to show a window: headed, the inspector or UI mode. */
function wantsWindow(): boolean {
  return Boolean(process.env.PWDEBUG) || process.argv.some((arg) => arg === '--headed' || arg === '--debug' || arg === '--ui' || arg.startsWith('--ui-'));
}

/**
 * launchOptions for playwright.config.ts: the same Chromium and flags that `pulse run` uses,
 * except that a headed, --debug or UI-mode session needs a Chromium that can open a window.
 */
export function pulseLaunchOptions(options: { headed?: boolean } = {}): LaunchOptions {
  const headed = options.headed ?? wantsWindow();
  const configuredPath = readSetting('browserPath');
  let executablePath: string | undefined;
  try {
    const system = readSetting('systemBrowserPaths');
    executablePath = findBrowser({
      configuredPath,
      playwrightManaged: !headed,
      systemHeadlessShells: headed ? [] : system,
      systemChromiums: system && !headed ? [] : system,
    }).executablePath;
  } catch {
    // Leave it to Playwright, whose own error says how to install a browser.
  }
  return { args: [...CHROMIUM_ARGS], ...(executablePath ? { executablePath } : {}) };
}

type Test = TestType<PlaywrightTestArgs & PlaywrightTestOptions, PlaywrightWorkerArgs & PlaywrightWorkerOptions>;

/**
 * Declares one test per journey file below dir. Params come from PULSE_PARAM_* as for pulse
 * itself; baseUrl falls back to `use.baseURL`. Call it at the top level of a spec file.
 */
export async function declareJourneyTests(test: Test, dir: string | URL): Promise<void> {
  const folder = dir instanceof URL ? fileURLToPath(dir) : path.resolve(dir);
  for (const file of await findJourneyFiles(folder)) {
    const shown = path.relative(process.cwd(), file);
    const exported = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
    if (!isJourney(exported)) throw new PulseError({ message: 'not a journey file', problems: [notAJourney(shown)] });
    const { definition, problems } = validateJourney(exported, shown);
    if (!definition) throw new PulseError({ message: 'invalid journey', problems });
    // Marked as a journey file's test: pulse, loading this spec, runs the journey file itself instead.
    test(
      definition.name,
      { tag: definition.tags.map((t) => `@${t}`), annotation: { type: JOURNEY_FILE_TEST, description: shown } },
      async ({ page, context, baseURL }, testInfo) => {
        testInfo.setTimeout(definition.timeoutMs * (definition.retries + 1));
        const fromEnv = paramsFromEnv();
        const params: JourneyParams = { ...fromEnv, baseUrl: fromEnv.baseUrl ?? baseURL ?? '' };
        if (!params.baseUrl)
          throw new PulseError({ message: 'no base URL for the journey', fix: 'set use.baseURL in playwright.config.ts or PULSE_PARAM_BASE_URL' });
        const step = <T>(name: string, body: () => Promise<T> | T) => test.step(name, async () => body(), { timeout: definition.stepTimeoutMs });
        // Under Playwright Test nothing is kept between runs: a journey with a session signs in first, every time.
        const session = exported.options.session;
        if (session) await step(signInStepName(session.options.name), () => session.options.signIn({ page, context, params }));
        await exported.body({ page, context, params, step });
      },
    );
  }
}

// For a config that starts the bundled demo shop: its account behind a second factor as params.
export { useDemoShopAccount } from './demo/mfa-account.ts';
