import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BrowserContextOptions } from 'playwright';
import { artifactsDir } from '../artifacts.ts';
import { failedAttempt, whoseFault } from '../attempt-ending.ts';
import type { TraceMode } from '../config.ts';
import { defaultOf } from '../settings/table.ts';
import type { JourneyDefinition, JourneyParams, JourneyVersion } from '../journey.ts';
import type { Redactor } from '../redact.ts';
import type { Artifacts, AttemptResult, ResourceUsage, RunResult, RunTrigger, StepResult } from '../result.ts';
import { ownOriginsOf } from '../origins.ts';
import { compactStamp } from '../run-id.ts';
import { describeError } from '../errors.ts';
import { ThresholdJudge } from '../thresholds.ts';
import { RepeatedSteps } from './repeated-steps.ts';
import { newTraceId } from '../trace-context.ts';
import type { SessionKeeper } from './session-keeper.ts';
import type { WorkerPool } from './worker-pool.ts';

/** Where a runner reports what went wrong on its side; a pino logger fits. */
export interface RunnerLog {
  warn(fields: object, message: string): void;
  debug?(fields: object, message: string): void;
}

export interface RunnerOptions {
  workers: WorkerPool;
  /** Context options from playwright.config.ts `use`. */
  contextOptions?: BrowserContextOptions;
  params: JourneyParams;
  /** Param values to hide in everything an attempt reports or keeps. */
  secrets?: string[];
  /** Values a secret may be paired with as `user:secret` (see createRedactor). */
  partners?: string[];
  location: string;
  /** Artifacts go to `<dataDir>/artifacts/<journey>/<runId>/`. */
  dataDir: string;
  trace?: TraceMode;
  /** Web vitals and bytes per step; the setting's default (PULSE_WEB_VITALS) unless given. */
  vitals?: boolean;
  /** The per-run summary a failure is compared with; on unless turned off (the bench measures its cost so). */
  observe?: boolean;
  /** Mark requests to the journey's own origins with the run id and a traceparent; the setting's default (PULSE_MARK_TRAFFIC) unless given. */
  markTraffic?: boolean;
  redact?: Redactor;
  log?: RunnerLog;
  /**
   * Microseconds tasks have waited for a CPU so far (PSI), when the kernel tells: a timeout in an
   * attempt that spent most of its time starved is pulse's side, not the target's.
   */
  cpuStallMicros?: () => number | undefined;
  /** Kept sign-ins: a journey that declares a session gets its state, and its sign-ins are kept. */
  sessions?: SessionKeeper;
}

/** An attempt whose tasks waited for a CPU this share of its time was starved. */
const STARVED_SHARE = 0.9;

/** What a run may set for itself over the runner's settings: the control journey runs against pulse's own page, with no trace and none of the user's params or secrets. */
export type RunPlan = Partial<Pick<RunnerOptions, 'params' | 'secrets' | 'partners' | 'contextOptions' | 'trace' | 'markTraffic' | 'vitals'>>;

export interface RunOptions {
  runId?: string;
  plan?: RunPlan;
  /** Recorded on the result; a scheduled run when not given. */
  trigger?: RunTrigger;
  /** A logger bound to this run, for what goes wrong on pulse's side. */
  log?: RunnerLog;
}

/**
 * Runs each attempt of a journey in a pooled worker (with its own browser) and turns the attempts
 * into one RunResult. Holds no journey code: the workers import and run it.
 */
export class Runner {
  readonly #options: RunnerOptions;
  /** Step names of the last complete attempt per journey, so steps a failure never reached show as skipped. */
  readonly #knownSteps = new Map<string, string[]>();
  /** A success that broke a threshold is still the heartbeat, marked degraded. */
  readonly #thresholds = new ThresholdJudge();
  /** The last version of each journey, its source redacted: redacted once per version, not at every run. */
  readonly #shownVersions = new Map<string, JourneyVersion>();
  /** A step name run twice in one attempt is said once per journey and name. */
  readonly #repeated = new RepeatedSteps();

  constructor(options: RunnerOptions) {
    this.#options = options;
  }

  get location(): string {
    return this.#options.location;
  }

