import { after, before } from 'node:test';
import type { LaunchOptions } from 'playwright';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { browserLaunchOptions, findBrowser } from '../../src/runner/find-browser.ts';
import { Runner, type RunnerOptions } from '../../src/runner/runner.ts';
import { WorkerPool } from '../../src/runner/worker-pool.ts';
import { defaultOf } from '../../src/settings/table.ts';
import type { WorkerHooks } from '../../src/runner/journey-worker.ts';
import type { WorkerEndReason } from '../../src/worker-protocol.ts';
import { journeyDir } from './journey-files.ts';
import { makeTempDir, removeDir } from './temp.ts';

/** The daemon's running parts without the daemon: a pool of workers (each with its own browser), runners over them. */
export class TestProber {
  readonly workers: WorkerPool;
  readonly replaced: { reason: WorkerEndReason; pid: number; journey?: string; runId?: string }[] = [];
  restarts = 0;

  constructor(options: { workers?: number; memoryLimitBytes?: number; hooks?: WorkerHooks; launch?: LaunchOptions } = {}) {
    this.workers = new WorkerPool({
      size: options.workers ?? 1,
      launch: browserLaunchOptions(findBrowser(), options.launch),
      onBrowserRestart: () => (this.restarts += 1),
      memoryLimitBytes: options.memoryLimitBytes ?? defaultOf('workerMemoryBytes'),
      hooks: options.hooks,
      onReplaced: (event) => this.replaced.push(event),
    });
  }

  runner(options: Omit<RunnerOptions, 'workers'>): Runner {
    return new Runner({ workers: this.workers, ...options });
  }

  async close(): Promise<void> {
    await this.workers.close();
  }
}

/** What a describe block that runs journeys against the demo shop needs, made by shopRig(). */
export interface ShopRig {
  readonly shop: Shop;
  readonly prober: TestProber;
  /** The runners' data folder (evidence, run store). */
  readonly dataDir: string;
  /** Where the block writes its journey files. */
  readonly dir: string;
  /** A runner against the shop, at the rig's location and data folder; a function of its own, so it can be taken from the rig. */
  readonly runner: (extra?: Partial<RunnerOptions>) => Runner;
}

/**
 * For the enclosing describe: the demo shop, a TestProber, a data folder and a journey folder,
 * made before its tests and removed after them.
 */
export function shopRig(
  name: string,
  location: string,
  defaults: Partial<RunnerOptions> = {},
  proberOptions: ConstructorParameters<typeof TestProber>[0] = {},
): ShopRig {
  const parts: { shop?: Shop; prober?: TestProber; dataDir?: string; dir?: string } = {};
  const made = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('shopRig: used outside the tests of its describe block');
    return value;
  };
  before(async () => {
    parts.shop = await startShop();
    parts.prober = new TestProber(proberOptions);
    parts.dataDir = makeTempDir();
    parts.dir = journeyDir(name);
  });
  after(async () => {
    await parts.prober?.close();
    await parts.shop?.close();
    if (parts.dataDir) removeDir(parts.dataDir);
    if (parts.dir) removeDir(parts.dir);
  });
  return {
    get shop() {
      return made(parts.shop);
    },
    get prober() {
      return made(parts.prober);
    },
    get dataDir() {
      return made(parts.dataDir);
    },
    get dir() {
      return made(parts.dir);
    },
    runner: (extra = {}) =>
      made(parts.prober).runner({ params: { baseUrl: made(parts.shop).url }, location, dataDir: made(parts.dataDir), ...defaults, ...extra }),
  };
}
