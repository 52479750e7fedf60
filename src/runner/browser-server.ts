import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LaunchOptions } from 'playwright';
import { CHROMIUM_ARGS, type FoundBrowser } from './find-browser.ts';

/** To the browser host (bin/pulse-browser.js): launch Chromium behind a Playwright server. */
export type ToBrowserHost = { type: 'launch'; options: LaunchOptions };
/** From the browser host: where the server listens, or why it could not start, or that the browser went. */
export type FromBrowserHost = { type: 'listening'; wsEndpoint: string; pid: number | undefined } | { type: 'failed'; message: string } | { type: 'closed' };

export interface BrowserServerOptions {
  browser: FoundBrowser;
  /** Extra launch options from playwright.config.ts (`use.launchOptions`, `headless`). */
  launchOptions?: LaunchOptions;
  /** Called after a relaunch that replaced a browser which crashed or was discarded. */
  onRestart?: (reason: string) => void;
}

const HOST = fileURLToPath(new URL('../../bin/pulse-browser.js', import.meta.url));
const LAUNCH_TIMEOUT_MS = 60_000;
const CLOSE_TIMEOUT_MS = 10_000;

interface Host {
  child: ChildProcess;
  wsEndpoint: string;
  browserPid: number | undefined;
  exited: Promise<void>;
}

/**
 * One warm Chromium per pulse process behind a Playwright server on loopback, owned by a browser
 * host process; each journey worker connects to it on its own, so a journey that closes "the
 * browser" closes only its connection. Relaunched on first use after it crashed or was discarded.
 */
export class BrowserServer {
  readonly #options: BrowserServerOptions;
  #host: Host | undefined;
  #launching: Promise<Host> | undefined;
  #launchedBefore = false;
  #closed = false;
  #generation = 0;
  #launchFailure: string | undefined;

  constructor(options: BrowserServerOptions) {
    this.#options = options;
  }

  get describe(): string {
    return this.#options.browser.label;
  }

  /** Increases on every launch, so a run can tell that its browser went away. */
  get generation(): number {
    return this.#generation;
  }

  /** Why the last launch failed, until a launch works again. */
  get launchFailure(): string | undefined {
    return this.#launchFailure;
  }

  get isRunning(): boolean {
    return this.#host !== undefined;
  }

  /** The host process's id, while it runs. */
  get hostPid(): number | undefined {
    return this.#host?.child.pid;
  }

  /** Chromium's main process id, while it runs. */
  get pid(): number | undefined {
    return this.#host?.browserPid;
  }

  /** The WebSocket endpoint workers connect to; launches the browser when none runs. */
  async endpoint(): Promise<string> {
    if (this.#closed) throw new Error('browser server is closed');
    if (this.#host) return this.#host.wsEndpoint;
    this.#launching ??= this.#launch()
      .then(
        (host) => {
          this.#launchFailure = undefined;
          return host;
        },
        (error: unknown) => {
          this.#launchFailure = error instanceof Error ? error.message : String(error);
          throw error;
        },
      )
      .finally(() => {
        this.#launching = undefined;
      });
    return (await this.#launching).wsEndpoint;
  }

  async #launch(): Promise<Host> {
    const extra = this.#options.launchOptions ?? {};
    const options: LaunchOptions = {
      headless: true,
      ...extra,
      executablePath: this.#options.browser.executablePath ?? extra.executablePath,
      // playwright.config.ts may list pulse's own flags again (pulseLaunchOptions); each once is enough.
      args: [...new Set([...CHROMIUM_ARGS, ...(extra.args ?? [])])],
    };
    const child = fork(HOST, [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced', detached: true });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-2_000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const listening = await new Promise<FromBrowserHost>((resolve) => {
      const timer = setTimeout(() => resolve({ type: 'failed', message: `the browser did not start within ${LAUNCH_TIMEOUT_MS} ms` }), LAUNCH_TIMEOUT_MS);
      child.on('message', (message: FromBrowserHost) => {
        clearTimeout(timer);
        resolve(message);
      });
      void exited.then(() => {
        clearTimeout(timer);
        resolve({ type: 'failed', message: `the browser host ended: ${stderr.trim().split('\n').slice(-3).join(' | ')}` });
      });
      child.send({ type: 'launch', options } satisfies ToBrowserHost);
    });
    if (listening.type !== 'listening') {
      child.kill('SIGKILL');
      throw new Error(listening.type === 'failed' ? listening.message : 'the browser closed while starting');
    }
    const host: Host = { child, wsEndpoint: listening.wsEndpoint, browserPid: listening.pid, exited };
    if (this.#closed) {
      await stopHost(host);
      throw new Error('browser server is closed');
    }
    void exited.then(() => {
      if (this.#host === host) this.#host = undefined;
    });
    const restart = this.#launchedBefore;
    this.#launchedBefore = true;
    this.#generation += 1;
    this.#host = host;
    if (restart) {
      this.#options.onRestart?.('disconnected');
    }
    return host;
  }

  /** Ends the current browser (stuck, or suspect); the next endpoint() launches a fresh one. */
  async discard(): Promise<void> {
    const host = this.#host;
    this.#host = undefined;
    await stopHost(host, { kill: true });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const host = this.#host ?? (await this.#launching?.catch(() => undefined));
    this.#host = undefined;
    await stopHost(host);
  }
}

/** Asks the host to close the browser (it does on disconnect); kills both when that takes too long or is not wanted. */
async function stopHost(host: Host | undefined, options: { kill?: boolean } = {}): Promise<void> {
  if (!host) return;
  const kill = () => {
    if (host.browserPid) killQuietly(host.browserPid);
    host.child.kill('SIGKILL');
  };
  if (options.kill) kill();
  else if (host.child.connected) host.child.disconnect();
  const closed = await Promise.race([host.exited.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS).unref())]);
  if (!closed) kill();
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
