import { SKIP_REASONS, STORE_CONDITIONS, STORE_OPERATIONS, type Listener, type ProberEvent, type StoreCondition } from '../events.ts';
import type { JourneyDefinition } from '../journey.ts';
import { LEFTOVER_KINDS, WORKER_END_REASONS } from '../worker-protocol.ts';
import { PROBER_METRICS as M, counter, gauge, histogram, type MetricsSinkOptions } from './metric-definitions.ts';

/**
 * pulse watching itself: the counters of the prober's events (skips, schedule lag, browser and
 * worker restarts, store failures, push outcomes) and the gauges of pauses and health.
 */
export class ProberMetrics implements Listener {
  readonly name = 'prober-metrics';
  readonly #location: string;
  readonly #changed: () => void;
  readonly #pausedNow = new Map<string, number>();
  readonly #paused;
  readonly #skipped;
  readonly #scheduleLag;
  readonly #browserRestarts;
  readonly #workerRestarts;
  readonly #workerLeftovers;
  readonly #storeFailures;
  readonly #storeResets;
  readonly #shardJourneys;
  readonly #pushDeliveries;
  readonly #proberUp;
  readonly #proberCheckUp;
  readonly #storeDegraded;

  constructor(options: MetricsSinkOptions) {
    const { registry } = options;
    this.#location = options.location;
    this.#changed = options.onChange ?? (() => undefined);
    this.#paused = gauge(M.paused, registry);
    this.#skipped = counter(M.skipped, registry);
    this.#scheduleLag = histogram(M.scheduleLag, registry);
    this.#browserRestarts = counter(M.browserRestarts, registry);
    this.#workerRestarts = counter(M.workerRestarts, registry);
    for (const reason of WORKER_END_REASONS) this.#workerRestarts.inc({ reason }, 0);
    this.#workerLeftovers = counter(M.workerLeftovers, registry);
    this.#storeFailures = counter(M.storeFailures, registry);
    for (const operation of STORE_OPERATIONS) this.#storeFailures.inc({ operation }, 0);
    this.#storeResets = counter(M.storeResets, registry);
    this.#shardJourneys = gauge(M.shardJourneys, registry);
    this.#pushDeliveries = counter(M.pushDeliveries, registry);
    this.#proberUp = gauge(M.proberUp, registry);
    this.#proberCheckUp = gauge(M.proberCheckUp, registry);
    this.#storeDegraded = gauge(M.storeDegraded, registry);
    for (const reason of STORE_CONDITIONS) this.#storeDegraded.set({ location: this.#location, reason }, 0);
  }

  /** The journeys this replica owns: every skip counter starts at 0, none paused yet. */
  registerJourneys(journeys: readonly JourneyDefinition[], options: { shard?: string } = {}): void {
    for (const journey of journeys) {
      this.#paused.set({ journey: journey.name, location: this.#location }, 0);
      for (const reason of SKIP_REASONS) this.#skipped.inc({ journey: journey.name, reason }, 0);
      for (const kind of LEFTOVER_KINDS) this.#workerLeftovers.inc({ journey: journey.name, kind }, 0);
    }
    this.#shardJourneys.set({ shard: options.shard ?? '1/1' }, journeys.length);
    this.#changed();
  }

  hear(event: ProberEvent): void {
    switch (event.kind) {
      case 'skipped':
        this.#skipped.inc({ journey: event.journey, reason: event.reason });
        break;
      case 'lag':
        this.#scheduleLag.observe(Math.max(0, event.seconds));
        break;
      case 'browser-relaunched':
        this.#browserRestarts.inc();
        break;
      case 'worker-replaced':
        this.#workerRestarts.inc({ reason: event.reason });
        break;
      case 'worker-leftover':
        // A leftover of a file's import or of a run no longer known is counted under journey="".
        this.#workerLeftovers.inc({ journey: event.journey ?? '', kind: event.leftover });
        break;
      case 'store-problem':
        this.#storeFailures.inc({ operation: event.problem.operation });
        if (event.problem.reset) this.#storeResets.inc();
        break;
      case 'pushed':
        this.#pushDeliveries.inc({ sink: event.sink, outcome: event.outcome });
        break;
    }
    this.#changed();
  }

  /** Sets each journey's paused gauge; only changes invalidate the exposition. */
  setPaused(states: readonly { journey: string; paused: boolean }[]): void {
    let changed = false;
    for (const { journey, paused } of states) {
      const value = paused ? 1 : 0;
      if (this.#pausedNow.get(journey) === value) continue;
      this.#pausedNow.set(journey, value);
      this.#paused.set({ journey, location: this.#location }, value);
      changed = true;
    }
    if (changed) this.#changed();
  }

  /**
   * pulse's own health: whether it can probe, each check's state (a check left out, not
   * measurable here, is not exported), and why the store is degraded, when it is.
   */
  setProberHealth(up: boolean, checks: Readonly<Record<string, boolean>>, storeDegraded?: StoreCondition): void {
    const location = this.#location;
    this.#proberUp.set({ location }, up ? 1 : 0);
    for (const [check, ok] of Object.entries(checks)) this.#proberCheckUp.set({ location, check }, ok ? 1 : 0);
    for (const reason of STORE_CONDITIONS) this.#storeDegraded.set({ location, reason }, reason === storeDegraded ? 1 : 0);
    this.#changed();
  }
}
