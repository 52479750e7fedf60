// One attempt of one journey, inside a worker: a fresh context in the worker's own browser, steps
// timed and reported as they happen, the budget kept, evidence on failure.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright';
import { runArtifactsDir } from '../artifacts.ts';
import type { JourneyBody, JourneyParams, StepFn } from '../journey.ts';
import { failedAttempt } from '../attempt-ending.ts';
import type { Redactor } from '../redact.ts';
import type { Artifacts, CertificateInfo, Observations } from '../result.ts';
import { BodyClock, findEnd, runBody } from './body.ts';
import { describeError } from '../errors.ts';
import { stripAnsi } from './classify.ts';
import { DeadlineError, withDeadline } from './deadline.ts';
import { EvidenceRecorder, captureEvidence } from './evidence.ts';
import { JourneyWatch } from './journey-watch.ts';
import type { OwnOrigins } from '../origins.ts';
import { decideOutcome } from './outcome.ts';
import type { AttemptPhase, AttemptReport } from '../worker-protocol.ts';
import { StepLog, stepFunction, type StepEvents } from './steps.ts';
import { redactTrace } from './trace-redaction.ts';
import { markTraffic, type TrafficMarkerOptions } from './traffic-marker.ts';
import type { TargetCrash } from './own-browser.ts';
import { VITALS_SCRIPT, VitalsReader } from './vitals.ts';

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
  /** What the worker's browser said of targets that died since a moment (performance.now()): why a renderer ended. */
  crashesSince?: (since: number) => readonly TargetCrash[];
}

/** What an attempt reports; which worker ran it, the daemon's side knows. */
type Report = Omit<AttemptReport, 'workerPid'>;

const MAX_ERROR_LENGTH = 4_000;
const CONTEXT_CLOSE_TIMEOUT_MS = 10_000;
const CRASH_REPORT_WAIT_MS = 500;
/** Opening a context or page takes milliseconds; this long means the browser stopped answering. */
export const BROWSER_CALL_TIMEOUT_MS = 30_000;

/**
 * A call of pulse's own to the browser: its answer, an error as soon as the browser goes away
 * (Playwright may leave a page being opened then waiting forever), or a DeadlineError when the
 * browser stops answering.
 */
async function browserCall<T>(browser: Browser, call: Promise<T>, what: string): Promise<T> {
  let gone: () => void = () => undefined;
  const disconnected = new Promise<never>((_, reject) => {
    gone = () => reject(new Error(`${what} was cut off: the browser went away`));
  });
  browser.once('disconnected', gone);
  if (!browser.isConnected()) gone();
  try {
    return await withDeadline(Promise.race([call, disconnected]), BROWSER_CALL_TIMEOUT_MS, what);
  } finally {
    browser.off('disconnected', gone);
  }
}

/** Runs one attempt; never throws: whatever breaks becomes the attempt's result. */
export async function runAttempt(options: AttemptOptions): Promise<Report> {
  const { browser, attempt } = options;
  const started = performance.now();
  const message = (text: string) => shorten(options.redact(stripAnsi(text)));
  // A call of pulse's own that ran out of time means the browser stopped answering: the daemon replaces it.
  // The message says so, for on-call: "context.newPage did not answer" alone does not name the browser.
  // A browser that went away (killed, crashed) says so first: that, not the call it broke, is what on-call act on.
  const proberError = (text: string, error: unknown): Report => {
    const so = { attempt, durationMs: performance.now() - started };
    if (!browser.isConnected())
      return { result: failedAttempt({ kind: 'browser-lost' }, { message: message(`browser disconnected during the run: ${text}`) }, so), browser: 'lost' };
    const unresponsive = error instanceof DeadlineError;
    const said = unresponsive ? `${text} (the browser stopped answering; its worker is replaced)` : text;
    return {
      result: failedAttempt({ kind: 'not-run' }, { message: message(said) }, so),
      ...(unresponsive ? { browser: 'unresponsive' as const } : {}),
    };
  };

  options.events.phase('setup');
  let context: BrowserContext;
  try {
    context = await browserCall(browser, browser.newContext(options.contextOptions), 'browser.newContext');
  } catch (error) {
    return withBrowserAfter(browser, proberError(`could not start a browser context: ${describeError(error).message}`, error));
  }
  if (options.marker) markTraffic(context, options.marker);
  let report: Report;
  try {
    if (options.tracing) {
      const title = `${options.journey.name} ${options.runId} attempt ${attempt}`;
      await browserCall(options.browser, context.tracing.start({ screenshots: true, snapshots: true, sources: false, title }), 'tracing.start');
    }
    report = await drive(options, context, message, started);
  } catch (error) {
    // pulse's own side broke (a page could not open, tracing failed): a prober error, never a crash.
    report = proberError(`pulse could not run the attempt: ${describeError(error).message}`, error);
  }
  const closed = await closeContext(context);
  if (!closed)
    options.log?.warn({ journey: options.journey.name, runId: options.runId }, `browser context did not close within ${CONTEXT_CLOSE_TIMEOUT_MS} ms`);
  return withBrowserAfter(browser, closed ? report : { ...report, browser: 'unresponsive' });
}

/** The browser as the attempt leaves it: what the attempt found out (unresponsive, closed by the journey), else whether it is still connected. */
function withBrowserAfter(browser: Browser, report: Report): Report {
  return { ...report, browser: report.browser ?? (browser.isConnected() ? 'ok' : 'lost') };
}

