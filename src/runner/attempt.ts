// One attempt of one journey, inside a worker: a fresh context on the worker's own connection to
// the shared browser, steps timed and reported as they happen, the budget kept, evidence on failure.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright';
import { runArtifactsDir } from '../artifacts.ts';
import type { JourneyBody, JourneyParams, StepFn } from '../journey.ts';
import type { Redactor } from '../redact.ts';
import type { Artifacts, AttemptResult, CertificateInfo, Observations, PageVitals, RunError, RunStatus, StepNetwork, StepResult } from '../result.ts';
import { BudgetExceededError, JourneyFaultError, StepSkippedError, describeError, isTimeout, judgeFailure, stripAnsi } from './classify.ts';
import { Deadline, DeadlineError, withDeadline } from './deadline.ts';
import { EvidenceRecorder, captureEvidence } from './evidence.ts';
import { JourneyWatch } from './journey-watch.ts';
import { StepLog, stepFunction, type StepEvents } from './steps.ts';
import { BodyClock } from './body.ts';
import type { OwnOrigins } from './origins.ts';
import { VITALS_SCRIPT, VitalsReader } from './vitals.ts';
import type { AttemptPhase } from './protocol.ts';
import { redactTrace } from './trace-redaction.ts';
import { markTraffic, type TrafficMarkerOptions } from './traffic-marker.ts';

/** Where an attempt reports what went wrong on pulse's side; a pino logger fits. */
export interface AttemptLog {
  warn(fields: object, message: string): void;
}

/** Streamed to the daemon as they happen, so a worker that dies still leaves its steps behind. */
export interface AttemptEvents extends StepEvents {
  phase(phase: AttemptPhase): void;
}

export interface AttemptOptions {
  body: JourneyBody;
  journey: { name: string; timeoutMs: number; stepTimeoutMs: number };
  runId: string;
  attempt: number;
  browser: Browser;
  contextOptions: BrowserContextOptions;
  params: JourneyParams;
  /** Collect web vitals per step (a script in every page, one read at the end of each step). */
  vitals: boolean;
  /** Keep the per-run summary of requests and console lines. */
  observe: boolean;
  /** The journey's own origins: failures there are the target's; filled from the first page load when empty. */
  ownOrigins: OwnOrigins;
  tracing: boolean;
  artifactsRoot: string;
  /** Marks requests to the journey's own origins (traffic-marker.ts); nothing is marked without it. */
  marker?: TrafficMarkerOptions;
  redact: Redactor;
  events: AttemptEvents;
  log?: AttemptLog;
  /** Rejects when journey code misbehaves outside the chain the attempt awaits (a throw in a timer, process.exit). */
  fault?: Promise<never>;
}

export interface AttemptOutcome {
  result: AttemptResult;
  /** The browser stopped answering pulse's own calls: the daemon should replace it. */
  browserUnresponsive: boolean;
  /** What the journey's own code did wrong, when that decided the attempt: its worker is not reused. */
  journeyFault?: string;
}

const MAX_ERROR_LENGTH = 4_000;
const CLOSED_TARGET = /Target page, context or browser has been closed|Browser (has been )?closed|Target closed|browser has disconnected/i;
const CONTEXT_CLOSE_TIMEOUT_MS = 10_000;
/** Opening a context or page takes milliseconds; this long means the browser stopped answering. */
export const BROWSER_CALL_TIMEOUT_MS = 30_000;

