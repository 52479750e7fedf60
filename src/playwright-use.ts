import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContextOptions, LaunchOptions } from 'playwright';
import { PulseError, describeError } from './errors.ts';

/** The parts of playwright.config.ts `use` that pulse builds its browser and contexts from. */
export interface PlaywrightUse {
  contextOptions: BrowserContextOptions;
  launchOptions: LaunchOptions;
  /** `use.launchOptions.executablePath`, which counts as a configured browser path. */
  executablePath: string | undefined;
  /** The file read, or undefined when there was none. */
  file: string | undefined;
}

export const CONTEXT_KEYS = [
  'acceptDownloads',
  'baseURL',
  'bypassCSP',
  'colorScheme',
  'contrast',
  'deviceScaleFactor',
  'extraHTTPHeaders',
  'forcedColors',
  'geolocation',
  'hasTouch',
  'httpCredentials',
  'ignoreHTTPSErrors',
  'isMobile',
  'javaScriptEnabled',
  'locale',
  'offline',
  'permissions',
  'proxy',
  'reducedMotion',
  'screen',
  'serviceWorkers',
  'storageState',
  'timezoneId',
  'userAgent',
  'viewport',
] as const satisfies readonly (keyof BrowserContextOptions)[];

type UseBlock = Record<string, unknown> & { launchOptions?: LaunchOptions; headless?: boolean };
interface ConfigShape {
  use?: UseBlock;
  projects?: { use?: UseBlock }[];
}

/**
 * Reads the shared browser options from playwright.config.ts: top-level `use`, overlaid by the
 * first project's `use`, as one Playwright Test run of that project would see them.
 */
export async function loadPlaywrightUse(file: string | undefined, options: { required?: boolean } = {}): Promise<PlaywrightUse> {
  if (!file || !existsSync(file)) {
    if (file && options.required) {
      throw new PulseError({
        message: `PULSE_PLAYWRIGHT_CONFIG (--playwright-config) '${file}' does not exist`,
        fix: "point it at your playwright.config.ts, or 'none'",
      });
    }
    return { contextOptions: {}, launchOptions: {}, executablePath: undefined, file: undefined };
  }
  let module: { default?: ConfigShape };
  try {
    module = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: ConfigShape };
  } catch (error) {
    const first =
      describeError(error)
        .message.split('\n')
        .find((line) => line.trim()) ?? 'unknown error';
    throw new PulseError({
      message: `${path.relative(process.cwd(), file)} cannot be loaded: ${first}`,
      fix: 'correct it (npx playwright test --list shows the error in full)',
      cause: error,
    });
  }
  const config = module.default ?? {};
  const use: UseBlock = { ...config.use, ...config.projects?.[0]?.use };
  const contextOptions: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) if (use[key] !== undefined) contextOptions[key] = use[key];
  const launchOptions: LaunchOptions = { ...use.launchOptions };
  if (typeof use.headless === 'boolean') launchOptions.headless = use.headless;
  const executablePath = launchOptions.executablePath;
  delete launchOptions.executablePath;
  return { contextOptions: contextOptions, launchOptions, executablePath, file };
}
