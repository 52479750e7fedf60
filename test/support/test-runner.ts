import { BrowserServer } from '../../src/runner/browser-server.ts';
import { findBrowser } from '../../src/runner/find-browser.ts';
import { Runner, type RunnerOptions } from '../../src/runner/runner.ts';
import { WorkerPool } from '../../src/runner/worker-pool.ts';
import type { WorkerEndReason, WorkerHooks } from '../../src/runner/journey-worker.ts';

/** The daemon's running parts without the daemon: one browser server, a pool of workers, runners over them. */
export class TestProber {
  readonly browser: BrowserServer;
  readonly workers: WorkerPool;
  readonly replaced: { reason: WorkerEndReason; pid: number; journey?: string; runId?: string }[] = [];
  restarts = 0;

  constructor(options: { workers?: number; memoryLimitBytes?: number; hooks?: WorkerHooks } = {}) {
    this.browser = new BrowserServer({ browser: findBrowser(), onRestart: () => (this.restarts += 1) });
    this.workers = new WorkerPool({
      size: options.workers ?? 1,
      memoryLimitBytes: options.memoryLimitBytes ?? 512 * 1024 * 1024,
      hooks: options.hooks,
      onReplaced: (event) => this.replaced.push(event),
    });
  }

  runner(options: Omit<RunnerOptions, 'browser' | 'workers'>): Runner {
    return new Runner({ browser: this.browser, workers: this.workers, ...options });
  }

  async close(): Promise<void> {
    await this.workers.close();
    await this.browser.close();
  }
}