/** Runs one attempt; never throws: whatever breaks becomes the attempt's result. */
export async function runAttempt(options: AttemptOptions): Promise<AttemptOutcome> {
  const { browser, attempt } = options;
  const started = performance.now();
  const message = (text: string) => shorten(options.redact(stripAnsi(text)));
  const proberError = (text: string, browserUnresponsive: boolean): AttemptOutcome => ({
    result: { attempt, status: 'error', durationMs: performance.now() - started, steps: [], error: { message: message(text) }, cause: 'prober', artifacts: {} },
    browserUnresponsive,
  });

  options.events.phase('setup');
  let context: BrowserContext;
  try {
    context = await withDeadline(browser.newContext(options.contextOptions), BROWSER_CALL_TIMEOUT_MS, 'browser.newContext');
  } catch (error) {
    return proberError(`could not start a browser context: ${describeError(error).message}`, error instanceof DeadlineError);
  }
  if (options.marker) markTraffic(context, options.marker);
  let outcome: AttemptOutcome;
  try {
    if (options.tracing) {
      const title = `${options.journey.name} ${options.runId} attempt ${attempt}`;
      await withDeadline(context.tracing.start({ screenshots: true, snapshots: true, sources: false, title }), BROWSER_CALL_TIMEOUT_MS, 'tracing.start');
    }
    outcome = await drive(options, context, message);
  } catch (error) {
    // pulse's own side broke (a page could not open, tracing failed): a prober error, never a crash.
    outcome = proberError(`pulse could not run the attempt: ${describeError(error).message}`, error instanceof DeadlineError);
  }
  const closed = await closeContext(context);
  if (!closed) options.log?.warn({ journey: options.journey.name, runId: options.runId }, `browser context did not close within ${CONTEXT_CLOSE_TIMEOUT_MS} ms`);
  return { ...outcome, browserUnresponsive: outcome.browserUnresponsive || !closed };
}

async function drive(options: AttemptOptions, context: BrowserContext, message: (text: string) => string): Promise<AttemptOutcome> {
  const { journey, attempt, events } = options;
  const recorder = new EvidenceRecorder(context, options.ownOrigins, options.observe);
  context.setDefaultTimeout(journey.stepTimeoutMs);
  context.setDefaultNavigationTimeout(journey.stepTimeoutMs);
  const vitals = options.vitals ? new VitalsReader(context) : undefined;
  if (vitals) await withDeadline(context.addInitScript(VITALS_SCRIPT), BROWSER_CALL_TIMEOUT_MS, 'context.addInitScript');
  const page = await withDeadline(context.newPage(), BROWSER_CALL_TIMEOUT_MS, 'context.newPage');
  const log = new StepLog(events);
  const watch = new JourneyWatch(options.browser, context, page, () => log.running);
  const clock = new BodyClock(journey.timeoutMs);
  const step = stepFunction({
    log,
    stepTimeoutMs: journey.stepTimeoutMs,
    clock,
    redact: options.redact,
    network: recorder.network,
    vitals: vitals ? { reader: vitals, page } : undefined,
    callsInFlight: () => watch.callsInFlight(),
  });

  events.phase('body');
  const runBudget = new Deadline(journey.timeoutMs, () => new BudgetExceededError('run', journey.timeoutMs, watch.callsInFlight()));
  clock.start();
  const bodyRun = Promise.resolve().then(() => options.body({ page, context, step, params: options.params }));
  // The body may go on in the background after a timeout until the context closes; its end is of no interest.
  bodyRun.catch(() => undefined);
  let ended: unknown;
  let ok = false;
  try {
    await Promise.race([bodyRun, runBudget.expired, watch.crashed, ...(options.fault ? [options.fault] : [])]);
    ok = true;
  } catch (error) {
    ended = error;
  } finally {
    runBudget.cancel();
  }
  log.end();
  watch.release();
  const durationMs = clock.elapsed();
  events.phase('capture');

  // A body that ends after its budget without the budget's timer firing kept the event loop to itself.
  if (ok && durationMs > journey.timeoutMs && !runBudget.fired) {
    ok = false;
    ended = new JourneyFaultError(`journey code kept its worker busy for ${Math.round(durationMs)} ms, past the run budget of ${journey.timeoutMs} ms (a synchronous loop or a blocking call?)`);
    log.failAt(clock.budgetEnd, ended);
  }
  // A closed target often fails the step a moment before the connection reports why: give it that moment.
  if (!ok && !watch.browserLost && !watch.closed && CLOSED_TARGET.test(describeError(log.failed?.error ?? ended).message)) await watch.disconnected(1_000);
  if (watch.closed) {
    ok = false;
    ended = new JourneyFaultError(`the journey called ${watch.closed.call}: pulse owns the browser and the context; a journey must leave them open`);
    if (watch.closed.inStep) log.failNamed(watch.closed.inStep, ended);
  }
  const lost = watch.lost();
  if (ok && !lost && !log.failed) {
    const artifacts = options.tracing ? await keepTrace(options, context, false) : {};
    return { result: { attempt, status: 'success', durationMs, steps: log.steps, artifacts, ...observed(recorder, options), ...(await certificates(recorder)) }, browserUnresponsive: false };
  }

  // Whatever ended the attempt (budget, fault, crash), a step still running then is the one it broke in.
  if (ended !== undefined) log.cutOff(ended);
  // A fault of the journey's own code outranks what a step saw next: a closed browser makes every later call fail.
  const error = ended instanceof JourneyFaultError ? ended : (log.failed?.error ?? ended);
  const status: RunStatus = lost ? 'error' : 'failure';
  const network = recorder.network;
  const verdict =
    status === 'failure'
      ? judgeFailure(error, { problems: network.problems({ timedOut: isTimeout(error) }), document: network.documentProblem(), stillLoading: network.stillLoading(), pending: network.pending() })
      : undefined;
  const lostWhat = lost === 'renderer' ? "the page's renderer crashed (not the target's doing as far as pulse can tell)" : 'browser disconnected during the run';
  // On-call read what broke first: the request that answered 500, then what the step noticed.
  const lead = verdict?.lead.length ? `${verdict.lead.join('\n')}\n` : '';
  const runError: RunError = {
    message: message(lost ? `${lostWhat}: ${describeError(error).message}` : `${lead}${describeError(error).message}`),
    step: log.failed?.name,
    reason: verdict?.reason,
  };
  const dir = runArtifactsDir(options.artifactsRoot, journey.name, options.runId);
  const captured =
    lost || watch.closed
      ? {}
      : await captureEvidence({
          page,
          recorder,
          dir,
          root: options.artifactsRoot,
          prefix: `attempt-${attempt}-`,
          redact: options.redact,
          onProblem: (what, problem) => options.log?.warn({ journey: journey.name, runId: options.runId, err: describeError(problem).message }, `could not capture the ${what}`),
        });
  const trace = options.tracing && !lost && !watch.closed ? await keepTrace(options, context, true) : {};
  return {
    result: { attempt, status, durationMs, steps: log.steps, error: runError, cause: verdict?.cause ?? 'prober', artifacts: { ...captured, ...trace }, ...observed(recorder, options), ...(await certificates(recorder)) },
    browserUnresponsive: false,
    ...(error instanceof JourneyFaultError ? { journeyFault: runError.message } : {}),
  };
}

