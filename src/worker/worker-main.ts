// The journey worker: a child process of the daemon that imports journey files and runs their
// attempts. Whatever journey code does here is caught, attributed to the attempt, and reported;
// what cannot be caught (a blocked loop, a native crash, memory) ends this process, not the daemon.
import path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { Browser, BrowserContextOptions } from 'playwright';
import { SECRET_PARAM_NAMES, type JourneyParams, type JourneyVersion, type SpecLoad } from '../journey.ts';
import { createRedactor, growingRedactor, sessionSecrets, type Redactor } from '../redact.ts';
import { importFile, type ImportedFile } from '../registry/import-journey.ts';
import { JourneyVersions } from '../registry/journey-version.ts';
import type { AttemptResult } from '../result.ts';
import { failedAttempt, type Ending } from '../attempt-ending.ts';
import { runAttempt } from './attempt.ts';
import { describeError, PulseError } from '../errors.ts';
import { loadPlaywrightUse } from '../playwright-use.ts';
import { JourneyFaultError, stripAnsi } from './classify.ts';
import { withDeadline } from './deadline.ts';
import { settleLazyGlobals } from './globals-guard.ts';
import { LeftoverCheck } from './leftovers.ts';
import { OwnOrigins } from '../origins.ts';
import { OwnBrowser } from './own-browser.ts';
import type {
  AttemptRequest,
  BrowserAfterAttempt,
  ConfigRead,
  FromWorker,
  Leftover,
  SessionReport,
  SessionState,
  ToWorker,
  WorkerEndReason,
  WorkerEnding,
} from '../worker-protocol.ts';
import { redirectPlaywrightTest } from '../spec/redirect.ts';
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

/** The memory cap the daemon gave this worker (PULSE_WORKER_MEMORY), its first argument. */
const capBytes = Number(process.argv[2]);
/** playwright.config.ts to read before `ready`, its second argument when the daemon asks for it. */
const configToRead = process.argv[3] === undefined ? undefined : (JSON.parse(process.argv[3]) as { file: string; required: boolean });

/** The attempt in progress, for faults raised outside its awaited chain. */
let current: { runId: string; raise: (error: JourneyFaultError) => void } | undefined;
/** The journey that ran last, to name it when one of its leftovers misbehaves later. */
let lastJourney: string | undefined;

/**
 * Whose code is running: every callback, timer and promise made during an attempt (or while a
 * journey file loads) carries it, so a fault is charged to the run whose code raised it, however
 * late, and never to the attempt that happens to be running then.
 */
const owner = new AsyncLocalStorage<{ journey: string | undefined; runId: string | undefined }>();

/** The journey files being loaded now, by the name their loads run under. */
const loading = new Set<string>();

