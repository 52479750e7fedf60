import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BrowserContext, BrowserContextOptions } from 'playwright';
import type { JourneyParams, StepFn } from '../journey.ts';
import type { Redactor } from '../redact.ts';
import type { JourneyDefinition } from '../registry/validate.ts';
import type { Artifacts, AttemptResult, RunError, RunResult, RunStatus, StepResult } from '../result.ts';
import type { BrowserPool } from './browser-pool.ts';
import { BudgetExceededError, StepSkippedError, classifyFailure, describeError, stripAnsi } from './classify.ts';
import { EvidenceRecorder, captureEvidence } from './evidence.ts';
import { DeadlineError, withDeadline } from './deadline.ts';
import { redactTrace } from './trace-redaction.ts';

export type TraceMode = 'off' | 'on-retry' | 'always';
export const TRACE_MODES: readonly TraceMode[] = ['off', 'on-retry', 'always'];

/** Where a runner reports what went wrong on its side; a pino logger fits. */
export interface RunnerLog {
  warn(fields: object, message: string): void;
}

export interface RunnerOptions {
  browsers: BrowserPool;
  /** Context options from playwright.config.ts `use`. */
  contextOptions?: BrowserContextOptions;
  params: JourneyParams;
  location: string;
  /** Artifacts go to `<dataDir>/artifacts/<journey>/<runId>/`. */
  dataDir: string;
  trace?: TraceMode;
  redact?: Redactor;
  log?: RunnerLog;
}

export interface RunOptions {
  runId?: string;
  /** A logger bound to this run, for what goes wrong on pulse's side. */
  log?: RunnerLog;
}

const MAX_ERROR_LENGTH = 4_000;
const CONTEXT_CLOSE_TIMEOUT_MS = 10_000;
/** Opening a context or page takes milliseconds; this long means the browser stopped answering. */
const BROWSER_CALL_TIMEOUT_MS = 30_000;

