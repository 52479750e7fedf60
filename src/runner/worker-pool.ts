import type { LaunchOptions } from 'playwright';
import type { AttemptReport, AttemptRequest, ConfigRead, WorkerEndReason, WorkerEnding } from '../worker-protocol.ts';
import type { SpecLoad } from '../journey.ts';
import type { LoadOutcome } from '../registry/load.ts';
import { JourneyWorker, type WorkerHooks } from './journey-worker.ts';

/** Replacements that fail to start this many times in a row end the attempts waiting for one, with the reason. */
const START_TRIES = 3;

interface Waiter {
  resolve(worker: JourneyWorker): void;
  reject(error: Error): void;
}

export interface WorkerPoolOptions {
  /** One worker per concurrency slot, each with a browser of its own. */
  size: number;
  /** How each worker launches its browser; until it is known (launchWith), workers start without one. */
  launch?: LaunchOptions;
  memoryLimitBytes: number;
  hooks?: WorkerHooks;
  /** A worker was ended and will be replaced, with why and the attempt it was running. */
  onReplaced?: (event: { reason: WorkerEndReason; message: string; pid: number; journey?: string; runId?: string }) => void;
  /** A browser went away or stopped answering, not by the journey's doing, and a fresh one takes its place. */
  onBrowserRestart?: (reason: 'lost' | 'unresponsive') => void;
  cwd?: string;
}

