import { Registry } from 'prom-client';
import { RUN_STATUSES, type RunResult } from '../result.ts';
import { DeliveryQueue, type DeliveryLog, type DeliveryTuning } from './delivery-queue.ts';
import type { DeliveryOutcome } from '../events.ts';
import { PUSHED_METRICS, RUN_METRICS, pushedGauge } from './metric-definitions.ts';
import type { Sink } from './sink.ts';

const PUSHGATEWAY_JOB = 'pulse';

export interface PushgatewaySinkOptions {
  /** Base URL of the Pushgateway, e.g. http://pushgateway:9091. */
  url: string;
  log?: DeliveryLog;
  onOutcome?: (sink: string, outcome: DeliveryOutcome) => void;
  tuning?: Partial<DeliveryTuning>;
}

/**
 * For probers nobody scrapes (`pulse once` in CI or cron): each run's gauges go to a Pushgateway,
 * one group per journey and location (job `pulse`).
 *
 * Pushed with POST, which replaces only the metrics named in the push: a failed run sends no
 * last-success time and no step durations, so the group keeps those of the last success, even
 * across processes (every `pulse once` is a new one).
 */
export class PushgatewaySink implements Sink {
  readonly name = 'pushgateway';
  readonly stage = 'push';
  readonly queue: DeliveryQueue<RunResult>;
  readonly #base: string;

  constructor(options: PushgatewaySinkOptions) {
    this.#base = options.url.replace(/\/+$/, '');
    this.queue = new DeliveryQueue({
      sink: this.name,
      tuning: options.tuning,
      onOutcome: options.onOutcome,
      log: options.log,
      describe: (result) => ({ journey: result.journey, runId: result.runId }),
      send: async (result, signal) => {
        const url = groupUrl(this.#base, result);
        const response = await fetch(url, { method: 'POST', body: await renderPush(result), headers: { 'content-type': CONTENT_TYPE }, signal });
        const answer = await response.text();
        if (!response.ok) throw new Error(`POST ${url} answered HTTP ${response.status}: ${answer.trim().slice(0, 200)}`);
      },
    });
  }

  /** Enqueues only; the push is rendered when it is sent. */
  onResult(result: RunResult): void {
    this.queue.enqueue(result);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

const CONTENT_TYPE = new Registry().contentType;

/** /metrics/job/pulse/journey/<j>/location/<l>: the group one journey in one location owns. */
function groupUrl(base: string, where: { journey: string; location: string }): string {
  return `${base}/metrics/job/${PUSHGATEWAY_JOB}/journey/${encodeURIComponent(where.journey)}/location/${encodeURIComponent(where.location)}`;
}

/**
 * The text exposition of one run, from a registry of its own. No journey or location labels:
 * the Pushgateway adds the grouping labels to every series of the group.
 */
export async function renderPush(result: RunResult): Promise<string> {
  const registry = new Registry();
  const finishedAt = Date.parse(result.startedAt) / 1000 + result.durationMs / 1000;
  const success = result.status === 'success';

  pushedGauge(RUN_METRICS.up, registry).set(success ? 1 : 0);
  pushedGauge(PUSHED_METRICS.lastRun, registry).set(finishedAt);
  pushedGauge(PUSHED_METRICS.lastDuration, registry).set(result.durationMs / 1000);
  pushedGauge(PUSHED_METRICS.lastAttempts, registry).set(result.attempts);
  const status = pushedGauge(PUSHED_METRICS.lastStatus, registry);
  for (const value of RUN_STATUSES) status.set({ result: value }, value === result.status ? 1 : 0);
  if (success) {
    pushedGauge(RUN_METRICS.lastSuccess, registry).set(finishedAt);
    const steps = pushedGauge(PUSHED_METRICS.lastStepDuration, registry);
    for (const step of result.steps) if (step.status === 'passed') steps.set({ step: step.name }, step.durationMs / 1000);
  }
  return registry.metrics();
}