/** Runs journeys in fresh contexts of the pool's warm browser and turns each run into a RunResult. */
export class Runner {
  readonly #options: RunnerOptions;
  readonly #redact: Redactor;
  /** Step names of the last complete attempt per journey, so steps a failure never reached show as skipped. */
  readonly #knownSteps = new Map<string, string[]>();

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#redact = options.redact ?? ((text) => text);
  }

  get location(): string {
    return this.#options.location;
  }

  async run(journey: JourneyDefinition, options: RunOptions = {}): Promise<RunResult> {
    const runId = options.runId ?? newRunId();
    const startedAt = new Date().toISOString();
    const attemptResults: AttemptResult[] = [];
    for (let attempt = 1; attempt <= journey.retries + 1; attempt += 1) {
      const result = await this.#attempt(journey, runId, attempt, options.log ?? this.#options.log);
      attemptResults.push(result);
      // Only a broken target is worth another try; a prober error is reported as it is.
      if (result.status !== 'failure') break;
    }
    const last = attemptResults.at(-1)!;
    return {
      journey: journey.name,
      location: this.#options.location,
      runId,
      status: last.status,
      startedAt,
      durationMs: attemptResults.reduce((sum, a) => sum + a.durationMs, 0),
      attempts: attemptResults.length,
      flaky: last.status === 'success' && attemptResults.length > 1,
      steps: last.steps,
      error: last.error,
      artifacts: mergeArtifacts(attemptResults),
      attemptResults,
    };
  }

  async #attempt(journey: JourneyDefinition, runId: string, attempt: number, log: RunnerLog | undefined): Promise<AttemptResult> {
    const { browsers } = this.#options;
    const started = performance.now();
    let context: BrowserContext | undefined;
    let generation = browsers.generation;
    try {
      const browser = await browsers.get();
      generation = browsers.generation;
      context = await withDeadline(browser.newContext(this.#options.contextOptions), BROWSER_CALL_TIMEOUT_MS, 'browser.newContext');
    } catch (error) {
      // A browser that no longer answers is replaced, so the next run does not hang on it too.
      if (error instanceof DeadlineError) await browsers.discard();
      return this.#proberError(attempt, started, `could not start a browser context: ${describeError(error).message}`);
    }
    const tracing = this.#tracing(attempt);
    try {
      if (tracing) await withDeadline(context.tracing.start({ screenshots: true, snapshots: true, sources: false, title: `${journey.name} ${runId} attempt ${attempt}` }), BROWSER_CALL_TIMEOUT_MS, 'tracing.start');
      return await this.#drive({ journey, runId, attempt, context, generation, tracing, log });
    } catch (error) {
      // pulse's own side broke (a page could not open, tracing failed): a prober error, never a crash.
      if (error instanceof DeadlineError) await browsers.discard();
      return this.#proberError(attempt, started, `pulse could not run the attempt: ${describeError(error).message}`);
    } finally {
      await this.#close(context, journey.name, runId, log);
    }
  }

  #proberError(attempt: number, started: number, message: string): AttemptResult {
    return { attempt, status: 'error', durationMs: performance.now() - started, steps: [], error: { message: this.#message(message) }, artifacts: {} };
  }

  /** Closes a run's context; one that will not close in time takes the browser with it, so the next run starts clean. */
  async #close(context: BrowserContext, journey: string, runId: string, log: RunnerLog | undefined): Promise<void> {
    const closed = await Promise.race([
      context.close().then(() => true, () => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), CONTEXT_CLOSE_TIMEOUT_MS).unref()),
    ]);
    if (closed) return;
    log?.warn({ journey, runId }, `browser context did not close within ${CONTEXT_CLOSE_TIMEOUT_MS} ms; relaunching the browser`);
    await this.#options.browsers.discard();
  }

  #tracing(attempt: number): boolean {
    const mode = this.#options.trace ?? 'on-retry';
    return mode === 'always' || (mode === 'on-retry' && attempt > 1);
  }

  async #drive(run: {
    journey: JourneyDefinition;
    runId: string;
    attempt: number;
    context: BrowserContext;
    generation: number;
    tracing: boolean;
    log: RunnerLog | undefined;
  }): Promise<AttemptResult> {
    const { journey, context, attempt } = run;
    const { browsers } = this.#options;
    const recorder = new EvidenceRecorder(context);
    // A context that closes before the attempt is decided was closed under us: the browser went away.
    let contextLost = false;
    let decided = false;
    context.on('close', () => {
      if (!decided) contextLost = true;
    });
    context.setDefaultTimeout(journey.stepTimeoutMs);
    context.setDefaultNavigationTimeout(journey.stepTimeoutMs);
    const page = await withDeadline(context.newPage(), BROWSER_CALL_TIMEOUT_MS, 'context.newPage');

    const steps: StepResult[] = [];
    let failedStep: string | undefined;
    let stepError: unknown;
    let running: { name: string; started: number } | undefined;

    const step: StepFn = async (name, body) => {
      const shown = this.#redact(name);
      if (decided) throw new StepSkippedError(`step '${shown}' not run: the attempt has ended`);
      if (failedStep !== undefined) {
        steps.push({ name: shown, status: 'skipped', durationMs: 0 });
        throw new StepSkippedError(`step '${shown}' skipped: step '${failedStep}' failed`);
      }
      recorder.stepApiErrors = [];
      const stepStarted = performance.now();
      running = { name: shown, started: stepStarted };
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new BudgetExceededError('step', journey.stepTimeoutMs)), journey.stepTimeoutMs);
      });
      try {
        const value = await Promise.race([Promise.resolve().then(body), budget]);
        if (!decided) steps.push({ name: shown, status: 'passed', durationMs: performance.now() - stepStarted });
        return value;
      } catch (error) {
        if (!decided && failedStep === undefined) {
          steps.push({ name: shown, status: 'failed', durationMs: performance.now() - stepStarted });
          failedStep = shown;
          stepError = error;
        }
        throw error;
      } finally {
        running = undefined;
        clearTimeout(timer);
      }
    };

    let runTimer: NodeJS.Timeout | undefined;
    const runBudget = new Promise<never>((_, reject) => {
      runTimer = setTimeout(() => reject(new BudgetExceededError('run', journey.timeoutMs)), journey.timeoutMs);
    });
    const bodyStarted = performance.now();
    const bodyRun = Promise.resolve().then(() => journey.body({ page, context, step, params: this.#options.params }));
    // The body may go on in the background after a timeout until the context closes; its end is of no interest.
    bodyRun.catch(() => undefined);

    let outcome: unknown;
    let ok = false;
    try {
      await Promise.race([bodyRun, runBudget]);
      ok = true;
    } catch (error) {
      outcome = error;
    } finally {
      clearTimeout(runTimer);
    }
    decided = true;
    const durationMs = performance.now() - bodyStarted;

    const lostBrowser = contextLost || !browsers.isConnected || browsers.generation !== run.generation;
    // A step failure the journey caught and swallowed is still a failure: the step did not pass.
    if (ok && !lostBrowser && failedStep === undefined) {
      this.#knownSteps.set(journey.name, steps.map((s) => s.name));
      const artifacts = run.tracing ? await this.#keepTrace(run, false) : {};
      return { attempt, status: 'success', durationMs, steps, artifacts };
    }

    // A run cut off by its budget still names the step it was in.
    if (outcome instanceof BudgetExceededError && outcome.scope === 'run' && failedStep === undefined) {
      if (running) {
        steps.push({ name: running.name, status: 'failed', durationMs: performance.now() - running.started });
        failedStep = running.name;
      }
      stepError = outcome;
    }
    const error = stepError ?? outcome;
    const status: RunStatus = lostBrowser ? 'error' : 'failure';
    const evidence = recorder.failureEvidence();
    const reason = status === 'failure' ? classifyFailure(error, evidence) : undefined;
    // On-call read the cause first: the error page behind a failed expect, the loading page behind a timeout.
    const cause = reason === 'http' ? `${evidence.httpErrors.join('; ')}\n` : reason === 'timeout' && evidence.stillLoading ? `the page was still waiting for ${evidence.pending.join(', ')}\n` : '';
    const runError: RunError = {
      message: this.#message(lostBrowser ? `browser disconnected during the run: ${describeError(error).message}` : `${cause}${describeError(error).message}`),
      step: failedStep,
      reason,
    };
    this.#markUnreached(journey.name, steps, failedStep);
    const dir = path.join(artifactsDir(this.#options.dataDir), journey.name, run.runId);
    const captured = lostBrowser
      ? {}
      : await captureEvidence({
          page,
          recorder,
          dir,
          root: artifactsDir(this.#options.dataDir),
          prefix: `attempt-${attempt}-`,
          redact: this.#redact,
          onProblem: (what, problem) => run.log?.warn({ journey: journey.name, runId: run.runId, err: describeError(problem).message }, `could not capture the ${what}`),
        });
    const trace = run.tracing && !lostBrowser ? await this.#keepTrace(run, true) : {};
    return { attempt, status, durationMs, steps, error: runError, artifacts: { ...captured, ...trace } };
  }

  #markUnreached(journey: string, steps: StepResult[], failedStep: string | undefined): void {
    const known = this.#knownSteps.get(journey);
    if (!known || failedStep === undefined) return;
    const seen = new Set(steps.map((s) => s.name));
    for (const name of known) if (!seen.has(name)) steps.push({ name, status: 'skipped', durationMs: 0 });
  }

  async #keepTrace(run: { journey: JourneyDefinition; runId: string; attempt: number; context: BrowserContext; log: RunnerLog | undefined }, keep: boolean): Promise<Artifacts> {
    try {
      if (!keep) {
        await run.context.tracing.stop();
        return {};
      }
      const dir = path.join(artifactsDir(this.#options.dataDir), run.journey.name, run.runId);
      await mkdir(dir, { recursive: true });
      const target = path.join(dir, `attempt-${run.attempt}-trace.zip`);
      await run.context.tracing.stop({ path: target });
      redactTrace(target, this.#redact);
      return { trace: path.relative(artifactsDir(this.#options.dataDir), target) };
    } catch (error) {
      run.log?.warn({ journey: run.journey.name, runId: run.runId, err: describeError(error).message }, 'could not save the trace');
      return {};
    }
  }

  #message(text: string): string {
    const plain = this.#redact(stripAnsi(text));
    return plain.length > MAX_ERROR_LENGTH ? `${plain.slice(0, MAX_ERROR_LENGTH)}…` : plain;
  }
}

/** Where evidence files live; Artifacts paths are relative to it. */
export function artifactsDir(dataDir: string): string {
  return path.join(dataDir, 'artifacts');
}

/** Sortable and readable: the UTC start second plus randomness, e.g. 20261126T064512Z-3f9a1c. */
export function newRunId(date = new Date()): string {
  const stamp = date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The deciding attempt's evidence first; earlier attempts fill in what it lacks (e.g. a screenshot). */
function mergeArtifacts(attempts: AttemptResult[]): Artifacts {
  const merged: Artifacts = {};
  for (const attempt of attempts) {
    for (const [key, value] of Object.entries(attempt.artifacts) as [keyof Artifacts, string][]) merged[key] = value;
  }
  return merged;
}

