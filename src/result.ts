/**
 * The one contract between running and reporting: every sink consumes a RunResult,
 * and no sink reaches back into the runner.
 */
import type { JourneyVersion } from './journey.ts';

/** success: the heartbeat; failure: the target is broken; error: pulse could not run it. */
export const RUN_STATUSES = ['success', 'failure', 'error'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What broke, as on-call filter it: `http`/`network`/`timeout` name the request when one failed in the failed step. */
/** `crash`: the page's renderer or the browser died under the run (whose doing, the cause says). */
export type FailureReason = 'timeout' | 'assertion' | 'navigation' | 'http' | 'network' | 'script' | 'crash';
export const FAILURE_REASONS: readonly FailureReason[] = ['timeout', 'assertion', 'navigation', 'http', 'network', 'script', 'crash'];

/**
 * Whose fault a run that did not succeed is: `target` (the journey's own origins answered wrongly,
 * or the page did not show what the step expected), `third_party` (only other origins failed),
 * `journey` (its own code failed), `prober` (pulse could not run or observe it; always status error).
 * Only `target` pages someone.
 */
export type FailureCause = 'target' | 'third_party' | 'journey' | 'prober';
export const FAILURE_CAUSES: readonly FailureCause[] = ['target', 'third_party', 'journey', 'prober'];

export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface StepResult {
  name: string;
  status: StepStatus;
  /** Monotonic duration; 0 for skipped steps. */
  durationMs: number;
  /** The page loads and client-side navigations the step caused, and the page it acted on, as the user felt them. */
  vitals?: PageVitals[];
  /** The requests the step made. */
  network?: StepNetwork;
}

/** Web vitals of one page view: a document load, or a client-side navigation (`route`). */
export interface PageVitals {
  kind: 'load' | 'route';
  /** Where the view was, shortened; its query string redacted like everything else. */
  url: string;
  /** An earlier step opened this view; this step interacted with it or shifted it. */
  continued?: true;
  /** Time to first byte (document loads). */
  ttfbMs?: number;
  /** First contentful paint (document loads). */
  fcpMs?: number;
  /** Largest contentful paint (document loads). */
  lcpMs?: number;
  /** Cumulative layout shift: the largest session window of unexpected shifts. */
  cls: number;
  /** Interaction to next paint: the slowest interaction in the view, when the step interacted. */
  inpMs?: number;
}

/** What the step asked the network for. */
export interface StepNetwork {
  requests: number;
  /** Bytes over the wire (headers and compressed bodies) of the requests that finished. */
  bytes: number;
  /** Answered >= 400, failed, or still open at the step's end. */
  failed: number;
  /** The slowest request of the step. */
  slowest?: { key: string; ms: number };
}

export interface RunError {
  message: string;
  /** The step that broke, when it happened inside one. */
  step?: string;
  /** Set for failures; errors of pulse itself carry no target reason. */
  reason?: FailureReason;
}

/** The evidence an Artifacts holds, kind and path, in the order it was kept. */
export function artifactFiles(artifacts: Artifacts): [string, string][] {
  return Object.entries(artifacts).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
}

export interface Artifacts {
  /** Paths relative to `<data folder>/artifacts`, e.g. `checkout/<runId>/attempt-1-screenshot.png`. */
  screenshot?: string;
  /** A note saying what could not be captured and why (no picture at all, no page HTML): a page whose renderer never answered. */
  notCaptured?: string;
  html?: string;
  console?: string;
  trace?: string;
}

/** One distinct request of a run (same method, origin and path, ids folded), for comparing runs. */
export interface RequestObservation {
  /** e.g. "GET http://shop.example.com/api/orders/:id". */
  key: string;
  count: number;
  /** How many answered >= 400, failed on the network or never finished. */
  failed: number;
  /** The status of the last answer, or of the last failure: "200", "500", "net::ERR_CONNECTION_RESET", "pending" (no answer), "200, unfinished" (body never completed). */
  outcome: string;
  /** The slowest of them, in milliseconds. */
  maxMs: number;
}

/** What an attempt saw of its pages, kept small: enough to tell a failed run from the last good one. */
export interface Observations {
  requests: RequestObservation[];
  /** Console errors, uncaught page errors and dialogs, each once, shortened. */
  console: string[];
}

/** The TLS certificate one of the journey's own https origins presented. */
export interface CertificateInfo {
  origin: string;
  subject?: string;
  issuer?: string;
  /** Unix seconds. */
  validFrom?: number;
  /** Unix seconds: when it expires. */
  validTo: number;
}

/**
 * What a run cost the machine: CPU of its journey worker and that worker's browser (every process
 * of it) while the run was in them, and the most resident memory the two held together.
 */
export interface ResourceUsage {
  cpuSeconds: number;
  peakRssBytes: number;
}

export interface AttemptResult {
  attempt: number;
  status: RunStatus;
  /** Monotonic time from the journey's first line to its end (or its cut-off). */
  durationMs: number;
  steps: StepResult[];
  error?: RunError;
  /** Set whenever the attempt did not succeed. */
  cause?: FailureCause;
  artifacts: Artifacts;
  /** What its pages did; absent when no page ran (a prober error before the journey started). */
  observed?: Observations;
  /** Certificates of the own origins reached over https, one per origin. */
  certificates?: CertificateInfo[];
  /** Measured from outside the worker; absent where /proc does not tell. */
  usage?: ResourceUsage;
}

export interface RunResult {
  journey: string;
  location: string;
  runId: string;
  /**
   * The W3C trace id every marked request of the run carried in its `traceparent` (32 hex digits);
   * set when synthetic traffic was marked, so the target's traces can be joined to the run.
   */
  traceId?: string;
  status: RunStatus;
  /** Wall-clock start, ISO 8601, for display. */
  startedAt: string;
  /** Monotonic time spent in the journey, every attempt added up; pulse's own set-up and evidence capture excluded. */
  durationMs: number;
  /** How many attempts ran; more than 1 means the first failed. */
  attempts: number;
  /** Succeeded, but only on a retry. */
  flaky: boolean;
  /** Steps of the deciding (last) attempt. */
  steps: StepResult[];
  error?: RunError;
  /** Whose fault it is, whenever the run did not succeed (the deciding attempt's cause). */
  cause?: FailureCause;
  artifacts: Artifacts;
  /** What the deciding attempt's pages did: compared with the last good run when this one failed. */
  observed?: Observations;
  /** Certificates of the journey's own https origins, as the deciding attempt saw them. */
  certificates?: CertificateInfo[];
  /** Every attempt, so that sinks can count retries without hiding them. */
  attemptResults: AttemptResult[];
  /** The attempts' CPU added up and the highest peak of memory among them; absent where not measured. */
  usage?: ResourceUsage;
  /** Started by its schedule, or by someone asking for it now (with who asked). */
  trigger?: RunTrigger;
  /**
   * The thresholds a successful run broke (the journey's `thresholds` option): the run is still
   * a success and still the heartbeat, marked degraded. Set only on a success, and never empty.
   */
  degraded?: Breach[];
  /** The version of the journey that ran (its file and local modules, the git commit); absent when no attempt got to import it. */
  version?: JourneyVersion;
}

/** What a threshold judges: the duration of the run or a step, or a web vital of its page views. */
export type ThresholdMetric = 'duration' | 'ttfb' | 'fcp' | 'lcp' | 'inp' | 'cls';
export const THRESHOLD_METRICS: readonly ThresholdMetric[] = ['duration', 'ttfb', 'fcp', 'lcp', 'inp', 'cls'];

/** One threshold a successful run broke. */
export interface Breach {
  /** The step the threshold is for; absent for a threshold of the whole run. */
  step?: string;
  metric: ThresholdMetric;
  /** The threshold: milliseconds, or a layout shift score for `cls`. */
  limit: number;
  /** What the run measured, in the same unit: the duration, or the worst page view. */
  actual: number;
}

/** How a run came to be: its schedule, or a person or tool asking for it now. */
export interface RunTrigger {
  kind: 'schedule' | 'manual';
  /** Who asked for a manual run (the auth identity). */
  by?: string;
}