  async run(journey: JourneyDefinition, options: RunOptions = {}): Promise<RunResult> {
    const runId = options.runId ?? newRunId();
    const settings: RunnerOptions = options.plan ? { ...this.#options, ...options.plan } : this.#options;
    // One trace per run, its attempts included; none when nothing will be marked.
    const traceId =
      (settings.markTraffic ?? defaultOf('markTraffic')) && !ownOriginsOf(settings.params.baseUrl, journey.origins).empty ? newTraceId() : undefined;
    const startedAt = new Date().toISOString();
    const log = options.log ?? this.#options.log;
    const attemptResults: AttemptResult[] = [];
    // What ran: the version the deciding attempt's worker imported (a worker keeps its first import of a file).
    let version: JourneyVersion | undefined;
    for (let attempt = 1; attempt <= journey.retries + 1; attempt += 1) {
      const { result, ran } = await this.#attempt(journey, { runId, traceId, attempt }, settings, log);
      attemptResults.push(result);
      version = ran ?? version;
      // Only a failure is worth another try; a prober error is reported as it is.
      if (result.status !== 'failure') break;
    }
    const last = attemptResults.at(-1)!;
    if (last.status === 'success')
      this.#knownSteps.set(
        journey.name,
        last.steps.map((s) => s.name),
      );
    else markUnreached(last.steps, this.#knownSteps.get(journey.name));
    const degraded = this.#thresholds.judge(journey, last, log);
    this.#repeated.check(journey.name, last.steps, log);
    return {
      journey: journey.name,
      location: this.#options.location,
      runId,
      ...(traceId ? { traceId } : {}),
      status: last.status,
      startedAt,
      durationMs: attemptResults.reduce((sum, a) => sum + a.durationMs, 0),
      attempts: attemptResults.length,
      flaky: last.status === 'success' && attemptResults.length > 1,
      steps: last.steps,
      error: last.error,
      ...(last.status === 'success' ? {} : { cause: last.status === 'error' ? 'prober' : (last.cause ?? 'target') }),
      artifacts: mergeArtifacts(attemptResults),
      ...(last.observed ? { observed: last.observed } : {}),
      ...(last.certificates ? { certificates: last.certificates } : {}),
      attemptResults,
      ...usageOfRun(attemptResults),
      trigger: options.trigger ?? { kind: 'schedule' },
      ...(degraded ? { degraded } : {}),
      ...(version ? { version: this.#shown(journey.name, version) } : {}),
    };
  }

  /** The version as it leaves the runner: a secret written into the journey's source is redacted like any other text; the hash stays the source's. */
  #shown(journey: string, version: JourneyVersion): JourneyVersion {
    const known = this.#shownVersions.get(journey);
    if (known && known.hash === version.hash && known.commit === version.commit) return known;
    const redact = this.#options.redact ?? ((text: string) => text);
    const shown: JourneyVersion = { ...version, files: version.files.map((file) => ({ ...file, text: redact(file.text) })) };
    this.#shownVersions.set(journey, shown);
    return shown;
  }

  async #attempt(
    journey: JourneyDefinition,
    { runId, traceId, attempt }: { runId: string; traceId: string | undefined; attempt: number },
    settings: RunnerOptions,
    log: RunnerLog | undefined,
  ): Promise<{ result: AttemptResult; ran?: JourneyVersion }> {
    const { workers } = this.#options;
    const redact = this.#options.redact ?? ((text: string) => text);
    const mode = settings.trace ?? defaultOf('trace');
    const stalledBefore = this.#options.cpuStallMicros?.();
    const attemptStarted = performance.now();
    const { sessions } = this.#options;
    try {
      const kept = journey.session && sessions ? await sessions.take(journey.session) : undefined;
      const report = await workers.attempt({
        journey: {
          name: journey.name,
          source: journey.source,
          timeoutMs: journey.timeoutMs,
          stepTimeoutMs: journey.stepTimeoutMs,
          origins: journey.origins,
          ...(journey.folder ? { folder: journey.folder } : {}),
          ...(journey.spec ? { spec: journey.spec } : {}),
        },
        runId,
        attempt,
        ...(traceId ? { traceId } : {}),
        params: { ...settings.params },
        secrets: settings.secrets ?? [],
        partners: settings.partners ?? [],
        contextOptions: settings.contextOptions ?? {},
        tracing: mode === 'always' || (mode === 'on-retry' && attempt > 1),
        vitals: settings.vitals ?? defaultOf('webVitals'),
        observe: this.#options.observe ?? true,
        artifactsRoot: artifactsDir(this.#options.dataDir),
        ...(journey.session && sessions ? { session: { name: journey.session.name, ...(kept ? { state: kept } : {}) } } : {}),
      });
      if (journey.session && sessions)
        await sessions.settle(journey.session, report.session, report.result.status !== 'success', { journey: journey.name, runId, attempt });
      log?.debug?.(
        { event: 'attempt_done', journey: journey.name, runId, attempt, workerPid: report.workerPid, status: report.result.status },
        `attempt ${attempt} of ${journey.name} ran in worker ${report.workerPid}`,
      );
      if (report.browser === 'unresponsive')
        log?.warn({ journey: journey.name, runId }, 'the browser stopped answering; its worker is replaced with a fresh one');
      const proberSide = proberSideOf(report.result, {
        browserLost: report.browser === 'lost',
        journeysFault: report.ended !== undefined && whoseFault({ kind: 'worker-ended', worker: report.ended }) === 'journey',
        starved: starvedShare(stalledBefore, this.#options.cpuStallMicros?.(), performance.now() - attemptStarted),
      });
      if (proberSide?.kind === 'starved')
        log?.warn({ event: 'attempt_starved', journey: journey.name, runId, attempt, share: Math.round(proberSide.share * 100) / 100 }, proberSide.note);
      return { result: proberSide ? asProberError(report.result, proberSide, redact) : report.result, ...(report.version ? { ran: report.version } : {}) };
    } catch (error) {
      return {
        result: failedAttempt(
          { kind: 'not-run' },
          { message: redact(`could not start a journey worker: ${describeError(error).message}`) },
          { attempt, durationMs: 0 },
        ),
      };
    }
  }
}

/** What the runner sees of an attempt from outside its worker. */
interface SeenFromOutside {
  /** The worker's browser went away while the attempt ran, not by the journey's doing. */
  browserLost: boolean;
  /** The worker was ended for what the journey's code did (a fault, its budget, memory). */
  journeysFault: boolean;
  /** The share of the attempt's time its tasks waited for a CPU; undefined without PSI. */
  starved: number | undefined;
}

type ProberSide = { kind: 'starved'; share: number; note: string } | { kind: 'browser-lost'; note: string };

/** A failure that is pulse's side after all, for what only the runner sees: the CPU the machine withheld, the browser going away. */
function proberSideOf(result: AttemptResult, seen: SeenFromOutside): ProberSide | undefined {
  if (result.status !== 'failure') return undefined;
  const { starved } = seen;
  if (result.error?.reason === 'timeout' && result.cause !== 'journey' && starved !== undefined && starved >= STARVED_SHARE) {
    return {
      kind: 'starved',
      share: starved,
      note: `the machine starved pulse of CPU during this attempt (tasks waited for a CPU ${Math.round(starved * 100)}% of the time), so the timeout says nothing about the target`,
    };
  }
  // The browser went away under the attempt and its code did nothing wrong: pulse's side, not the target's.
  if (seen.browserLost && !seen.journeysFault) return { kind: 'browser-lost', note: 'browser disconnected during the run' };
  return undefined;
}

/** The failure, now a prober error: why first, then what the attempt said, in the step it said it. */
function asProberError(result: AttemptResult, side: ProberSide, redact: Redactor): AttemptResult {
  const { error } = result;
  return failedAttempt({ kind: side.kind }, { message: redact(`${side.note}: ${error?.message ?? ''}`), step: error?.step }, result);
}

/** The share of the attempt's wall time in which tasks waited for a CPU; undefined without PSI. */
function starvedShare(before: number | undefined, after: number | undefined, elapsedMs: number): number | undefined {
  if (before === undefined || after === undefined || elapsedMs <= 0) return undefined;
  return Math.min(1, Math.max(0, (after - before) / 1000 / elapsedMs));
}

/** Steps a failure never reached, known from the last success, show as skipped. */
function markUnreached(steps: StepResult[], known: string[] | undefined): void {
  if (!known || !steps.some((s) => s.status === 'failed')) return;
  const seen = new Set(steps.map((s) => s.name));
  for (const name of known) if (!seen.has(name)) steps.push({ name, status: 'skipped', durationMs: 0 });
}

/** Sortable and readable: the UTC start second plus randomness, e.g. 20261126T064512Z-3f9a1c. */
export function newRunId(date = new Date()): string {
  return `${compactStamp(date)}-${randomBytes(3).toString('hex')}`;
}

/** CPU of every attempt added up, the highest memory peak among them; nothing when no attempt was measured. */
function usageOfRun(attempts: AttemptResult[]): { usage?: ResourceUsage } {
  const measured = attempts.flatMap((attempt) => attempt.usage ?? []);
  if (measured.length === 0) return {};
  return {
    usage: { cpuSeconds: measured.reduce((sum, usage) => sum + usage.cpuSeconds, 0), peakRssBytes: Math.max(...measured.map((usage) => usage.peakRssBytes)) },
  };
}

/** The deciding attempt's evidence first; earlier attempts fill in what it lacks (e.g. a screenshot). */
function mergeArtifacts(attempts: AttemptResult[]): Artifacts {
  const merged: Artifacts = {};
  for (const attempt of attempts) {
    for (const [key, value] of Object.entries(attempt.artifacts) as [keyof Artifacts, string][]) merged[key] = value;
  }
  return merged;
}
