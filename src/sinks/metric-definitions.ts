// Every pulse_* metric, defined once: its name, type, help and labels. /metrics and the
// Pushgateway sink both build their series from this table, so a name means one thing wherever
// Prometheus finds it.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { NEAR_MISS_PERCENTILE, NEAR_MISS_SHARE } from '../near-miss.ts';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition<L extends string = string, T extends MetricType = MetricType> {
  readonly name: string;
  readonly type: T;
  readonly help: string;
  /** As Prometheus sees them; a pushed group gets journey and location from its grouping key. */
  readonly labels: readonly L[];
  readonly buckets?: readonly number[];
}

function define<const L extends string, const T extends MetricType>(definition: MetricDefinition<L, T>): MetricDefinition<L, T> {
  return definition;
}

// Browser steps take from tens of milliseconds to a minute.
// Nine bounds: every step series is 12 lines, and hundreds of journeys times their steps add up.
const STEP_BUCKETS = [0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60];
const RUN_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 120];
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What runs delivered: from each RunResult (run-metrics.ts), some of them pushed too. */
export const RUN_METRICS = {
  heartbeats: define({ name: 'pulse_heartbeats_total', type: 'counter', help: 'Successful journey runs: the heartbeat.', labels: ['journey', 'location'] }),
  runs: define({
    name: 'pulse_journey_runs_total',
    type: 'counter',
    help: 'Journey runs by result (success, failure: target broken, error: pulse could not run it).',
    labels: ['journey', 'location', 'result'],
  }),
  attempts: define({
    name: 'pulse_journey_attempts_total',
    type: 'counter',
    help: 'Journey attempts by result, retries included.',
    labels: ['journey', 'location', 'result'],
  }),
  flakyRuns: define({ name: 'pulse_journey_flaky_runs_total', type: 'counter', help: 'Successful runs that needed a retry.', labels: ['journey', 'location'] }),
  degradedRuns: define({
    name: 'pulse_journey_degraded_runs_total',
    type: 'counter',
    help: 'Successful runs that broke at least one threshold of their journey (a step or the run too slow, a web vital over budget): still heartbeats, marked degraded.',
    labels: ['journey', 'location'],
  }),
  thresholdBreaches: define({
    name: 'pulse_journey_threshold_breaches_total',
    type: 'counter',
    help: 'Degraded runs by the metric of the threshold they broke (duration, ttfb, fcp, lcp, inp, cls); a run breaking several metrics counts once for each.',
    labels: ['journey', 'location', 'metric'],
  }),
  cpu: define({
    name: 'pulse_journey_cpu_seconds_total',
    type: 'counter',
    help: 'CPU time of the journey worker and its browser (every process of it) while they ran this journey, every run and attempt; rate() is the share of a core the journey takes.',
    labels: ['journey', 'location'],
  }),
  peakMemory: define({
    name: 'pulse_journey_last_run_peak_memory_bytes',
    type: 'gauge',
    help: 'Most resident memory the journey worker and its browser held together during the last run (sampled every 2 s and at its start and end; pages they share counted in each process).',
    labels: ['journey', 'location'],
  }),
  lastRunDegraded: define({
    name: 'pulse_journey_last_run_degraded',
    type: 'gauge',
    help: '1 if the last run of the journey succeeded but broke a threshold, else 0; only for journeys with thresholds.',
    labels: ['journey', 'location'],
  }),
  failures: define({
    name: 'pulse_journey_failures_total',
    type: 'counter',
    help: 'Failed runs by the step that broke, the reason and the cause (target: the product; third_party: only other origins failed; journey: its own code).',
    labels: ['journey', 'location', 'step', 'reason', 'cause'],
  }),
  up: define({ name: 'pulse_journey_up', type: 'gauge', help: '1 if the last run of the journey succeeded, else 0.', labels: ['journey', 'location'] }),
  lastRunCause: define({
    name: 'pulse_journey_last_run_cause',
    type: 'gauge',
    help: 'Whose fault the last run was, when it did not succeed: 1 for its cause (target, third_party, journey, prober), 0 for the others; all 0 after a success. The alert rules page only on cause target.',
    labels: ['journey', 'location', 'cause'],
  }),
  lastSuccess: define({
    name: 'pulse_journey_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the last successful run: when the heart last beat.',
    labels: ['journey', 'location'],
  }),
  journeyInfo: define({
    name: 'pulse_journey_info',
    type: 'gauge',
    help: 'Always 1: the version of the journey that ran last on this replica (the first 12 hex digits of the hash of its file and the local modules it imports), as loaded before its first run. One series per journey; when the version changes the old series goes.',
    labels: ['journey', 'version'],
  }),
  interval: define({ name: 'pulse_journey_interval_seconds', type: 'gauge', help: 'Expected interval between runs, from the schedule.', labels: ['journey'] }),
  // The budgets a journey's runs are held to, from its definition: known before its first run.
  timeout: define({
    name: 'pulse_journey_timeout_seconds',
    type: 'gauge',
    help: 'Budget of each attempt of the journey (its timeout option): an attempt still running then is cut off and fails.',
    labels: ['journey'],
  }),
  stepTimeout: define({
    name: 'pulse_journey_step_timeout_seconds',
    type: 'gauge',
    help: 'Budget of each step of the journey (its stepTimeout option, else its timeout): a step still running then fails with reason timeout.',
    labels: ['journey'],
  }),
  duration: define({
    name: 'pulse_journey_duration_seconds',
    type: 'histogram',
    help: 'Duration of successful runs.',
    labels: ['journey', 'location'],
    buckets: RUN_BUCKETS,
  }),
  stepDuration: define({
    name: 'pulse_step_duration_seconds',
    type: 'histogram',
    help: 'Duration of each step of successful runs.',
    labels: ['journey', 'location', 'step'],
    buckets: STEP_BUCKETS,
  }),
  stepNearMisses: define({
    name: 'pulse_step_near_misses_total',
    type: 'counter',
    help: `Steps of successful runs that took more than ${NEAR_MISS_SHARE * 100}% of their step timeout (near misses); over pulse_step_duration_seconds_count, more than ${(1 - NEAR_MISS_PERCENTILE).toFixed(2)} means the step's p${NEAR_MISS_PERCENTILE * 100} is past ${NEAR_MISS_SHARE * 100}% of its timeout.`,
    labels: ['journey', 'location', 'step'],
  }),
  // What the user felt, per journey rather than per step, as gauges of the last success rather
  // than histograms: six series a journey and location, so /metrics stays near its size.
  webVital: define({
    name: 'pulse_journey_web_vital_seconds',
    type: 'gauge',
    help: 'Web vitals of the last successful run, the worst page view of the run: ttfb (time to first byte), fcp (first contentful paint), lcp (largest contentful paint), inp (interaction to next paint).',
    labels: ['journey', 'location', 'vital'],
  }),
  layoutShift: define({
    name: 'pulse_journey_layout_shift',
    type: 'gauge',
    help: 'Cumulative layout shift of the last successful run, the worst page view of the run (0 is steady; over 0.1 is poor).',
    labels: ['journey', 'location'],
  }),
  transferBytes: define({
    name: 'pulse_journey_transfer_bytes',
    type: 'gauge',
    help: 'Bytes over the wire of the last successful run (sizes the browser shows the page: exact for its own origin, 0 for other origins without Timing-Allow-Origin).',
    labels: ['journey', 'location'],
  }),
  certificateExpiry: define({
    name: 'pulse_journey_certificate_expiry_timestamp_seconds',
    type: 'gauge',
    help: "Unix time the earliest-expiring TLS certificate of the journey's own https origins expires, as its last run saw them.",
    labels: ['journey', 'location'],
  }),
} as const;

