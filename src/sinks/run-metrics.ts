import { shortVersion, type JourneyDefinition } from '../journey.ts';
import { FAILURE_CAUSES, FAILURE_REASONS, RUN_STATUSES, type RunResult } from '../result.ts';
import { judgedMetrics } from '../thresholds.ts';
import { isNearMiss } from '../near-miss.ts';
import { intervalSeconds } from '../scheduler/schedule.ts';
import { TIMED_VITALS, runBytes, runVitals } from '../web-vitals.ts';
import { RUN_METRICS as M, counter, gauge, histogram, type MetricsSinkOptions } from './metric-definitions.ts';
import type { Sink } from './sink.ts';

/** The step label of a failure that happened outside any step. */
const NO_STEP = 'none';
/** Step names come from journey code; past this many per journey, new ones share one label. */
export const MAX_STEP_LABELS = 50;
export const OTHER_STEP = 'other';

/** What the runs delivered, from each RunResult: the heartbeat, failures by cause, durations, what the user felt. */
export class RunMetrics implements Sink {
  readonly name = 'metrics';
  readonly stage = 'metrics';
  readonly #location: string;
  readonly #changed: () => void;
  readonly #stepLabels = new Map<string, Set<string>>();
  readonly #heartbeats;
  readonly #runs;
  readonly #attempts;
  readonly #flakyRuns;
  readonly #failures;
  readonly #up;
  readonly #lastRunCause;
  readonly #lastSuccess;
  readonly #interval;
  readonly #timeout;
  readonly #stepTimeout;
  readonly #stepNearMisses;
  /** Each registered journey's step timeout, what a near miss is judged against. */
  readonly #stepTimeoutsMs = new Map<string, number>();
  readonly #journeyInfo;
  /** The version label each journey's info series carries now: one series per journey. */
  readonly #versions = new Map<string, string>();
  readonly #duration;
  readonly #stepDuration;
  readonly #webVital;
  readonly #layoutShift;
  readonly #transferBytes;
  readonly #certificateExpiry;
  // What each journey costs the replica.
  readonly #cpu;
  readonly #peakMemory;
  // Degraded runs: successes that broke a threshold of their journey (still heartbeats).
  readonly #degradedRuns;
  readonly #thresholdBreaches;
  readonly #lastRunDegraded;
  /** Journeys with thresholds: their last-run gauge follows every run, failures included. */
  readonly #judged = new Set<string>();

  constructor(options: MetricsSinkOptions) {
    const { registry } = options;
    this.#location = options.location;
    this.#changed = options.onChange ?? (() => undefined);
    this.#heartbeats = counter(M.heartbeats, registry);
    this.#runs = counter(M.runs, registry);
    this.#attempts = counter(M.attempts, registry);
    this.#flakyRuns = counter(M.flakyRuns, registry);
    this.#degradedRuns = counter(M.degradedRuns, registry);
    this.#thresholdBreaches = counter(M.thresholdBreaches, registry);
    this.#lastRunDegraded = gauge(M.lastRunDegraded, registry);
    this.#failures = counter(M.failures, registry);
    this.#up = gauge(M.up, registry);
    this.#lastRunCause = gauge(M.lastRunCause, registry);
    this.#lastSuccess = gauge(M.lastSuccess, registry);
    this.#interval = gauge(M.interval, registry);
    this.#timeout = gauge(M.timeout, registry);
    this.#stepTimeout = gauge(M.stepTimeout, registry);
    this.#stepNearMisses = counter(M.stepNearMisses, registry);
    this.#journeyInfo = gauge(M.journeyInfo, registry);
    this.#duration = histogram(M.duration, registry);
    this.#stepDuration = histogram(M.stepDuration, registry);
    this.#webVital = gauge(M.webVital, registry);
    this.#layoutShift = gauge(M.layoutShift, registry);
    this.#transferBytes = gauge(M.transferBytes, registry);
    this.#certificateExpiry = gauge(M.certificateExpiry, registry);
    this.#cpu = counter(M.cpu, registry);
    this.#peakMemory = gauge(M.peakMemory, registry);
  }

  /** Publishes intervals and starts every counter at 0, so rate() and increase() see the first event. */
  registerJourneys(journeys: readonly JourneyDefinition[], options: { scheduleOverride?: string } = {}): void {
    const location = this.#location;
    for (const journey of journeys) {
      this.#interval.set({ journey: journey.name }, intervalSeconds(options.scheduleOverride ?? journey.schedule, journey.timezone));
      this.#timeout.set({ journey: journey.name }, journey.timeoutMs / 1000);
      this.#stepTimeout.set({ journey: journey.name }, journey.stepTimeoutMs / 1000);
      this.#stepTimeoutsMs.set(journey.name, journey.stepTimeoutMs);
      if (journey.version) this.#setVersion(journey.name, journey.version.hash);
      this.#heartbeats.inc({ journey: journey.name, location }, 0);
      this.#flakyRuns.inc({ journey: journey.name, location }, 0);
      this.#cpu.inc({ journey: journey.name, location }, 0);
      for (const result of RUN_STATUSES) {
        this.#runs.inc({ journey: journey.name, location, result }, 0);
        this.#attempts.inc({ journey: journey.name, location, result }, 0);
      }
    }
    for (const journey of journeys) if (journey.thresholds) this.#startDegraded(journey.name, judgedMetrics(journey.thresholds));
    this.#changed();
  }

