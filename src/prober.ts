import type { Config } from './config.ts';
import { secretValues } from './config.ts';
import type { JourneyParams } from './journey.ts';
import type { Logger } from './logger.ts';
import { createRedactor, type Redactor } from './redact.ts';
import { loadPlaywrightUse, type PlaywrightUse } from './playwright-use.ts';
import { BrowserPool } from './runner/browser-pool.ts';
import { findBrowser, type FoundBrowser } from './runner/find-browser.ts';
import { Runner } from './runner/runner.ts';

export interface Prober {
  browser: FoundBrowser;
  browsers: BrowserPool;
  runner: Runner;
  use: PlaywrightUse;
  redact: Redactor;
}

export interface ProberOptions {
  config: Config;
  log: Logger;
  /** Called after the browser had to be relaunched. */
  onBrowserRestart?: () => void;
}

export class MissingBaseUrlError extends Error {
  override name = 'MissingBaseUrlError';
}

/** The browser, its pool and the runner, built from one Config. Throws BrowserNotFoundError with the how-to. */
export async function createProber({ config, log, onBrowserRestart }: ProberOptions): Promise<Prober> {
  const use = await loadPlaywrightUse(config.playwrightConfig, { required: config.playwrightConfigRequired });
  const browser = findBrowser({
    configuredPath: config.browserPath ?? use.executablePath,
    systemHeadlessShells: config.systemBrowserPaths,
    systemChromiums: config.systemBrowserPaths ? [] : undefined,
  });
  // use.baseURL is Playwright Test's (the demo shop by default); pulse probes only what it is told to.
  const baseUrl = config.params.baseUrl;
  if (!baseUrl) throw new MissingBaseUrlError('no base URL for the journeys; fix: set PULSE_PARAM_BASE_URL or --base-url');
  const params = { ...config.params, baseUrl } as JourneyParams;
  const redact = createRedactor(secretValues(config));
  const browsers = new BrowserPool({
    browser,
    launchOptions: use.launchOptions,
    onRestart: (reason) => {
      log.warn({ event: 'browser_restarted', reason }, 'browser relaunched');
      onBrowserRestart?.();
    },
  });
  const runner = new Runner({
    browsers,
    contextOptions: use.contextOptions,
    params,
    location: config.location,
    dataDir: config.dataDir,
    trace: config.trace,
    redact,
    log,
  });
  return { browser, browsers, runner, use, redact };
}
