// The journey worker: a child process of the daemon that imports journey files and runs their
// attempts. Whatever journey code does here is caught, attributed to the attempt, and reported;
// what cannot be caught (a blocked loop, a native crash, memory) ends this process, not the daemon.
import { performance } from 'node:perf_hooks';
import type { Browser } from 'playwright';
import type { JourneyParams } from '../journey.ts';
import { createRedactor, growingRedactor, sessionSecrets, type Redactor } from '../redact.ts';
import { importJourneyFile } from '../registry/import-journey.ts';
import type { AttemptResult } from '../result.ts';
import { failedAttempt, type Ending } from '../attempt-ending.ts';
import { runAttempt } from './attempt.ts';
import { describeError } from '../errors.ts';
import { JourneyFaultError, stripAnsi } from './classify.ts';
import { withDeadline } from './deadline.ts';
import { GlobalsGuard } from './globals-guard.ts';
import { OwnOrigins } from '../origins.ts';
import { OwnBrowser } from './own-browser.ts';
import type { AttemptRequest, BrowserAfterAttempt, FromWorker, SessionReport, ToWorker } from '../worker-protocol.ts';
import { sessionBody } from './session-body.ts';
import { trafficMarkerFor } from './traffic-marker.ts';

// pulse's own references, taken before any journey code can replace them.
const send = process.send!.bind(process);
const exit = process.exit.bind(process);
const now = performance.now.bind(performance);
const post = (message: FromWorker) => {
  try {
    send(message);
  } catch {
    // The daemon is gone; 'disconnect' ends this process.
  }
};

/** The attempt in progress, for faults raised outside its awaited chain. */
let current: { journey: string; raise: (error: JourneyFaultError) => void } | undefined;
/** The journey that ran last, to name it when one of its leftovers misbehaves later. */
let lastJourney: string | undefined;

function fault(error: JourneyFaultError): void {
  if (current) {
    current.raise(error);
    return;
  }
  // Nothing is running: a leftover of an earlier attempt. Say whose, then leave; the daemon starts a fresh worker.
  post({ type: 'stray-fault', journey: lastJourney, message: error.message });
  setImmediate(() => exit(70));
}

function describeThrown(what: string, thrown: unknown): JourneyFaultError {
  const { name, message } = describeError(thrown);
  const at = thrown instanceof Error ? journeyFrame(thrown.stack) : undefined;
  return new JourneyFaultError(`${what}: ${name}: ${message}${at ? ` (at ${at})` : ''}`);
}

/** The first stack frame in a journey file, e.g. journeys/checkout.journey.ts:12. */
function journeyFrame(stack: string | undefined): string | undefined {
  const match = /\(?(?:file:\/\/)?([^\s()]+\.journey\.ts):(\d+):\d+\)?/.exec(stack ?? '');
  return match ? `${match[1]}:${match[2]}` : undefined;
}

process.on('uncaughtException', (error) => fault(describeThrown('journey code threw outside any awaited step', error)));
process.on('unhandledRejection', (reason) => fault(describeThrown('a promise in journey code rejected with nobody awaiting it', reason)));
// A journey must not end the process it shares with later runs; it gets an error instead.
process.exit = (code?: number | string | null) => {
  const error = new JourneyFaultError(`the journey called process.exit(${code ?? ''}); a journey must not end its process`);
  if (current) current.raise(error);
  throw error;
};
// The daemon went away: nobody is left to report to.
process.on('disconnect', () => exit(0));

/** The worker's own browser, launched when the daemon sends its options and kept warm across attempts. */
let ownBrowser: OwnBrowser | undefined;

const redactors = new Map<string, Redactor>();
function redactorFor(secrets: string[], partners: string[]): Redactor {
  const key = JSON.stringify([secrets, partners]);
  let redact = redactors.get(key);
  if (!redact) redactors.set(key, (redact = createRedactor(secrets, partners)));
  return redact;
}