/** Chromium's word on why a renderer ended comes on another session, a moment after the page's crash event: wait that moment. */
async function crashReport(options: AttemptOptions, since: number): Promise<TargetCrash | undefined> {
  if (!options.crashesSince) return undefined;
  for (let waited = 0; waited < CRASH_REPORT_WAIT_MS; waited += 25) {
    const [crash] = options.crashesSince(since);
    if (crash) return crash;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}

/** What an attempt sets up before its body runs: the page, what listens to it, and the step() the body is given. */
interface Stage {
  context: BrowserContext;
  page: Page;
  recorder: EvidenceRecorder;
  log: StepLog;
  watch: JourneyWatch;
  clock: BodyClock;
  step: StepFn;
}

async function drive(options: AttemptOptions, context: BrowserContext, message: (text: string) => string, started: number): Promise<Report> {
  const { attempt, events } = options;
  const stage = await setUp(options, context);
  const { page, recorder, log, watch, clock, step } = stage;

  events.phase('body');
  const ran = await runBody({ body: options.body, lent: { page, context, step, params: options.params }, clock, watch, fault: options.fault });
  log.end();
  watch.release();
  const durationMs = clock.elapsed();
  events.phase('capture');

  const end = await findEnd({ ran, durationMs, clock, log, watch });
  const lost = watch.lost();
  // Whatever ended the attempt (budget, fault, crash), a step still running then is the one it broke in.
  if (end.kind === 'broke' && end.error !== undefined) log.cutOff(end.error);
  const crash = lost === 'renderer' ? await crashReport(options, started) : undefined;
  const decision = decideOutcome({ end, failed: log.failed, lost, crash, network: recorder.network, message });
  const closedBrowser = watch.closed?.call === 'browser.close()' ? { browser: 'closed' as const } : {};
  if (decision.status === 'success') {
    const artifacts = options.tracing ? await keepTrace(options, context, false) : {};
    return { result: { attempt, status: 'success', durationMs, steps: log.steps, artifacts, ...(await keptForEveryRun(options, recorder)) }, ...closedBrowser };
  }
  // A browser that went away, or a context the journey closed, has nothing left to capture.
  const artifacts = decision.status === 'failure' && !watch.closed ? await captureFailure(options, stage) : {};
  // Gone while pulse took the evidence (a renderer that ran out of memory serialising a huge page can
  // take the browser with it): the failure was decided before and stands; the browser is replaced.
  const lostInCapture = decision.status === 'failure' && lost === undefined && !options.browser.isConnected() ? { browser: 'lost-in-capture' as const } : {};
  return {
    result: {
      attempt,
      status: decision.status,
      durationMs,
      steps: log.steps,
      error: decision.error,
      cause: decision.cause,
      artifacts,
      ...(await keptForEveryRun(options, recorder)),
    },
    ...closedBrowser,
    ...lostInCapture,
    // The journey's own code decided the attempt: its worker is not reused.
    ...(decision.journeyFault !== undefined ? { ended: { reason: 'fault' as const, message: decision.journeyFault, during: 'journey' as const } } : {}),
  };
}

async function setUp(options: AttemptOptions, context: BrowserContext): Promise<Stage> {
  const { journey } = options;
  const recorder = new EvidenceRecorder(context, options.ownOrigins, options.observe);
  context.setDefaultTimeout(journey.stepTimeoutMs);
  context.setDefaultNavigationTimeout(journey.stepTimeoutMs);
  const vitals = options.vitals ? new VitalsReader(context) : undefined;
  if (vitals) await browserCall(options.browser, context.addInitScript(VITALS_SCRIPT), 'context.addInitScript');
  const page = await browserCall(options.browser, context.newPage(), 'context.newPage');
  const log = new StepLog(options.events);
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
  return { context, page, recorder, log, watch, clock, step };
}

/** Screenshot, page HTML and console log at the moment the attempt failed, and its trace when tracing. */
async function captureFailure(options: AttemptOptions, { context, page, recorder }: Pick<Stage, 'context' | 'page' | 'recorder'>): Promise<Artifacts> {
  const { journey, runId } = options;
  const captured = await captureEvidence({
    page,
    recorder,
    dir: runArtifactsDir(options.artifactsRoot, journey.name, runId),
    root: options.artifactsRoot,
    prefix: `attempt-${options.attempt}-`,
    redact: options.redact,
    onProblem: (what, problem) => options.log?.warn({ journey: journey.name, runId, err: describeError(problem).message }, `could not capture the ${what}`),
  });
  const trace = options.tracing ? await keepTrace(options, context, true) : {};
  return { ...captured, ...trace };
}

/** What every attempt keeps, whatever its outcome: the summary of its requests and console, the own origins' certificates. */
async function keptForEveryRun(options: AttemptOptions, recorder: EvidenceRecorder): Promise<{ observed?: Observations; certificates?: CertificateInfo[] }> {
  return { ...observed(recorder, options), ...(await certificates(recorder)) };
}

/** The run's summary, with secrets redacted from every request key and console line: it is kept for every run. */
function observed(recorder: EvidenceRecorder, { observe, redact }: Pick<AttemptOptions, 'observe' | 'redact'>): { observed?: Observations } {
  if (!observe) return {};
  const { requests, console } = recorder.observations();
  return {
    observed: {
      requests: requests.map((request) => ({ ...request, key: redact(request.key), outcome: redact(request.outcome) })),
      console: console.map((line) => redact(line)),
    },
  };
}

/** The own origins' certificates, when any was reached over https; waits at most a moment for the browser's answers. */
async function certificates(recorder: EvidenceRecorder): Promise<{ certificates?: CertificateInfo[] }> {
  const found = await withDeadline(recorder.network.certificates(), 2_000, 'certificate details').catch(() => []);
  return found.length > 0 ? { certificates: found } : {};
}

/** Closes a run's context; false when it would not close in time (the browser stopped answering). */
async function closeContext(context: BrowserContext): Promise<boolean> {
  return Promise.race([
    context.close().then(
      () => true,
      () => true,
    ),
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