/**
 * A warm set of journey workers, each with its own browser, reused across attempts of any journey
 * and replaced (browser included) when one misbehaves. Journey code never runs in the process that
 * holds the pool.
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #idle: JourneyWorker[] = [];
  readonly #all = new Set<JourneyWorker>();
  readonly #waiting: Waiter[] = [];
  /** The run each busy worker is on. */
  readonly #busy = new Map<JourneyWorker, string>();
  /** Workers being started, so the pool never holds more than its size. */
  readonly #starting = new Set<Promise<unknown>>();
  /** Browsers of workers started before the launch options were known, being launched. */
  readonly #launching = new Set<Promise<void>>();
  #launch: LaunchOptions | undefined;
  /** What the last browser launch of any worker said: a replacement in progress keeps the last word. */
  #lastLaunch: { launched: boolean; failure: string | undefined } = { launched: false, failure: undefined };
  /** Replacements that failed to start since the last one that did. */
  #failedStarts = 0;
  #closed = false;
  /** Ends the workers still starting when the pool closes. */
  readonly #closing = new AbortController();

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#launch = options.launch;
  }

  /** Starts every worker (and waits for those already starting); resolves when they are warm. A worker that cannot start is tried again on first use. */
  async warm(): Promise<void> {
    const missing = this.#options.size - this.#all.size - this.#starting.size;
    await Promise.allSettled([...this.#starting, ...Array.from({ length: missing }, () => this.#spawn())]);
    await Promise.allSettled(this.#launching);
  }

  /**
   * Starts the pool's first worker with playwright.config.ts to read and says what it made of it:
   * the daemon never loads Playwright or the config's code. The worker stays in the pool; its browser
   * starts with launchWith(). Rejects when the worker cannot be started.
   */
  async readPlaywrightConfig(config: { file: string; required: boolean }): Promise<ConfigRead> {
    const worker = await this.#spawn(config);
    if (!worker.configRead) throw new Error('the journey worker did not say what it made of the Playwright config');
    return worker.configRead;
  }

  /** How browsers are launched from now on; workers started without knowing it launch theirs now. */
  launchWith(launch: LaunchOptions): void {
    this.#launch = launch;
    for (const worker of this.#all) {
      if (worker.launching || !worker.alive) continue;
      const launching = worker.launchBrowser(launch).finally(() => this.#launching.delete(launching));
      this.#launching.add(launching);
    }
  }

  get size(): number {
    return this.#all.size;
  }

  /** Process ids of the live workers. */
  get pids(): number[] {
    return [...this.#all].map((worker) => worker.pid);
  }

  /** Main process ids of the live workers' browsers. */
  get browserPids(): number[] {
    return [...this.#all].flatMap((worker) => worker.browser.pid ?? []);
  }

  /** The worker (and its browser) running an attempt of this run now: which slot to look at (the tests kill its browser). */
  runningIn(runId: string): { pid: number; browserPid: number | undefined } | undefined {
    for (const [worker, busyWith] of this.#busy) if (busyWith === runId) return { pid: worker.pid, browserPid: worker.browser.pid };
    return undefined;
  }

  /** Whether the last browser launch worked, else why it failed (undefined before any try). */
  get browsers(): { launched: boolean; failure: string | undefined } {
    return this.#lastLaunch;
  }

  /** Runs one attempt in the next free worker; never rejects unless no worker can be started at all. */
  async attempt(request: AttemptRequest): Promise<AttemptReport> {
    const worker = await this.#acquire();
    this.#busy.set(worker, request.runId);
    const report = await worker.attempt(request).finally(() => this.#busy.delete(worker));
    // What the attempt left is charged to its journey; its report's `ended` retires the worker below.
    for (const leftover of report.leftovers ?? []) this.#options.hooks?.leftover?.({ journey: request.journey.name, runId: request.runId, leftover });
    // After a prober error (a crashed renderer, a lost browser) the next attempt starts clean too, browser and all.
    const browserGone = report.browser !== undefined && report.browser !== 'ok';
    if (report.browser === 'lost' || report.browser === 'lost-in-capture') this.#options.onBrowserRestart?.('lost');
    if (report.browser === 'unresponsive') this.#options.onBrowserRestart?.('unresponsive');
    const ended =
      report.ended ??
      (report.result.status === 'error'
        ? { reason: 'error' as const, message: report.result.error?.message ?? 'prober error', during: 'pulse' as const }
        : undefined) ??
      (browserGone
        ? {
            reason: 'browser' as const,
            message: `the worker's browser was ${report.browser === 'closed' ? 'closed by the journey' : report.browser}`,
            during: 'pulse' as const,
          }
        : undefined);
    if (ended || !worker.alive) {
      this.#retire(worker, ended ?? { reason: 'exit', message: 'the worker ended', during: 'pulse' }, request);
    } else {
      this.#release(worker);
    }
    return report;
  }

  /** Imports and validates one journey file in the next free worker; a worker that overruns the deadline is replaced. */
  async load(file: string, shown: string, deadlineMs: number, folder: string, spec?: SpecLoad): Promise<LoadOutcome> {
    const worker = await this.#acquire();
    const outcome = await worker.load(file, shown, deadlineMs, folder, spec);
    if ('timedOut' in outcome || 'died' in outcome || !worker.alive) {
      this.#retire(
        worker,
        worker.endedBecause ?? {
          reason: 'load',
          message: 'timedOut' in outcome ? `loading ${shown} took longer than ${deadlineMs} ms` : `loading ${shown} ended the worker`,
          during: 'journey',
        },
      );
    } else {
      this.#release(worker);
    }
    return outcome;
  }

  /** Ends every worker and its browser, those still starting too, and waits until they are gone. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    await Promise.allSettled([...this.#starting]);
    await Promise.all([...this.#all].map((worker) => worker.close()));
    this.#all.clear();
    this.#idle.length = 0;
  }

  async #acquire(): Promise<JourneyWorker> {
    if (this.#closed) throw new Error('worker pool is closed');
    while (this.#idle.length > 0) {
      const worker = this.#idle.pop()!;
      if (worker.alive) return worker;
      this.#retire(worker, worker.endedBecause ?? { reason: 'exit', message: 'the worker ended while idle', during: 'pulse' });
    }
    if (this.#all.size + this.#starting.size < this.#options.size) {
      await this.#spawn();
      return this.#acquire();
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Starts a worker into the pool; resolves with it (already ended when the pool closed meanwhile). */
  #spawn(playwrightConfig?: { file: string; required: boolean }): Promise<JourneyWorker> {
    const starting = this.#start(playwrightConfig).finally(() => this.#starting.delete(starting));
    this.#starting.add(starting);
    return starting;
  }

  async #start(playwrightConfig?: { file: string; required: boolean }): Promise<JourneyWorker> {
    const slot: { worker?: JourneyWorker } = {};
    const hooks: WorkerHooks = {
      ...this.#options.hooks,
      leftover: (event) => {
        this.#options.hooks?.leftover?.(event);
        // A leftover that struck an idle worker ended it: its replacement starts now, not when a run next needs it.
        queueMicrotask(() => {
          const started = slot.worker;
          const index = started && !started.alive ? this.#idle.indexOf(started) : -1;
          if (index < 0 || !started) return;
          this.#idle.splice(index, 1);
          this.#retire(started, started.endedBecause ?? { reason: 'leftover', message: 'a leftover of an earlier run ended the worker', during: 'pulse' });
        });
      },
      browser: (event) => {
        this.#lastLaunch = event.launched ? { launched: true, failure: undefined } : { launched: false, failure: event.failure };
        if (event.launched && event.relaunch) this.#options.onBrowserRestart?.('lost');
      },
    };
    const worker = await JourneyWorker.start(
      {
        ...(this.#launch ? { launch: this.#launch } : {}),
        memoryLimitBytes: this.#options.memoryLimitBytes,
        hooks,
        ...(this.#options.cwd ? { cwd: this.#options.cwd } : {}),
        ...(playwrightConfig ? { playwrightConfig } : {}),
      },
      this.#closing.signal,
    );
    // The launch options became known while it started.
    if (this.#launch && !worker.launching) await worker.launchBrowser(this.#launch);
    slot.worker = worker;
    this.#failedStarts = 0;
    if (this.#closed) {
      await worker.close();
      return worker;
    }
    this.#all.add(worker);
    this.#release(worker);
    return worker;
  }

  #release(worker: JourneyWorker): void {
    const next = this.#waiting.shift();
    if (next) next.resolve(worker);
    else this.#idle.push(worker);
  }

  /** Ends a worker for good and starts its replacement in the background. */
  #retire(worker: JourneyWorker, why: WorkerEnding, request?: AttemptRequest): void {
    worker.kill(why);
    this.#all.delete(worker);
    // A leftover of an earlier run names that run, not the attempt it happened to strike in.
    const whose = why.leftBy ?? { journey: request?.journey.name, runId: request?.runId };
    this.#options.onReplaced?.({ reason: why.reason, message: why.message, pid: worker.pid, journey: whose.journey, runId: whose.runId });
    if (!this.#closed) this.#replace();
  }

  /**
   * A waiting attempt gets the replacement; otherwise it waits warm in the pool. A replacement that
   * cannot start is tried again a second later while attempts wait, and after START_TRIES failures
   * in a row those attempts end with the reason instead of waiting for ever.
   */
  #replace(): void {
    this.#spawn().catch((error: unknown) => {
      if (this.#closed || this.#waiting.length === 0) return;
      this.#failedStarts += 1;
      if (this.#failedStarts < START_TRIES) {
        setTimeout(() => this.#replace(), 1_000).unref();
        return;
      }
      this.#failedStarts = 0;
      const reason = new Error(`no journey worker could be started (${START_TRIES} tries in a row): ${error instanceof Error ? error.message : String(error)}`);
      for (const waiter of this.#waiting.splice(0)) waiter.reject(reason);
    });
  }
}
