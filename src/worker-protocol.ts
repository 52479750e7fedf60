/**
 * The protocol across the process boundary: messages between the daemon's side (src/runner/) and
 * a journey worker (src/worker/), a child process that runs journey code so that nothing a journey
 * does (loops, exits, throws, leaks, replaced globals) reaches the daemon. Both sides import this
 * module; it imports neither.
 */
import type { BrowserContext, BrowserContextOptions, LaunchOptions } from 'playwright';
import type { AttemptResult, StepResult } from './result.ts';
import type { Problem } from './problem.ts';
import type { JourneyDefinition, JourneyVersion, SpecLoad, Unscheduled } from './journey.ts';
import type { PlaywrightUse } from './playwright-use.ts';

/** One attempt of one journey, everything the worker needs and nothing it could change for others. */
export interface AttemptRequest {
  journey: Pick<JourneyDefinition, 'name' | 'source' | 'timeoutMs' | 'stepTimeoutMs' | 'origins' | 'folder' | 'spec'>;
  runId: string;
  attempt: number;
  /** The run's W3C trace id, set when synthetic traffic is marked (see traffic-marker.ts). */
  traceId?: string;
  /** A copy for this attempt; the worker freezes it before the journey sees it. */
  params: Record<string, string>;
  /** Values redacted from everything the attempt reports or keeps. */
  secrets: string[];
  /** Values a secret may be paired with as `user:secret` in base64 (basic auth). */
  partners: string[];
  contextOptions: BrowserContextOptions;
  tracing: boolean;
  /** Collect web vitals and bytes per step. */
  vitals: boolean;
  /** Keep the per-run summary of requests and console lines. */
  observe: boolean;
  /** Evidence goes to `<artifactsRoot>/<journey>/<runId>/`. */
  artifactsRoot: string;
  /**
   * The kept sign-in this journey declares, and only that one: its name, and its state when one
   * is kept and unexpired (absent: the attempt signs in first).
   */
  session?: { name: string; state?: SessionState };
}

/** A signed-in browser state: cookies and local storage by origin, as Playwright's storageState(). */
export type SessionState = Awaited<ReturnType<BrowserContext['storageState']>>;

/**
 * What an attempt did with its session: `signed-in`, with the fresh state to keep (`rejected`: the
 * kept one failed the session's check); `reused` the kept state as it was; `dropped` the kept one,
 * which the check rejected and whose sign-in then failed.
 */
export type SessionReport = { outcome: 'signed-in'; state: SessionState; rejected: boolean } | { outcome: 'reused' } | { outcome: 'dropped' };

/**
 * The worker's browser after an attempt: still `ok`; `lost` (crashed or killed, not by the journey);
 * `lost-in-capture`, gone while pulse took the evidence of a failure already decided (which stands);
 * `closed` by the journey's own code; `unresponsive` to pulse's calls. Any but `ok` ends the worker.
 */
export type BrowserAfterAttempt = 'ok' | 'lost' | 'lost-in-capture' | 'closed' | 'unresponsive';

/**
 * What the worker is doing, so the daemon knows whose budget a stall breaks: `import` and `body`
 * run journey code; `setup` (context, page, tracing) and `capture` (evidence) are pulse's.
 */
export type AttemptPhase = 'import' | 'setup' | 'body' | 'capture';

/** Why a worker was ended or replaced: a bounded label (`browser`: its browser went away or stopped answering). */
export type WorkerEndReason = 'fault' | 'budget' | 'memory' | 'exit' | 'stalled' | 'error' | 'load' | 'browser' | 'leftover';
export const WORKER_END_REASONS: readonly WorkerEndReason[] = ['fault', 'budget', 'memory', 'exit', 'stalled', 'error', 'load', 'browser', 'leftover'];

/**
 * What a run leaves in its worker for the runs after it: memory it kept or went over the cap with,
 * live handles (timers, sockets), changed built-ins or globals, or its code striking (a throw, a
 * rejection) after it ended. A bounded label.
 */
export type LeftoverKind = 'memory' | 'handles' | 'globals' | 'fault';
export const LEFTOVER_KINDS: readonly LeftoverKind[] = ['memory', 'handles', 'globals', 'fault'];

export interface Leftover {
  kind: LeftoverKind;
  message: string;
}

/** Why a worker must not run another attempt (whose fault that is, attempt-ending.ts decides). */
export interface WorkerEnding {
  reason: WorkerEndReason;
  message: string;
  /** Where the attempt was then: in its journey's own code (import, body), or in pulse's (start, set-up, evidence; no attempt at all). */
  during: 'journey' | 'pulse';
  /** The run whose leftover ended the worker, when it is not the attempt the worker was running (if any). */
  leftBy?: { journey: string | undefined; runId: string | undefined };
}

/**
 * One attempt on its way from the worker to the run's result: what it produced, and what it left
 * of its worker and browser. The worker reports it; the daemon's side adds what only it sees.
 */
export interface AttemptReport {
  result: AttemptResult;
  /** The worker's browser after the attempt, as the worker saw it; absent when the worker did not report. */
  browser?: BrowserAfterAttempt;
  /** Set when the attempt's worker must not run another attempt (`fault`: the journey's code misbehaved), and why. */
  ended?: WorkerEnding;
  /** What became of the journey's session, when it declares one and the worker got that far. Never leaves the runner. */
  session?: SessionReport;
  /** What the attempt left in its worker, found at its end; the worker is not reused after any. */
  leftovers?: Leftover[];
  /** The worker process that ran the attempt, for logs; the daemon's side fills it in. */
  workerPid: number;
  /** The version of the journey this worker imported (a worker keeps its first import of a file); absent when it never got to import it. */
  version?: JourneyVersion;
}

/**
 * What a worker made of playwright.config.ts, read as it started when the daemon asked: the daemon
 * never loads Playwright or the config's code itself. `failed` is the error a broken config gives.
 */
export type ConfigRead = { use: PlaywrightUse } | { failed: { message: string; fix: string } };

export type ToWorker =
  /** Once, after `ready`: launch the worker's own browser with these options. */
  | { type: 'launch'; options: LaunchOptions }
  | { type: 'attempt'; request: AttemptRequest }
  | { type: 'load'; file: string; shown: string; folder: string; spec?: SpecLoad };

export type FromWorker =
  /** Playwright and pulse are loaded; `config` when the worker was asked to read playwright.config.ts. */
  | { type: 'ready'; config?: ConfigRead }
  | { type: 'phase'; phase: AttemptPhase }
  | { type: 'step-started'; name: string }
  | { type: 'step-ended'; step: StepResult }
  /** The worker's browser is up (its main process id, where /proc tells); `relaunch` when it replaced one. */
  | { type: 'browser-launched'; pid: number | undefined; relaunch: boolean }
  | { type: 'browser-failed'; message: string }
  /** Which worker it was, the daemon's side knows. */
  | { type: 'attempt-done'; report: Omit<AttemptReport, 'workerPid'> }
  | { type: 'log'; fields: Record<string, unknown>; message: string }
  /** `leftovers`: what the file's top-level code left in the worker (the worker is not reused after any). */
  | { type: 'loaded'; file: string; definitions: JourneyDefinition[]; unscheduled?: Unscheduled[]; problems: Problem[]; leftovers?: Leftover[] }
  /**
   * Code of an earlier run (or of a journey file while it loaded) misbehaved after it ended: a timer
   * it left threw, a promise of it rejected. Never the fault of the attempt running now, if any.
   */
  | { type: 'leftover'; journey: string | undefined; runId: string | undefined; leftover: Leftover };
