import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { JourneyDefinition } from '../journey.ts';
import { FAILURE_CAUSES, FAILURE_REASONS, RUN_STATUSES, type RunResult } from '../result.ts';
import { judgedMetrics } from '../thresholds.ts';
import { WORKER_END_REASONS, type WorkerEndReason } from '../runner/journey-worker.ts';
import { intervalSeconds } from '../scheduler/schedule.ts';
import { SKIP_REASONS, type SkipReason } from '../scheduler/skip-reason.ts';
import { STORE_OPERATIONS, type StoreOperation } from '../store/run-store.ts';
import type { DeliveryOutcome } from './delivery-queue.ts';
import { TIMED_VITALS, runBytes, runVitals } from '../web-vitals.ts';
import type { Sink } from './sink.ts';


// Browser steps take from tens of milliseconds to a minute.
// Nine bounds: every step series is 12 lines, and hundreds of journeys times their steps add up.
const STEP_BUCKETS = [0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60];
const RUN_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 120];
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** The step label of a failure that happened outside any step. */
const NO_STEP = 'none';
/** Step names come from journey code; past this many per journey, new ones share one label. */
export const MAX_STEP_LABELS = 50;
export const OTHER_STEP = 'other';

export interface MetricsOptions {
  registry: Registry;
  location: string;
  /** prom-client's process metrics (CPU, memory, event loop); on by default. */
  defaultMetrics?: boolean;
  /** Where the process metrics go; the same registry when not given. */
  processRegistry?: Registry;
  /** Told after every change, e.g. to rebuild a cached /metrics body. */
  onChange?: () => void;
}

/** Every pulse_* metric of DESIGN.md on an injected registry; labels stay bounded. */
export class MetricsSink implements Sink {
  readonly name = 'metrics';
  readonly #location: string;
  readonly #changed: () => void;
  readonly #stepLabels = new Map<string, Set<string>>();
  readonly heartbeats: Counter<'journey' | 'location'>;
  readonly runs: Counter<'journey' | 'location' | 'result'>;
  readonly attempts: Counter<'journey' | 'location' | 'result'>;
  readonly flakyRuns: Counter<'journey' | 'location'>;
  readonly failures: Counter<'journey' | 'location' | 'step' | 'reason' | 'cause'>;
  readonly up: Gauge<'journey' | 'location'>;
  readonly lastRunCause: Gauge<'journey' | 'location' | 'cause'>;
  readonly lastSuccess: Gauge<'journey' | 'location'>;
  readonly interval: Gauge<'journey'>;
  readonly paused: Gauge<'journey' | 'location'>;
  readonly duration: Histogram<'journey' | 'location'>;
  readonly stepDuration: Histogram<'journey' | 'location' | 'step'>;
  readonly skipped: Counter<'journey' | 'reason'>;
  readonly scheduleLag: Histogram;
  readonly browserRestarts: Counter;
  readonly workerRestarts: Counter<'reason'>;
  readonly storeFailures: Counter<'operation'>;
  readonly storeResets: Counter;
  readonly shardJourneys: Gauge<'shard'>;
  readonly pushDeliveries: Counter<'sink' | 'outcome'>;
  readonly webVital: Gauge<'journey' | 'location' | 'vital'>;
  readonly layoutShift: Gauge<'journey' | 'location'>;
  readonly transferBytes: Gauge<'journey' | 'location'>;
  readonly certificateExpiry: Gauge<'journey' | 'location'>;
  readonly proberUp: Gauge<'location'>;
  readonly proberCheckUp: Gauge<'location' | 'check'>;

  readonly #pausedNow = new Map<string, number>();

  // Degraded runs: successes that broke a threshold of their journey (still heartbeats).
  readonly degradedRuns: Counter<'journey' | 'location'>;
  readonly thresholdBreaches: Counter<'journey' | 'location' | 'metric'>;
  readonly lastRunDegraded: Gauge<'journey' | 'location'>;
  /** Journeys with thresholds: their last-run gauge follows every run, failures included. */
  readonly #judged = new Set<string>();