  /** The degraded counters of a journey with thresholds start at 0, one breach series per metric it judges. */
  #startDegraded(journey: string, metrics: readonly string[]): void {
    const labels = { journey, location: this.#location };
    this.#judged.add(journey);
    this.#degradedRuns.inc(labels, 0);
    this.#lastRunDegraded.set(labels, 0);
    for (const metric of metrics) this.#thresholdBreaches.inc({ ...labels, metric }, 0);
  }

  /** A degraded run counts once, and once for each metric it broke. */
  #countDegraded(result: RunResult, labels: { journey: string; location: string }): void {
    const degraded = result.status === 'success' && result.degraded !== undefined && result.degraded.length > 0;
    if (degraded || this.#judged.has(result.journey)) this.#lastRunDegraded.set(labels, degraded ? 1 : 0);
    if (!degraded) return;
    this.#degradedRuns.inc(labels);
    for (const metric of new Set(result.degraded!.map((breach) => breach.metric))) this.#thresholdBreaches.inc({ ...labels, metric });
  }

  /** The journey's info series names this version; the series of the version before it goes. */
  #setVersion(journey: string, hash: string): void {
    const version = shortVersion(hash);
    const before = this.#versions.get(journey);
    if (before === version) return;
    if (before !== undefined) this.#journeyInfo.remove({ journey, version: before });
    this.#versions.set(journey, version);
    this.#journeyInfo.set({ journey, version }, 1);
  }

  onResult(result: RunResult): void {
    const labels = { journey: result.journey, location: result.location };
    if (result.version) this.#setVersion(result.journey, result.version.hash);
    this.#runs.inc({ ...labels, result: result.status });
    for (const attempt of result.attemptResults) this.#attempts.inc({ ...labels, result: attempt.status });
    this.#up.set(labels, result.status === 'success' ? 1 : 0);
    // As pulse_journey_failures_total counts them: an error is always the prober's, a failure never is.
    const lastCause =
      result.status === 'success' ? undefined : result.status === 'error' ? 'prober' : result.cause && result.cause !== 'prober' ? result.cause : 'target';
    for (const cause of FAILURE_CAUSES) this.#lastRunCause.set({ ...labels, cause }, cause === lastCause ? 1 : 0);
    if (result.status === 'success') {
      this.#heartbeats.inc(labels);
      this.#lastSuccess.set(labels, Date.parse(result.startedAt) / 1000 + result.durationMs / 1000);
      this.#duration.observe(labels, result.durationMs / 1000);
      const stepTimeoutMs = this.#stepTimeoutsMs.get(result.journey);
      for (const step of result.steps) {
        if (step.status !== 'passed') continue;
        const stepLabels = { ...labels, step: this.#stepLabel(result.journey, step.name) };
        this.#stepDuration.observe(stepLabels, step.durationMs / 1000);
        // Every step series with a known timeout has its near-miss counter beside its count, from 0.
        if (stepTimeoutMs !== undefined) this.#stepNearMisses.inc(stepLabels, isNearMiss(step.durationMs, stepTimeoutMs) ? 1 : 0);
      }
      if (result.flaky) this.#flakyRuns.inc(labels);
      this.#felt(labels, result);
    } else if (result.status === 'failure') {
      const reason = result.error?.reason && FAILURE_REASONS.includes(result.error.reason) ? result.error.reason : 'script';
      const cause = result.cause && result.cause !== 'prober' ? result.cause : 'target';
      this.#failures.inc({ ...labels, step: result.error?.step ? this.#stepLabel(result.journey, result.error.step) : NO_STEP, reason, cause });
    }
    if (result.usage) {
      this.#cpu.inc(labels, result.usage.cpuSeconds);
      this.#peakMemory.set(labels, result.usage.peakRssBytes);
    }
    if (result.certificates?.length) this.#certificateExpiry.set(labels, Math.min(...result.certificates.map((certificate) => certificate.validTo)));

    this.#countDegraded(result, labels);
    this.#changed();
  }

  /** The web vitals and bytes of a success; a figure the run did not measure keeps its last value. */
  #felt(labels: { journey: string; location: string }, result: RunResult): void {
    const worst = runVitals(result.steps);
    for (const vital of TIMED_VITALS) {
      const value = worst[`${vital}Ms`];
      if (value !== undefined) this.#webVital.set({ ...labels, vital }, value / 1000);
    }
    if (worst.cls !== undefined) this.#layoutShift.set(labels, worst.cls);
    if (result.steps.some((step) => step.network)) this.#transferBytes.set(labels, runBytes(result.steps));
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
}