/** Gauges of the last run that only a push carries: a pushed group has no counters or histograms to add up. */
export const PUSHED_METRICS = {
  lastRun: define({ name: 'pulse_journey_last_run_timestamp_seconds', type: 'gauge', help: 'Unix time the last run ended.', labels: ['journey', 'location'] }),
  lastDuration: define({
    name: 'pulse_journey_last_duration_seconds',
    type: 'gauge',
    help: 'Duration of the last run, every attempt added up.',
    labels: ['journey', 'location'],
  }),
  lastAttempts: define({
    name: 'pulse_journey_attempts',
    type: 'gauge',
    help: 'Attempts the last run took; more than 1 means its first failed.',
    labels: ['journey', 'location'],
  }),
  lastStatus: define({
    name: 'pulse_journey_last_run_status',
    type: 'gauge',
    help: 'Result of the last run: 1 for it, 0 for the others.',
    labels: ['journey', 'location', 'result'],
  }),
  lastStepDuration: define({
    name: 'pulse_step_last_duration_seconds',
    type: 'gauge',
    help: 'Duration of each step of the last successful run.',
    labels: ['journey', 'location', 'step'],
  }),
} as const;

/** pulse watching itself: scheduling, the browser, workers, store, pushes and health (prober-metrics.ts). */
export const PROBER_METRICS = {
  paused: define({
    name: 'pulse_journey_paused',
    type: 'gauge',
    help: '1 while the journey is paused for maintenance on this replica (its runs are skipped, its alerts held), else 0.',
    labels: ['journey', 'location'],
  }),
  skipped: define({
    name: 'pulse_runs_skipped_total',
    type: 'counter',
    help: 'Planned runs not started: overlap (still running), saturated (no slot within the interval), shutdown, missed (the tick itself came too late), paused (a maintenance pause).',
    labels: ['journey', 'reason'],
  }),
  scheduleLag: define({
    name: 'pulse_schedule_lag_seconds',
    type: 'histogram',
    help: 'Planned start to real start of runs.',
    labels: [],
    buckets: LAG_BUCKETS,
  }),
  browserRestarts: define({ name: 'pulse_browser_restarts_total', type: 'counter', help: 'Browser relaunches after a crash or disconnect.', labels: [] }),
  workerRestarts: define({
    name: 'pulse_worker_restarts_total',
    type: 'counter',
    help: 'Journey workers ended and replaced: fault (journey code exited, threw outside a step, closed its browser, changed built-ins or globals), budget (blocked past its budget), memory (over PULSE_WORKER_MEMORY, during or at the end of a run, or kept after it), exit (ended on its own), stalled (pulse side did not finish), error (after a prober error), load (a journey file did not load in time), leftover (a run left live handles such as timers or sockets, or a leftover of an earlier run struck; also a worker worn by small leftovers of many runs).',
    labels: ['reason'],
  }),
  workerLeftovers: define({
    name: 'pulse_worker_leftovers_total',
    type: 'counter',
    help: 'What a journey run left in its worker for the runs after it, by the journey that left it: memory (over the cap or kept after the run), handles (timers, sockets still live), globals (changed built-ins), fault (its code threw or rejected after its run ended). The worker is replaced each time.',
    labels: ['journey', 'kind'],
  }),
  storeFailures: define({
    name: 'pulse_store_failures_total',
    type: 'counter',
    help: 'Failures of the run store by operation (open, write, read, retention, missing): run history or evidence bookkeeping being lost. Probing goes on.',
    labels: ['operation'],
  }),
  storeResets: define({
    name: 'pulse_store_resets_total',
    type: 'counter',
    help: 'Times the run store was started afresh (a damaged file moved aside, or the file deleted under pulse).',
    labels: [],
  }),
  shardJourneys: define({ name: 'pulse_shard_journeys', type: 'gauge', help: 'Journeys this replica owns.', labels: ['shard'] }),
  pushDeliveries: define({
    name: 'pulse_push_deliveries_total',
    type: 'counter',
    help: 'Pushes of push sinks (Pushgateway, webhook) by outcome: delivered, failed (every try failed), dropped (queue full or shutdown).',
    labels: ['sink', 'outcome'],
  }),
  proberUp: define({
    name: 'pulse_prober_up',
    type: 'gauge',
    help: 'pulse watching itself: 1 while pulse can probe (the control journey passes, the daemon is not starved, its browser stays up), else 0; journey alerts of this replica are held while it is 0. A failing run store degrades pulse (pulse_store_degraded) without taking it down.',
    labels: ['location'],
  }),
  storeDegraded: define({
    name: 'pulse_store_degraded',
    type: 'gauge',
    help: 'pulse probes on, but its run store cannot keep history as it should: 1 for the reason now (read_only, full, not_permitted, io_error: what the data folder says; in_memory: history kept in memory only; lock_lost: the data folder lock is no longer held, taken over or not refreshed; failing: writes keep failing), 0 for the others.',
    labels: ['location', 'reason'],
  }),
  proberCheckUp: define({
    name: 'pulse_prober_check_up',
    type: 'gauge',
    help: 'Each prober health check: control (the built-in control journey passes), event_loop (daemon event-loop lag), cpu (CPU pressure, where the kernel reports it), browser (relaunches, launch failures), store (the run store or its data folder failing: degrades pulse, does not take it down); 1 passing, 0 failing.',
    labels: ['location', 'check'],
  }),
} as const;