  constructor(options: MetricsOptions) {
    const registers = [options.registry];
    this.#location = options.location;
    this.#changed = options.onChange ?? (() => undefined);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: options.processRegistry ?? options.registry });
    this.heartbeats = new Counter({ name: 'pulse_heartbeats_total', help: 'Successful journey runs: the heartbeat.', labelNames: ['journey', 'location'], registers });
    this.runs = new Counter({ name: 'pulse_journey_runs_total', help: 'Journey runs by result (success, failure: target broken, error: pulse could not run it).', labelNames: ['journey', 'location', 'result'], registers });
    this.attempts = new Counter({ name: 'pulse_journey_attempts_total', help: 'Journey attempts by result, retries included.', labelNames: ['journey', 'location', 'result'], registers });
    this.flakyRuns = new Counter({ name: 'pulse_journey_flaky_runs_total', help: 'Successful runs that needed a retry.', labelNames: ['journey', 'location'], registers });
    // Successes that broke a threshold: still heartbeats, marked degraded.
    this.degradedRuns = new Counter({
      name: 'pulse_journey_degraded_runs_total',
      help: 'Successful runs that broke at least one threshold of their journey (a step or the run too slow, a web vital over budget): still heartbeats, marked degraded.',
      labelNames: ['journey', 'location'],
      registers,
    });
    this.thresholdBreaches = new Counter({
      name: 'pulse_journey_threshold_breaches_total',
      help: 'Degraded runs by the metric of the threshold they broke (duration, ttfb, fcp, lcp, inp, cls); a run breaking several metrics counts once for each.',
      labelNames: ['journey', 'location', 'metric'],
      registers,
    });
    this.lastRunDegraded = new Gauge({ name: 'pulse_journey_last_run_degraded', help: '1 if the last run of the journey succeeded but broke a threshold, else 0; only for journeys with thresholds.', labelNames: ['journey', 'location'], registers });
    this.failures = new Counter({ name: 'pulse_journey_failures_total', help: 'Failed runs by the step that broke, the reason and the cause (target: the product; third_party: only other origins failed; journey: its own code).', labelNames: ['journey', 'location', 'step', 'reason', 'cause'], registers });
    this.up = new Gauge({ name: 'pulse_journey_up', help: '1 if the last run of the journey succeeded, else 0.', labelNames: ['journey', 'location'], registers });
    this.lastRunCause = new Gauge({
      name: 'pulse_journey_last_run_cause',
      help: 'Whose fault the last run was, when it did not succeed: 1 for its cause (target, third_party, journey, prober), 0 for the others; all 0 after a success. The alert rules page only on cause target.',
      labelNames: ['journey', 'location', 'cause'],
      registers,
    });
    this.lastSuccess = new Gauge({ name: 'pulse_journey_last_success_timestamp_seconds', help: 'Unix time of the last successful run: when the heart last beat.', labelNames: ['journey', 'location'], registers });
    this.interval = new Gauge({ name: 'pulse_journey_interval_seconds', help: 'Expected interval between runs, from the schedule.', labelNames: ['journey'], registers });
    this.paused = new Gauge({ name: 'pulse_journey_paused', help: '1 while the journey is paused for maintenance on this replica (its runs are skipped, its alerts held), else 0.', labelNames: ['journey', 'location'], registers });
    this.duration = new Histogram({ name: 'pulse_journey_duration_seconds', help: 'Duration of successful runs.', labelNames: ['journey', 'location'], buckets: RUN_BUCKETS, registers });
    this.stepDuration = new Histogram({ name: 'pulse_step_duration_seconds', help: 'Duration of each step of successful runs.', labelNames: ['journey', 'location', 'step'], buckets: STEP_BUCKETS, registers });
    this.skipped = new Counter({ name: 'pulse_runs_skipped_total', help: 'Planned runs not started: overlap (still running), saturated (no slot within the interval), shutdown, missed (the tick itself came too late), paused (a maintenance pause).', labelNames: ['journey', 'reason'], registers });
    this.scheduleLag = new Histogram({ name: 'pulse_schedule_lag_seconds', help: 'Planned start to real start of runs.', buckets: LAG_BUCKETS, registers });
    this.browserRestarts = new Counter({ name: 'pulse_browser_restarts_total', help: 'Browser relaunches after a crash or disconnect.', registers });
    this.workerRestarts = new Counter({
      name: 'pulse_worker_restarts_total',
      help: 'Journey workers ended and replaced: fault (journey code exited, threw outside a step, closed its browser, replaced globals), budget (blocked past its budget), memory (over PULSE_WORKER_MEMORY), exit (ended on its own), stalled (pulse side did not finish), error (after a prober error), load (a journey file did not load in time).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of WORKER_END_REASONS) this.workerRestarts.inc({ reason }, 0);
    this.storeFailures = new Counter({
      name: 'pulse_store_failures_total',
      help: 'Failures of the run store by operation (open, write, read, retention, missing): run history or evidence bookkeeping being lost. Probing goes on.',
      labelNames: ['operation'],
      registers,
    });
    for (const operation of STORE_OPERATIONS) this.storeFailures.inc({ operation }, 0);
    this.storeResets = new Counter({ name: 'pulse_store_resets_total', help: 'Times the run store was started afresh (a damaged file moved aside, or the file deleted under pulse).', registers });
    this.shardJourneys = new Gauge({ name: 'pulse_shard_journeys', help: 'Journeys this replica owns.', labelNames: ['shard'], registers });
    this.pushDeliveries = new Counter({ name: 'pulse_push_deliveries_total', help: 'Pushes of push sinks (Pushgateway, webhook) by outcome: delivered, failed (every try failed), dropped (queue full or shutdown).', labelNames: ['sink', 'outcome'], registers });
    // What the user felt, per journey rather than per step, as gauges of the last success rather
    // than histograms: six series a journey and location, so /metrics stays near its size.
    this.webVital = new Gauge({
      name: 'pulse_journey_web_vital_seconds',
      help: 'Web vitals of the last successful run, the worst page view of the run: ttfb (time to first byte), fcp (first contentful paint), lcp (largest contentful paint), inp (interaction to next paint).',
      labelNames: ['journey', 'location', 'vital'],
      registers,
    });
    this.layoutShift = new Gauge({ name: 'pulse_journey_layout_shift', help: 'Cumulative layout shift of the last successful run, the worst page view of the run (0 is steady; over 0.1 is poor).', labelNames: ['journey', 'location'], registers });
    this.transferBytes = new Gauge({ name: 'pulse_journey_transfer_bytes', help: 'Bytes over the wire of the last successful run (sizes the browser shows the page: exact for its own origin, 0 for other origins without Timing-Allow-Origin).', labelNames: ['journey', 'location'], registers });
    this.certificateExpiry = new Gauge({
      name: 'pulse_journey_certificate_expiry_timestamp_seconds',
      help: "Unix time the earliest-expiring TLS certificate of the journey's own https origins expires, as its last run saw them.",
      labelNames: ['journey', 'location'],
      registers,
    });
    this.proberUp = new Gauge({ name: 'pulse_prober_up', help: 'pulse watching itself: 1 while every prober health check passes (the control journey among them), else 0; journey alerts of this replica are held while it is 0.', labelNames: ['location'], registers });
    this.proberCheckUp = new Gauge({ name: 'pulse_prober_check_up', help: 'Each prober health check: control (the built-in control journey passes), event_loop (daemon event-loop lag), cpu (CPU pressure, where the kernel reports it), browser (relaunches, launch failures), store (run store failures); 1 passing, 0 failing.', labelNames: ['location', 'check'], registers });
  }

  /** Publishes intervals and starts every counter at 0, so rate() and increase() see the first event. */
  registerJourneys(journeys: readonly JourneyDefinition[], options: { shard?: string; scheduleOverride?: string } = {}): void {
    const location = this.#location;
    const shard = options.shard ?? '1/1';
    for (const journey of journeys) {
      this.interval.set({ journey: journey.name }, intervalSeconds(options.scheduleOverride ?? journey.schedule, journey.timezone));
      this.heartbeats.inc({ journey: journey.name, location }, 0);
      this.paused.set({ journey: journey.name, location }, 0);
      this.flakyRuns.inc({ journey: journey.name, location }, 0);
      for (const result of RUN_STATUSES) {
        this.runs.inc({ journey: journey.name, location, result }, 0);
        this.attempts.inc({ journey: journey.name, location, result }, 0);
      }
      for (const reason of SKIP_REASONS) this.skipped.inc({ journey: journey.name, reason }, 0);
    }
    for (const journey of journeys) if (journey.thresholds) this.#startDegraded(journey.name, judgedMetrics(journey.thresholds));
    this.shardJourneys.set({ shard }, journeys.length);
    this.#changed();
  }

  /** The degraded counters of a journey with thresholds start at 0, one breach series per metric it judges. */
  #startDegraded(journey: string, metrics: readonly string[]): void {
    const labels = { journey, location: this.#location };
    this.#judged.add(journey);
    this.degradedRuns.inc(labels, 0);
    this.lastRunDegraded.set(labels, 0);
    for (const metric of metrics) this.thresholdBreaches.inc({ ...labels, metric }, 0);
  }

  /** A degraded run counts once, and once for each metric it broke. */
  #countDegraded(result: RunResult, labels: { journey: string; location: string }): void {
    const degraded = result.status === 'success' && result.degraded !== undefined && result.degraded.length > 0;
    if (degraded || this.#judged.has(result.journey)) this.lastRunDegraded.set(labels, degraded ? 1 : 0);
    if (!degraded) return;
    this.degradedRuns.inc(labels);
    for (const metric of new Set(result.degraded!.map((breach) => breach.metric))) this.thresholdBreaches.inc({ ...labels, metric });
  }

  onResult(result: RunResult): void {
    const labels = { journey: result.journey, location: result.location };
    this.runs.inc({ ...labels, result: result.status });
    for (const attempt of result.attemptResults) this.attempts.inc({ ...labels, result: attempt.status });
    this.up.set(labels, result.status === 'success' ? 1 : 0);
    // As pulse_journey_failures_total counts them: an error is always the prober's, a failure never is.
    const lastCause = result.status === 'success' ? undefined : result.status === 'error' ? 'prober' : result.cause && result.cause !== 'prober' ? result.cause : 'target';
    for (const cause of FAILURE_CAUSES) this.lastRunCause.set({ ...labels, cause }, cause === lastCause ? 1 : 0);
    if (result.status === 'success') {
      this.heartbeats.inc(labels);
      this.lastSuccess.set(labels, Date.parse(result.startedAt) / 1000 + result.durationMs / 1000);
      this.duration.observe(labels, result.durationMs / 1000);
      for (const step of result.steps) {
        if (step.status === 'passed') this.stepDuration.observe({ ...labels, step: this.#stepLabel(result.journey, step.name) }, step.durationMs / 1000);
      }
      if (result.flaky) this.flakyRuns.inc(labels);
      this.#felt(labels, result);
    } else if (result.status === 'failure') {
      const reason = result.error?.reason && FAILURE_REASONS.includes(result.error.reason) ? result.error.reason : 'script';
      const cause = result.cause && result.cause !== 'prober' ? result.cause : 'target';
      this.failures.inc({ ...labels, step: result.error?.step ? this.#stepLabel(result.journey, result.error.step) : NO_STEP, reason, cause });
    }
    if (result.certificates?.length) this.certificateExpiry.set(labels, Math.min(...result.certificates.map((certificate) => certificate.validTo)));

    this.#countDegraded(result, labels);
    this.#changed();
  }

  /** The web vitals and bytes of a success; a figure the run did not measure keeps its last value. */
  #felt(labels: { journey: string; location: string }, result: RunResult): void {
    const worst = runVitals(result.steps);
    for (const vital of TIMED_VITALS) {
      const value = worst[`${vital}Ms`];
      if (value !== undefined) this.webVital.set({ ...labels, vital }, value / 1000);
    }
    if (worst.cls !== undefined) this.layoutShift.set(labels, worst.cls);
    if (result.steps.some((step) => step.network)) this.transferBytes.set(labels, runBytes(result.steps));
  }

  /** Keeps the step label bounded even when a journey builds step names from data. */
  #stepLabel(journey: string, step: string): string {
    let known = this.#stepLabels.get(journey);
    if (!known) this.#stepLabels.set(journey, (known = new Set()));
    if (known.has(step)) return step;
    if (known.size >= MAX_STEP_LABELS) return OTHER_STEP;
    known.add(step);
    return step;
  }

  skip(journey: string, reason: SkipReason): void {
    this.skipped.inc({ journey, reason });
    this.#changed();
  }

  observeLag(seconds: number): void {
    this.scheduleLag.observe(Math.max(0, seconds));
    this.#changed();
  }

  browserRestarted(): void {
    this.browserRestarts.inc();
    this.#changed();
  }

  /** Sets each journey's paused gauge; only changes invalidate the exposition. */
  setPaused(states: readonly { journey: string; paused: boolean }[]): void {
    let changed = false;
    for (const { journey, paused } of states) {
      const value = paused ? 1 : 0;
      if (this.#pausedNow.get(journey) === value) continue;
      this.#pausedNow.set(journey, value);
      this.paused.set({ journey, location: this.#location }, value);
      changed = true;
    }
    if (changed) this.#changed();
  }

  workerReplaced(reason: WorkerEndReason): void {
    this.workerRestarts.inc({ reason });
    this.#changed();
  }

  storeFailed(operation: StoreOperation, reset: boolean): void {
    this.storeFailures.inc({ operation });
    if (reset) this.storeResets.inc();
    this.#changed();
  }

  /** pulse's own health: the verdict and each check's; a check left out (not measurable here) is not exported. */
  setProberHealth(up: boolean, checks: Readonly<Record<string, boolean>>): void {
    const location = this.#location;
    this.proberUp.set({ location }, up ? 1 : 0);
    for (const [check, ok] of Object.entries(checks)) this.proberCheckUp.set({ location, check }, ok ? 1 : 0);
    this.#changed();
  }

  pushOutcome(sink: string, outcome: DeliveryOutcome): void {
    this.pushDeliveries.inc({ sink, outcome });
    this.#changed();
  }
}
