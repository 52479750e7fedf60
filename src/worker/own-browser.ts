// The journey worker's own Chromium, driven over Playwright's pipe: no process between journey
// code and its browser, so a protocol message costs one hop, not two (measured against a shared
// browser behind a WebSocket server: +100-170 ms of Node.js CPU per run). A journey that closes or
// crashes "the browser" touches only its own slot. Worker side only.
import { performance } from 'node:perf_hooks';
import type { Browser, LaunchOptions } from 'playwright';
import { playwright } from '../playwright-library.ts';
import { describeError } from '../errors.ts';
import { allStats } from '../process-tree.ts';

/** A headless shell starts in a few hundred ms; a loaded machine may take seconds. */
const LAUNCH_TIMEOUT_MS = 30_000;

export interface OwnBrowserEvents {
  /** A browser is up; `relaunch` when it replaced one that went away. */
  launched(pid: number | undefined, relaunch: boolean): void;
  failed(message: string): void;
}

/** A renderer (or other target) of this browser that died, as Chromium tells it. */
export interface TargetCrash {
  /** Chromium's termination status: `crashed`, `killed`, `oom`, `abnormal`, ... */
  status: string;
  errorCode: number;
  /** performance.now() when pulse heard of it. */
  at: number;
}

/** A bound on what is kept: crashes older than the attempt in progress are of no run's interest. */
const CRASHES_KEPT = 20;

export class OwnBrowser {
  readonly #options: LaunchOptions;
  /** Every crash of this browser's targets: the worker runs one attempt at a time, so a crash during it is that attempt's. */
  readonly #crashes: TargetCrash[] = [];
  readonly #events: OwnBrowserEvents;
  #browser: Browser | undefined;
  #launching: Promise<Browser> | undefined;
  #launches = 0;

  constructor(options: LaunchOptions, events: OwnBrowserEvents) {
    this.#options = options;
    this.#events = events;
  }

  /** The connected browser; launches one when there is none, or when the last one went away. */
  get(): Promise<Browser> {
    if (this.#browser?.isConnected()) return Promise.resolve(this.#browser);
    this.#launching ??= this.#launch().finally(() => {
      this.#launching = undefined;
    });
    return this.#launching;
  }

  async #launch(): Promise<Browser> {
    const gone = this.#browser;
    this.#browser = undefined;
    if (gone) await gone.close().catch(() => undefined);
    try {
      const browser = await playwright.chromium.launch({
        timeout: LAUNCH_TIMEOUT_MS,
        ...this.#options,
        // The daemon ends the worker and its browser; a signal to the group must not race it.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      this.#launches += 1;
      this.#browser = browser;
      await this.#watchCrashes(browser);
      this.#events.launched(browserPid(), this.#launches > 1);
      return browser;
    } catch (error) {
      this.#events.failed(describeError(error).message);
      throw error;
    }
  }

  /** Crashes heard of since `since` (performance.now()). */
  crashesSince(since: number): TargetCrash[] {
    return this.#crashes.filter((crash) => crash.at >= since);
  }

  // Chromium says why a renderer ended (`oom` among them) only to a browser-level session that discovers targets.
  async #watchCrashes(browser: Browser): Promise<void> {
    try {
      const session = await browser.newBrowserCDPSession();
      session.on('Target.targetCrashed', (event) => {
        this.#crashes.push({ status: event.status, errorCode: event.errorCode, at: performance.now() });
        this.#crashes.splice(0, Math.max(0, this.#crashes.length - CRASHES_KEPT));
      });
      await session.send('Target.setDiscoverTargets', { discover: true });
    } catch {
      // Without it a crash is still seen (the page's crash event), only not why.
    }
  }
}

/** Chromium's main process: the worker's child that leads a session of its own (Playwright starts it detached). */
function browserPid(): number | undefined {
  // The newest one: a browser that just went away may linger until it is reaped.
  const mains = allStats().filter((stat) => stat.ppid === process.pid && stat.session === stat.pid);
  return mains.sort((a, b) => b.starttime - a.starttime)[0]?.pid;
}
