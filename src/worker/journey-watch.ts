// What a journey does to the browser, context and page pulse lends it, watched so that its own
// doing is not blamed on the target.
import type { Browser, BrowserContext, Page } from 'playwright';

/** The journey closed what it was lent: the call it made, and the step that was running then. */
export interface ClosedByJourney {
  call: string;
  inStep: string | undefined;
}

/** What went away under an attempt without the journey closing it. */
export type Lost = 'renderer' | 'browser';

export class JourneyWatch {
  #closed: ClosedByJourney | undefined;
  #browserLost = false;
  #rendererCrashed = false;
  /** Rejects when the page's renderer crashes: nothing the journey awaits will answer after that. */
  readonly crashed: Promise<never>;
  readonly #restore: (() => void)[] = [];
  readonly #browser: Browser;
  /** Playwright calls in flight (locator.click, expect...), when the client lets pulse see them. */
  readonly #calls: Set<ApiZone> | undefined;

  constructor(
    browser: Browser,
    context: BrowserContext,
    page: Page,
    private readonly runningStep: () => string | undefined,
  ) {
    this.#calls = this.#watchCalls(browser);
    this.#wrapClose(browser, 'browser.close()');
    this.#wrapClose(context, 'context.close()');
    this.#browser = browser;
    const onDisconnect = () => {
      this.#browserLost = true;
    };
    browser.on('disconnected', onDisconnect);
    this.#restore.push(() => browser.off('disconnected', onDisconnect));
    let crash: (error: Error) => void = () => undefined;
    this.crashed = new Promise<never>((_, reject) => {
      crash = reject;
    });
    this.crashed.catch(() => undefined);
    page.on('crash', () => {
      this.#rendererCrashed = true;
      crash(new Error('Target crashed'));
    });
  }

  /** The first close() the journey called on what it was lent, if it called one. */
  get closed(): ClosedByJourney | undefined {
    return this.#closed;
  }

  /** The browser connection reported itself gone. */
  get browserLost(): boolean {
    return this.#browserLost;
  }

  /** The page's renderer crashed, or the browser went away, and the journey closed neither. */
  lost(): Lost | undefined {
    if (this.#closed) return undefined;
    if (this.#browserLost || !this.#browser.isConnected() || this.#rendererCrashed) return this.#rendererCrashed ? 'renderer' : 'browser';
    return undefined;
  }

  #wrapClose(target: { close: (...args: never[]) => Promise<void> }, call: string): void {
    const original = target.close;
    const noteClose = () => (this.#closed ??= { call, inStep: this.runningStep() });
    target.close = function (this: unknown, ...args: never[]) {
      noteClose();
      return original.apply(target, args);
    };
    this.#restore.push(() => {
      target.close = original;
    });
  }

  /** The browser calls the journey is waiting in now; undefined when that cannot be seen. */
  callsInFlight(): string[] | undefined {
    return this.#calls ? [...this.#calls].map((zone) => zone.apiName ?? 'a browser call') : undefined;
  }

  // Playwright's client reports each API call's start and end to listeners on its connection
  // (its own test runner uses this to time steps); not in the typings, so looked up with care.
  #watchCalls(browser: Browser): Set<ApiZone> | undefined {
    const instrumentation = (browser as unknown as { _instrumentation?: CallInstrumentation })._instrumentation;
    if (typeof instrumentation?.addListener !== 'function' || typeof instrumentation.removeListener !== 'function') return undefined;
    const calls = new Set<ApiZone>();
    const listener = {
      onApiCallBegin: (zone: ApiZone) => calls.add(zone),
      onApiCallEnd: (zone: ApiZone) => calls.delete(zone),
    };
    instrumentation.addListener(listener);
    this.#restore.push(() => instrumentation.removeListener(listener));
    return calls;
  }

  /** Resolves when the browser connection is gone, or after `ms`. */
  async disconnected(ms: number): Promise<void> {
    if (!this.#browser.isConnected()) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#browser.once('disconnected', () => {
        clearTimeout(timer);
        this.#browserLost = true;
        resolve();
      });
    });
  }

  /** Stops watching; pulse closes the context itself after this. */
  release(): void {
    for (const restore of this.#restore.splice(0)) restore();
  }
}

interface ApiZone {
  apiName?: string;
}
interface CallInstrumentation {
  addListener(listener: object): void;
  removeListener(listener: object): void;
}
