import { chromium, type Browser, type LaunchOptions } from 'playwright';
import { CHROMIUM_ARGS, type FoundBrowser } from './find-browser.ts';

export interface BrowserPoolOptions {
  browser: FoundBrowser;
  /** Extra launch options from playwright.config.ts (`use.launchOptions`, `headless`). */
  launchOptions?: LaunchOptions;
  /** Called after a relaunch that replaced a browser which crashed or disconnected. */
  onRestart?: (reason: string) => void;
}

/**
 * One warm Chromium per pulse process, launched on first use and relaunched when it
 * crashes or disconnects. Runs take a fresh context from it and close that context.
 */
export class BrowserPool {
  #browser: Browser | undefined;
  #launching: Promise<Browser> | undefined;
  #launchedBefore = false;
  #closed = false;
  /** Increases on every launch, so a run can tell that its browser went away. */
  generation = 0;
  restarts = 0;

  constructor(private readonly options: BrowserPoolOptions) {}

  get describe(): string {
    return this.options.browser.label;
  }

  get isConnected(): boolean {
    return this.#browser?.isConnected() ?? false;
  }

  async get(): Promise<Browser> {
    if (this.#closed) throw new Error('browser pool is closed');
    if (this.#browser?.isConnected()) return this.#browser;
    this.#launching ??= this.#launch().finally(() => {
      this.#launching = undefined;
    });
    return this.#launching;
  }

  async #launch(): Promise<Browser> {
    const extra = this.options.launchOptions ?? {};
    const browser = await chromium.launch({
      headless: true,
      ...extra,
      // pulse decides when the browser goes: on SIGTERM in-flight runs still need it.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      executablePath: this.options.browser.executablePath ?? extra.executablePath,
      // playwright.config.ts may list pulse's own flags again (pulseLaunchOptions); each once is enough.
      args: [...new Set([...CHROMIUM_ARGS, ...(extra.args ?? [])])],
    });
    if (this.#closed) {
      await browser.close();
      throw new Error('browser pool is closed');
    }
    const restart = this.#launchedBefore;
    this.#launchedBefore = true;
    this.generation += 1;
    this.#browser = browser;
    browser.on('disconnected', () => {
      if (this.#browser === browser) this.#browser = undefined;
    });
    if (restart) {
      this.restarts += 1;
      this.options.onRestart?.('disconnected');
    }
    return browser;
  }

  /** Kills the current browser (stuck, or suspect); the next get() launches a fresh one. */
  async discard(): Promise<void> {
    const browser = this.#browser;
    this.#browser = undefined;
    await killBrowser(browser);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const browser = this.#browser ?? (await this.#launching?.catch(() => undefined));
    this.#browser = undefined;
    await killBrowser(browser);
  }
}

const BROWSER_CLOSE_TIMEOUT_MS = 10_000;

/** browser.close(), bounded: a browser that will not close in time is left to its disconnect, and the process exits anyway. */
async function killBrowser(browser: Browser | undefined): Promise<void> {
  if (!browser) return;
  await Promise.race([browser.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, BROWSER_CLOSE_TIMEOUT_MS).unref())]);
}