async function attempt(request: AttemptRequest): Promise<void> {
  const { journey } = request;
  lastJourney = journey.name;
  let raise: (error: JourneyFaultError) => void = () => undefined;
  const faulted = new Promise<never>((_, reject) => {
    raise = reject;
  });
  faulted.catch(() => undefined);
  let faultMessage: string | undefined;
  current = {
    journey: journey.name,
    raise: (error) => {
      faultMessage ??= error.message;
      raise(error);
    },
  };
  // A journey's kept session: its values are hidden from everything the attempt reports or keeps.
  const kept = request.session?.state;
  const growing = request.session ? growingRedactor(redactorFor(request.secrets, request.partners), request.partners) : undefined;
  if (growing && kept) growing.add(sessionSecrets(kept));
  const redact = growing ?? redactorFor(request.secrets, request.partners);
  let sessionReport: SessionReport | undefined;
  const started = now();
  const failed = (ending: Ending, message: string): AttemptResult =>
    failedAttempt(ending, { message: redact(stripAnsi(message)) }, { attempt: request.attempt, durationMs: now() - started });

  let result: AttemptResult;
  let browserAfter: BrowserAfterAttempt | undefined = 'ok';
  let browser: Browser | undefined;
  try {
    post({ type: 'phase', phase: 'import' });
    const imported = await Promise.race([
      withDeadline(importJourneyFile(journey.source, journey.source), journey.timeoutMs, `importing ${journey.source}`),
      faulted,
    ]).catch((error: unknown) => ({ failure: describeError(error).message }));
    if ('failure' in imported) {
      result = failed({ kind: 'not-loaded' }, `the journey file did not load: ${imported.failure}`);
      faultMessage ??= result.error!.message;
    } else if (!imported.journey) {
      result = failed({ kind: 'not-loaded' }, `the journey file did not load: ${imported.problems.map((p) => p.message).join('; ')}`);
    } else {
      post({ type: 'phase', phase: 'setup' });
      try {
        if (!ownBrowser) throw new Error('the daemon sent no launch options');
        browser = await ownBrowser.get();
      } catch (error) {
        result = failed({ kind: 'not-run' }, `could not launch the browser: ${describeError(error).message}`);
      }
      if (browser) {
        const params = Object.freeze({ ...request.params }) as JourneyParams;
        const declared = imported.journey.options.session;
        // Only the session the daemon handed over, and only to the journey that declares it by that name.
        const session = request.session && declared?.options.name === request.session.name ? declared : undefined;
        const report = await runAttempt({
          body:
            session && growing
              ? sessionBody({ body: imported.journey.body, session, kept, redact: growing, report: (outcome) => (sessionReport = outcome) })
              : imported.journey.body,
          journey,
          runId: request.runId,
          attempt: request.attempt,
          browser,
          contextOptions: session && kept ? { ...request.contextOptions, storageState: kept } : request.contextOptions,
          params,
          ownOrigins: new OwnOrigins([params.baseUrl, ...journey.origins].filter((entry): entry is string => typeof entry === 'string' && entry !== '')),
          tracing: request.tracing,
          vitals: request.vitals,
          observe: request.observe,
          artifactsRoot: request.artifactsRoot,
          marker: trafficMarkerFor(request, (message) => post({ type: 'log', fields: { journey: journey.name, runId: request.runId }, message })),
          redact,
          fault: faulted,
          crashesSince: (since) => ownBrowser?.crashesSince(since) ?? [],
          log: { warn: (fields, message) => post({ type: 'log', fields: { ...fields }, message }) },
          events: {
            phase: (phase) => post({ type: 'phase', phase }),
            stepStarted: (name) => post({ type: 'step-started', name }),
            stepEnded: (step) => post({ type: 'step-ended', step }),
          },
        });
        result = report.result;
        browserAfter = report.browser;
        if (report.ended) faultMessage ??= report.ended.message;
      } else {
        result ??= failed({ kind: 'not-run' }, 'could not launch the browser');
      }
    }
  } catch (error) {
    result = failed({ kind: 'not-run' }, `pulse could not run the attempt: ${describeError(error).message}`);
  } finally {
    current = undefined;
  }

  const replaced = guard.changed();
  if (replaced.length > 0) {
    const message = `the journey replaced ${replaced.join(', ')}; a journey must not change the built-ins it shares with pulse`;
    faultMessage ??= message;
    if (result.status === 'success') result = failedAttempt({ kind: 'replaced-globals' }, { message }, result);
  }
  // A fault of the journey's code, whenever raised, leaves the worker unfit for another attempt.
  post({
    type: 'attempt-done',
    report: {
      result,
      browser: browserAfter,
      ...(faultMessage ? { ended: { reason: 'fault', message: faultMessage, during: 'journey' } } : {}),
      ...(sessionReport ? { session: sessionReport } : {}),
    },
  });
}

/** Launches the worker's browser before it takes a run; a failure is reported, and the first attempt tries again. */
async function launch({ options }: Extract<ToWorker, { type: 'launch' }>): Promise<void> {
  ownBrowser ??= new OwnBrowser(options, {
    launched: (pid, relaunch) => post({ type: 'browser-launched', pid, relaunch }),
    failed: (message) => post({ type: 'browser-failed', message }),
  });
  await ownBrowser.get().catch(() => undefined);
}

async function load(file: string, shown: string): Promise<void> {
  const imported = await importJourneyFile(file, shown);
  post({ type: 'loaded', file, definition: imported.definition, problems: imported.problems });
}

// Warm up before the baseline of the globals: Playwright and the authoring entry journeys import.
await import('../index.ts');
const guard = new GlobalsGuard();

process.on('message', (message: ToWorker) => {
  if (message.type === 'launch') void launch(message);
  else if (message.type === 'attempt') void attempt(message.request);
  else if (message.type === 'load') void load(message.file, message.shown);
});
post({ type: 'ready' });