/** The run's summary, with secrets redacted from every request key and console line: it is kept for every run. */
function observed(recorder: EvidenceRecorder, { observe, redact }: Pick<AttemptOptions, 'observe' | 'redact'>): { observed?: Observations } {
  if (!observe) return {};
  const { requests, console } = recorder.observations();
  return { observed: { requests: requests.map((request) => ({ ...request, key: redact(request.key), outcome: redact(request.outcome) })), console: console.map((line) => redact(line)) } };
}

/** The own origins' certificates, when any was reached over https; waits at most a moment for the browser's answers. */
async function certificates(recorder: EvidenceRecorder): Promise<{ certificates?: CertificateInfo[] }> {
  const found = await withDeadline(recorder.network.certificates(), 2_000, 'certificate details').catch(() => []);
  return found.length > 0 ? { certificates: found } : {};
}

/** Closes a run's context; false when it would not close in time (the browser stopped answering). */
async function closeContext(context: BrowserContext): Promise<boolean> {
  return Promise.race([
    context.close().then(() => true, () => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), CONTEXT_CLOSE_TIMEOUT_MS).unref()),
  ]);
}

async function keepTrace(options: AttemptOptions, context: BrowserContext, keep: boolean): Promise<Artifacts> {
  try {
    if (!keep) {
      await withDeadline(context.tracing.stop(), BROWSER_CALL_TIMEOUT_MS, 'tracing.stop');
      return {};
    }
    const dir = runArtifactsDir(options.artifactsRoot, options.journey.name, options.runId);
    await mkdir(dir, { recursive: true });
    const target = path.join(dir, `attempt-${options.attempt}-trace.zip`);
    await withDeadline(context.tracing.stop({ path: target }), BROWSER_CALL_TIMEOUT_MS, 'tracing.stop');
    redactTrace(target, options.redact);
    return { trace: path.relative(options.artifactsRoot, target) };
  } catch (error) {
    options.log?.warn({ journey: options.journey.name, runId: options.runId, err: describeError(error).message }, 'could not save the trace');
    return {};
  }
}

function shorten(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}