/** True when the fault was the running attempt's own; otherwise it is reported as a leftover of whoever left it. */
function fault(error: JourneyFaultError): boolean {
  const origin = owner.getStore();
  if (current && (origin === undefined || origin.runId === current.runId)) {
    current.raise(error);
    return true;
  }
  // A file still loading: its fault (process.exit at its top level) is thrown into its import, which reports it as that file's problem.
  if (origin !== undefined && origin.runId === undefined && origin.journey !== undefined && loading.has(origin.journey)) return false;
  // A leftover of an earlier attempt or of a file's import: say whose. With nothing running, leave; the daemon starts a fresh worker.
  post({ type: 'leftover', journey: origin ? origin.journey : lastJourney, runId: origin?.runId, leftover: { kind: 'fault', message: error.message } });
  if (!current) setImmediate(() => exit(70));
  return false;
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

/** Faults already charged, which reach the handlers below again when nobody catches them. */
const charged = new WeakSet<object>();
process.on('uncaughtException', (error) => {
  if (!charged.has(error)) fault(describeThrown('journey code threw outside any awaited step', error));
});
process.on('unhandledRejection', (reason) => {
  if (!(typeof reason === 'object' && reason !== null && charged.has(reason)))
    fault(describeThrown('a promise in journey code rejected with nobody awaiting it', reason));
});
// A journey must not end the process it shares with later runs; it gets an error instead.
process.exit = (code?: number | string | null) => {
  const error = new JourneyFaultError(`the journey called process.exit(${code ?? ''}); a journey must not end its process`);
  fault(error);
  charged.add(error);
  throw error;
};
// The daemon went away: nobody is left to report to.
process.on('disconnect', () => exit(0));

/** What each journey file imported here was, kept as first imported, as Node keeps the module. */
const versions = new JourneyVersions();

/**
 * Each journey file's import and check, once per worker: Node keeps the module (and a failed
 * import's error) for the worker's life, so a later attempt has nothing new to import or check.
 */
const imports = new Map<string, Promise<ImportedFile>>();
function importOnce(file: string, shown: string, folder: string | undefined, spec: SpecLoad | undefined): Promise<ImportedFile> {
  const key = spec ? `${file}\u0000${JSON.stringify(spec)}` : file;
  let imported = imports.get(key);
  if (!imported) imports.set(key, (imported = importFile(file, shown, { versions, ...(folder ? { folder } : {}), ...(spec ? { spec } : {}) })));
  return imported;
}

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
    runId: request.runId,
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

  let result: AttemptResult | undefined;
  let browserAfter: BrowserAfterAttempt | undefined = 'ok';
  let browser: Browser | undefined;
  let version: JourneyVersion | undefined;
  leftovers.begin();
  try {
    await owner.run({ journey: journey.name, runId: request.runId }, async () => {
      post({ type: 'phase', phase: 'import' });
      const imported = await Promise.race([
        withDeadline(importOnce(journey.source, journey.source, journey.folder, journey.spec?.load), journey.timeoutMs, `importing ${journey.source}`),
        faulted,
      ]).catch((error: unknown) => ({ failure: describeError(error).message }));
      // An import that did not finish still tried this version, once its files were read.
      version = 'failure' in imported ? await peek(versions.of(journey.source, journey.folder ?? path.dirname(journey.source))) : imported.version;
      // A spec file's journey is one of its tests: found by the name it was loaded under.
      const declared = 'failure' in imported ? undefined : imported.journeys.get(journey.name);
      if ('failure' in imported) {
        result = failed({ kind: 'not-loaded' }, `the journey file did not load: ${imported.failure}`);
        faultMessage ??= result.error!.message;
      } else if (!declared) {
        const why =
          imported.problems.map((p) => p.message).join('; ') || `it no longer declares ${journey.spec ? `the test '${journey.spec.title}'` : 'this journey'}`;
        result = failed({ kind: 'not-loaded' }, `the journey file did not load: ${why}`);
      } else {
        post({ type: 'phase', phase: 'setup' });
        try {
          if (!ownBrowser) throw new Error('the daemon sent no launch options');
          const own = ownBrowser;
          // pulse's own: a browser launched now (the last one went away) is no run's leftover.
          browser = await owner.exit(() => leftovers.pulseOpens(() => own.get()));
        } catch (error) {
          result = failed({ kind: 'not-run' }, `could not launch the browser: ${describeError(error).message}`);
        }
        if (browser) {
          const secrets = new Set(request.secrets);
          const params = { ...request.params } as JourneyParams;
          const secretNames = Object.keys(params).filter((name) => secrets.has(params[name]!));
          Object.defineProperty(params, SECRET_PARAM_NAMES, { value: Object.freeze(secretNames), enumerable: false });
          Object.freeze(params);
          const declaredSession = declared.options.session;
          // Only the session the daemon handed over, and only to the journey that declares it by that name.
          const session = request.session && declaredSession?.options.name === request.session.name ? declaredSession : undefined;
          const report = await runAttempt({
            body:
              session && growing
                ? sessionBody({ body: declared.body, session, kept, redact: growing, report: (outcome) => (sessionReport = outcome) })
                : declared.body,
            journey,
            runId: request.runId,
            attempt: request.attempt,
            browser,
            contextOptions: contextOptionsFor(
              declared.contextOptions ?? request.contextOptions,
              declared.contextOptions ? params.baseUrl : undefined,
              session && kept,
            ),
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
    });
  } catch (error) {
    result = failed({ kind: 'not-run' }, `pulse could not run the attempt: ${describeError(error).message}`);
  } finally {
    current = undefined;
  }
  result ??= failed({ kind: 'not-run' }, 'pulse could not run the attempt');

  // What the attempt left for the next one is its own: found now, charged to it, and its worker is not reused.
  if (result.status === 'success') await leftovers.settleFileRequests();
  const { found, worn } = leftovers.end({ handles: result.status === 'success' });
  const leftBehind =
    found.length > 0 ? redact(`the run left its worker unfit for the next run: ${found.map((leftover) => leftover.message).join('; ')}`) : undefined;
  if (leftBehind !== undefined && result.status === 'success') result = failedAttempt({ kind: 'left-behind' }, { message: leftBehind }, result);
  // A fault of the journey's code, whenever raised, leaves the worker unfit for another attempt.
  const ended: WorkerEnding | undefined = faultMessage
    ? { reason: 'fault', message: faultMessage, during: 'journey' }
    : leftBehind !== undefined
      ? { reason: endReasonOf(found), message: leftBehind, during: 'journey' }
      : worn !== undefined
        ? { reason: 'leftover', message: worn, during: 'pulse' }
        : undefined;
  post({
    type: 'attempt-done',
    report: {
      result,
      browser: browserAfter,
      ...(ended ? { ended } : {}),
      ...(found.length > 0 ? { leftovers: found.map((leftover) => ({ kind: leftover.kind, message: redact(leftover.message) })) } : {}),
      ...(sessionReport ? { session: sessionReport } : {}),
      ...(version ? { version } : {}),
    },
  });
  // Reported: the garbage it made is not left to look like memory kept at the next attempt's start.
  if (!ended) leftovers.tidy();
}

/** A promise's value if it has settled by the next turn, else nothing: a version still being read is not waited for. */
async function peek<T>(promise: Promise<T | undefined>): Promise<T | undefined> {
  return Promise.race([promise.catch(() => undefined), new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))]);
}

/** Memory over the cap or kept is `memory`, changed built-ins a `fault` of the journey's code, anything else left running a `leftover`. */
function endReasonOf(found: Leftover[]): WorkerEndReason {
  if (found.some((leftover) => leftover.kind === 'memory')) return 'memory';
  if (found.some((leftover) => leftover.kind === 'globals')) return 'fault';
  return 'leftover';
}

/** Launches the worker's browser before it takes a run; a failure is reported, and the first attempt tries again. */
async function launch({ options }: Extract<ToWorker, { type: 'launch' }>): Promise<void> {
  ownBrowser ??= new OwnBrowser(options, {
    launched: (pid, relaunch) => post({ type: 'browser-launched', pid, relaunch }),
    failed: (message) => post({ type: 'browser-failed', message }),
  });
  await ownBrowser.get().catch(() => undefined);
}

/**
 * The config's `use`, or the error a broken config gives, in a form the daemon can be sent: a value
 * structured clone cannot copy (a function) would fail every run's request all the same.
 */
async function readConfig({ file, required }: { file: string; required: boolean }): Promise<ConfigRead> {
  // Loaded as a journey file is: a fault it raises (process.exit at its top level) is thrown into its import.
  const shown = path.relative(process.cwd(), file);
  loading.add(shown);
  try {
    const use = await owner.run({ journey: shown, runId: undefined }, () => loadPlaywrightUse(file, { required })).finally(() => loading.delete(shown));
    structuredClone(use);
    return { use };
  } catch (error) {
    if (error instanceof PulseError) return { failed: { message: error.summary, fix: error.fix ?? 'correct it' } };
    return {
      failed: {
        message: `${path.relative(process.cwd(), file)}: its \`use\` cannot be handed to pulse's runs (${describeError(error).message})`,
        fix: 'keep functions and class instances out of use and launchOptions',
      },
    };
  }
}

/** A run's context options: a spec test's own (its baseURL the run's base URL when given), with the kept session's state when there is one. */
function contextOptionsFor(given: BrowserContextOptions, baseUrl: string | undefined, kept: SessionState | undefined): BrowserContextOptions {
  return { ...given, ...(baseUrl ? { baseURL: baseUrl } : {}), ...(kept ? { storageState: kept } : {}) };
}

async function load(file: string, shown: string, folder: string, spec: SpecLoad | undefined): Promise<void> {
  // What a file's top-level code starts is charged to the file, never to a run that happens to be going.
  loading.add(shown);
  const idle = current === undefined;
  if (idle) leftovers.begin();
  const imported = await owner.run({ journey: shown, runId: undefined }, () => importOnce(file, shown, folder, spec)).finally(() => loading.delete(shown));
  // What the file's top level left here would reach the next run in this worker, whoever's: told with the load.
  // Not its live handles: pulse's own reads for the import may still be settling (Node.js 24 shows an
  // FSReqPromise then); a timer the file started is charged to it when it strikes, as any leftover's.
  const found = idle && current === undefined ? leftovers.end({ handles: false }).found : [];
  post({
    type: 'loaded',
    file,
    definitions: imported.definitions,
    ...(imported.unscheduled.length > 0 ? { unscheduled: imported.unscheduled } : {}),
    problems: imported.problems,
    ...(found.length > 0 ? { leftovers: found.map((leftover) => ({ ...leftover, message: `importing ${shown}: ${leftover.message}` })) } : {}),
  });
  // As after an attempt: the import's garbage is not left to look like memory kept at the next attempt's start.
  if (idle && current === undefined && found.length === 0) leftovers.tidy();
}

// Warm up before the baseline of the globals: Playwright and the authoring entry journeys import,
// and the test API spec files get for '@playwright/test'.
await import('../index.ts');
await import('../spec/playwright-test.ts');
// Before '@playwright/test' points at pulse's test API: the config gets Playwright's, as under `playwright test`.
const config = configToRead ? await readConfig(configToRead) : undefined;
redirectPlaywrightTest();
await settleLazyGlobals();
const leftovers = new LeftoverCheck({ capBytes });

process.on('message', (message: ToWorker) => {
  if (message.type === 'launch') void launch(message);
  else if (message.type === 'attempt') void attempt(message.request);
  else if (message.type === 'load') void load(message.file, message.shown, message.folder, message.spec);
});
post({ type: 'ready', ...(config ? { config } : {}) });
