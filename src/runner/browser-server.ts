import { chromium, type BrowserServer as PlaywrightServer, type LaunchOptions } from 'playwright';
import { CHROMIUM_ARGS, type FoundBrowser } from './find-browser.ts';

export interface BrowserServerOptions {
  browser: FoundBrowser;
  /** Extra launch options from playwright.config.ts (`use.launchOptions`, `headless`). */
  launchOptions?: LaunchOptions;
  /** Called after a relaunch that replaced a browser which crashed or was discarded. */
  onRestart?: (reason: string) => void;
}

const BROWSER_CLOSE_TIMEOUT_MS = 10_000;

/**
 * One warm Chromium per pulse process behind a Playwright server on loopback; each journey worker
 * connects to it on its own, so a journey that closes "the browser" closes only its connection.
 * Relaunched on first use after it crashed or was discarded.
 */
export class BrowserServer {
  readonly #options: BrowserServerOptions;
  #server: PlaywrightServer | undefined;
  #launching: Promise<PlaywrightServer> | undefined;
  #launchedBefore = false;
  #closed = false;
  /** Increases on every launch, so a run can tell that its browser went away. */
  generation = 0;
  restarts = 0;

  constructor(options: BrowserServerOptions) {
    this.#options = options;
  }

  get describe(): string {
    return this.#options.browser.label;
  }

  get isRunning(): boolean {
    return this.#server !== undefined;
  }

  /** The browser's process id, while it runs. */
  get pid(): number | undefined {
    return this.#server?.process().pid;
  }

  /** The WebSocket endpoint workers connect to; launches the browser when none runs. */
  async endpoint(): Promise<string> {
    if (this.#closed) throw new Error('browser server is closed');
    if (this.#server) return this.#server.wsEndpoint();
    this.#launching ??= this.#launch().finally(() => {
      this.#launching = undefined;
    });
    return (await this.#launching).wsEndpoint();
  }

  async #launch(): Promise<PlaywrightServer> {
    const extra = this.#options.launchOptions ?? {};
    const server = await chromium.launchServer({
      headless: true,
      ...extra,
      // Only this machine's workers connect; the random path in the endpoint is the key.
      host: '127.0.0.1',
      port: 0,
      // pulse decides when the browser goes: on SIGTERM in-flight runs still need it.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      executablePath: this.#options.browser.executablePath ?? extra.executablePath,
      // playwright.config.ts may list pulse's own flags again (pulseLaunchOptions); each once is enough.
      args: [...new Set([...CHROMIUM_ARGS, ...(extra.args ?? [])])],
    });
    if (this.#closed) {
      await stopServer(server);
      throw new Error('browser server is closed');
    }
    const restart = this.#launchedBefore;
    this.#launchedBefore = true;
    this.generation += 1;
    this.#server = server;
    server.on('close', () => {
      if (this.#server === server) this.#server = undefined;
    });
    if (restart) {
      this.restarts += 1;
      this.#options.onRestart?.('disconnected');
    }
    return server;
  }

  /** Ends the current browser (stuck, or suspect); the next endpoint() launches a fresh one. */
  async discard(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await stopServer(server);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const server = this.#server ?? (await this.#launching?.catch(() => undefined));
    this.#server = undefined;
    await stopServer(server);
  }
}

/** close(), bounded: a browser that will not close in time is killed. */
async function stopServer(server: PlaywrightServer | undefined): Promise<void> {
  if (!server) return;
  const closed = await Promise.race([
    server.close().then(() => true, () => false),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), BROWSER_CLOSE_TIMEOUT_MS).unref()),
  ]);
  if (!closed) await server.kill().catch(() => undefined);
}