/** What a metrics sink is given: where its series go, its location label, whom to tell of a change. */
export interface MetricsSinkOptions {
  registry: Registry;
  location: string;
  /** Told after every change, e.g. to rebuild a cached /metrics body. */
  onChange?: () => void;
}

/** Every definition, for the tests and tools that check names against the shipped rules and dashboards. */
export const ALL_METRICS: readonly MetricDefinition[] = [...Object.values(RUN_METRICS), ...Object.values(PUSHED_METRICS), ...Object.values(PROBER_METRICS)];

type LabelsOf<D> = D extends MetricDefinition<infer L> ? L : never;
/** Labels of a pushed series: journey and location come from the group's key. */
type PushedLabels<D> = Exclude<LabelsOf<D>, 'journey' | 'location'>;
const GROUP_LABELS: readonly string[] = ['journey', 'location'];

export function counter<D extends MetricDefinition<string, 'counter'>>(definition: D, registry: Registry): Counter<LabelsOf<D>> {
  return new Counter({ name: definition.name, help: definition.help, labelNames: definition.labels as readonly LabelsOf<D>[], registers: [registry] });
}

export function gauge<D extends MetricDefinition<string, 'gauge'>>(definition: D, registry: Registry): Gauge<LabelsOf<D>> {
  return new Gauge({ name: definition.name, help: definition.help, labelNames: definition.labels as readonly LabelsOf<D>[], registers: [registry] });
}

export function histogram<D extends MetricDefinition<string, 'histogram'>>(definition: D, registry: Registry): Histogram<LabelsOf<D>> {
  return new Histogram({
    name: definition.name,
    help: definition.help,
    labelNames: definition.labels as readonly LabelsOf<D>[],
    buckets: [...(definition.buckets ?? [])],
    registers: [registry],
  });
}

/** The gauge as one pushed group carries it: the same name, type and help, without the group's labels. */
export function pushedGauge<D extends MetricDefinition<string, 'gauge'>>(definition: D, registry: Registry): Gauge<PushedLabels<D>> {
  const labelNames = definition.labels.filter((label) => !GROUP_LABELS.includes(label)) as PushedLabels<D>[];
  return new Gauge({ name: definition.name, help: definition.help, labelNames, registers: [registry] });
}
