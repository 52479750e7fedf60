// The daemon's side of one journey worker: the child process and the browser it launched, the
// messages it streams, the hard limits no journey code can escape (budget plus grace, memory),
// enforced from outside, and what each attempt cost the two of them, read from /proc.
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { LaunchOptions } from 'playwright';
import type { SpecLoad } from '../journey.ts';
import type { LoadOutcome } from '../registry/load.ts';
import type { AttemptResult, ResourceUsage, StepResult } from '../result.ts';
import { failedAttempt } from '../attempt-ending.ts';
import { PAGE_BYTES, SlotReader, allEnded, readStat, type SlotReading } from '../process-tree.ts';
import type { AttemptPhase, AttemptReport, AttemptRequest, ConfigRead, FromWorker, Leftover, ToWorker, WorkerEnding } from '../worker-protocol.ts';
import { settingOf } from '../settings/table.ts';

const ENTRY = fileURLToPath(new URL('../../bin/pulse-worker.js', import.meta.url));
/** How long closing a worker waits for its browser's killed processes to be gone. */
const BROWSER_END_WAIT_MS = 2_000;
/** Starting Node.js, tsx and Playwright takes a second or two; a loaded machine may take longer. */
const READY_TIMEOUT_MS = 60_000;
/** The worker's browser launch gives up after 30 s; this leaves it room to say why. */
const LAUNCH_WAIT_MS = 45_000;
/** After its budget, a journey's worker has this long to report before it is ended. */
const KILL_GRACE_MS = 2_000;
/** pulse's own phases: connecting, a context and a page; evidence and the trace. Each call inside is bounded tighter. */
const PHASE_DEADLINE_MS: Record<'start' | 'setup' | 'capture', number> = { start: 30_000, setup: 75_000, capture: 90_000 };
const MEMORY_CHECK_MS = 500;
/** The memory peak of worker and browser together is read every this many checks (and at each attempt's start and end). */
const PEAK_EVERY_TICKS = 4;
/** Lines of a journey's own output (console.log) kept per attempt; the rest are counted. */
const OUTPUT_LINES_PER_ATTEMPT = 50;
const STDERR_TAIL_BYTES = 4_096;

export interface WorkerHooks {
  /** A line the journey's code printed, with the attempt it belongs to. */
  output?: (line: { stream: 'stdout' | 'stderr'; text: string; journey?: string; runId?: string }) => void;
  /** pulse's side of the worker had something to say (evidence that could not be written). */
  warn?(fields: Record<string, unknown>, message: string): void;
  /**
   * A run left something in its worker (found at its end, or striking later): charged to that run's
   * journey (undefined when it cannot be told), never to another run.
   */
  leftover?(event: { journey: string | undefined; runId: string | undefined; leftover: Leftover }): void;
  /** The worker's browser came up (`relaunch`: it replaced one that had gone away), or could not. */
  browser?(event: { launched: true; relaunch: boolean } | { launched: false; failure: string }): void;
}

export interface WorkerOptions {
  /** How the worker launches its own browser; none for a worker that only loads journey files. */
  launch?: LaunchOptions;
  /** RSS above this ends the worker; also its V8 heap limit. */
  memoryLimitBytes: number;
  hooks?: WorkerHooks;
  cwd?: string;
  /** playwright.config.ts (absolute) for the worker to read as it starts; what it made of it is `configRead`. */
  playwrightConfig?: { file: string; required: boolean };
}

/** How a worker process ended; `failed` when it could not be forked at all. */
interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  failed?: string;
}

/** An attempt in progress, as the daemon's side follows it from the worker's messages. */
interface Running {
  request: AttemptRequest;
  started: number;
  phase: AttemptPhase | 'start';
  steps: StepResult[];
  step: { name: string; started: number } | undefined;
  bodyStarted: number | undefined;
  /** The worker and its browser when the attempt started, and the most memory seen since. */
  before: SlotReading | undefined;
  browserPidBefore: number | undefined;
  peakRssBytes: number;
  /** The current phase's deadline, and the memory check while the attempt runs. */
  deadline: NodeJS.Timeout | undefined;
  memoryCheck: NodeJS.Timeout | undefined;
  resolve: (report: AttemptReport) => void;
}

/**
 * What a worker is doing. `ended` says why and by whom: a worker pulse ended says nothing more,
 * while one that ended by itself (a crash, its code) may still deliver what it sent before.
 */
type WorkerState =
  | { is: 'idle' }
  | { is: 'loading'; file: string; deadline: NodeJS.Timeout; resolve: (outcome: LoadOutcome) => void }
  | { is: 'running'; attempt: Running }
  | { is: 'ended'; why: WorkerEnding; by: 'pulse' | 'itself' };

/** One child process that runs journey code; attempts go to it one at a time. */
export class JourneyWorker {
  readonly #child: ChildProcess;
  readonly #options: WorkerOptions;
  readonly #exited: Promise<void>;
  #state: WorkerState = { is: 'idle' };
  #exit: WorkerExit | undefined;
  #outputLines = 0;
  #stderrTail = '';
  #browserPid: number | undefined;
  /** The worker and its browser's processes, as /proc tells. */
  readonly #slot: SlotReader;
  #browserFailure: string | undefined;
  #browserAnswered: (() => void) | undefined;
  /** A leftover of an earlier run struck while this attempt ran: the worker ends after it, and nothing that befalls the attempt now is its own fault. */
  #struck: WorkerEnding | undefined;
  #configRead: ConfigRead | undefined;
  #launchSent = false;

  private constructor(options: WorkerOptions) {
    this.#options = options;
    const heapMb = Math.max(64, Math.floor(options.memoryLimitBytes / 1024 / 1024));
    const config = options.playwrightConfig ? [JSON.stringify(options.playwrightConfig)] : [];
    this.#child = fork(ENTRY, [String(options.memoryLimitBytes), ...config], {
      cwd: options.cwd,
      execArgv: [`--max-old-space-size=${heapMb}`],
      // Journey code never gets the key of kept sessions; the worker is handed the one state its journey declares.
      env: withoutVariable(process.env, settingOf('sessionKey').env),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      // A group of its own: a terminal's Ctrl-C or a group-wide SIGTERM reaches the daemon only, which ends its children itself.
      detached: true,
    });
    this.#slot = new SlotReader(this.pid);
    this.#child.stdout!.setEncoding('utf8');
    this.#child.stderr!.setEncoding('utf8');
    this.#child.stdout!.on('data', (chunk: string) => this.#output('stdout', chunk));
    this.#child.stderr!.on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
      this.#output('stderr', chunk);
    });
    this.#child.on('message', (message: FromWorker) => this.#message(message));
    this.#exited = new Promise((resolve) => {
      const ended = (exit: WorkerExit) => {
        if (this.#exit) return;
        this.#exit = exit;
        this.#onExit();
        resolve();
      };
      this.#child.once('exit', (code, signal) => ended({ code, signal }));
      // A failed send to a worker that just died surfaces as 'error', and its exit says the rest; a
      // process that could not be forked (no such folder, no process left) has no exit to wait for.
      this.#child.on('error', (error) => {
        if (this.#child.pid === undefined) ended({ code: null, signal: null, failed: error.message });
      });
    });
  }

  /**
   * Forks a worker, waits until it has Playwright loaded, then until its browser is up (or could
   * not be launched: the worker can still load journey files, and its first attempt tries again).
   * `stop` ends a worker still starting (a pool that closes), which then rejects or, once it is
   * ready, comes back ended.
   */
  static async start(options: WorkerOptions, stop?: AbortSignal): Promise<JourneyWorker> {
    const worker = new JourneyWorker(options);
    const end = () => worker.kill();
    if (stop?.aborted) end();
    stop?.addEventListener('abort', end, { once: true });
    try {
      return await worker.#started(options);
    } finally {
      stop?.removeEventListener('abort', end);
    }
  }

  /** Ready (Playwright loaded), then its browser launched when `options.launch` says how. */
  async #started(options: WorkerOptions): Promise<JourneyWorker> {
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`journey worker did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      this.#child.on('message', (message: FromWorker) => {
        if (message.type !== 'ready') return;
        this.#configRead = message.config;
        clearTimeout(timer);
        resolve();
      });
      void this.#exited.then(() => {
        clearTimeout(timer);
        const said = this.#stderrTail.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`journey worker exited while starting (${this.#describeExit()})${said ? `: ${said}` : ''}`));
      });
    });
    try {
      await ready;
    } catch (error) {
      this.kill();
      throw error;
    }
    if (options.launch) await this.launchBrowser(options.launch);
    return this;
  }

  /** What the worker made of playwright.config.ts, when it was started with one to read. */
  get configRead(): ConfigRead | undefined {
    return this.#configRead;
  }

  /** Whether the worker has been told to launch its browser (at its start, or by launchBrowser()). */
  get launching(): boolean {
    return this.#launchSent;
  }

  /** Has the worker launch its browser and waits until it is up or could not be (a worker started without `launch`). */
  async launchBrowser(launch: LaunchOptions): Promise<void> {
    this.#launchSent = true;
    const answered = new Promise<void>((resolve) => {
      this.#browserAnswered = resolve;
      setTimeout(resolve, LAUNCH_WAIT_MS).unref();
      void this.#exited.then(() => resolve());
    });
    if (!this.#send({ type: 'launch', options: launch })) return;
    await answered;
    this.#browserAnswered = undefined;
    if (this.#browserPid === undefined && this.#browserFailure === undefined && this.alive)
      this.#browserFailure = `the browser did not start within ${LAUNCH_WAIT_MS} ms`;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get alive(): boolean {
    return this.#state.is !== 'ended';
  }

  /** Why pulse ended the worker, once it has. */
  get endedBecause(): WorkerEnding | undefined {
    return this.#state.is === 'ended' && this.#state.by === 'pulse' ? this.#state.why : undefined;
  }

  /** The worker's browser: its main process while it runs, or why the last launch failed. */
  get browser(): { pid: number | undefined; failure: string | undefined } {
    return { pid: this.alive ? this.#browserPid : undefined, failure: this.#browserFailure };
  }

  /** Runs one attempt; never rejects: a worker that dies or is ended still yields the attempt's result. */
  attempt(request: AttemptRequest): Promise<AttemptReport> {
    const state = this.#state;
    if (state.is === 'running' || state.is === 'loading') throw new Error('journey worker is busy');
    this.#outputLines = 0;
    return new Promise((resolve) => {
      const before = this.#slot.read(this.#browserPid);
      const running: Running = {
        request,
        started: performance.now(),
        phase: 'start',
        steps: [],
        step: undefined,
        bodyStarted: undefined,
        before,
        browserPidBefore: this.#browserPid,
        peakRssBytes: before?.rssBytes ?? 0,
        deadline: undefined,
        memoryCheck: undefined,
        resolve,
      };
      if (state.is === 'ended') {
        this.#resolveDead(running, state.by === 'pulse' ? state.why : this.#deathCause(running.phase));
        return;
      }
      this.#state = { is: 'running', attempt: running };
      this.#arm(running, 'start');
      this.#watchMemory(running);
      if (!this.#send({ type: 'attempt', request })) {
        this.#state = { is: 'idle' };
        this.#resolveDead(running, this.#deathCause(running.phase));
      }
    });
  }

  /** Imports one journey file and validates it, within `deadlineMs`; a worker that times out is ended. */
  load(file: string, shown: string, deadlineMs: number, folder: string, spec?: SpecLoad): Promise<LoadOutcome> {
    if (this.#state.is === 'running' || this.#state.is === 'loading') throw new Error('journey worker is busy');
    return new Promise((resolve) => {
      if (!this.alive || !this.#send({ type: 'load', file, shown, folder, ...(spec ? { spec } : {}) })) {
        resolve({ died: this.#describeExit() });
        return;
      }
      const deadline = setTimeout(() => {
        this.#state = { is: 'idle' };
        this.#end({ reason: 'load', message: `loading ${shown} took longer than ${deadlineMs} ms`, during: 'journey' });
        resolve({ timedOut: true });
      }, deadlineMs);
      this.#state = { is: 'loading', file, deadline, resolve };
    });
  }

  /** Ends the worker and its browser at once, whatever its code is doing. */
  kill(why: WorkerEnding = { reason: 'exit', message: 'stopped', during: 'pulse' }): void {
    this.#end(why);
  }

  /** Ends the worker and waits for its exit; an attempt still running is pulse's loss, not the journey's fault. */
  async close(): Promise<void> {
    const browserPid = this.#browserPid;
    this.#end({ reason: 'stalled', message: 'pulse stopped the worker while it ran (shutting down)', during: 'pulse' });
    await this.#exited;
    // SIGKILL takes a moment to end Chromium's processes: closed means they are gone too, so that a
    // daemon that has stopped leaves no browser behind.
    if (browserPid !== undefined) await allEnded(browserPid, BROWSER_END_WAIT_MS);
  }

  /** pulse ends the worker: the process and its browser go at once, and an attempt it ran ends with it. */
  #end(ending: WorkerEnding): void {
    const state = this.#state;
    const why = state.is === 'running' ? this.#afterStrike(ending) : ending;
    // The first reason pulse gave stands.
    this.#state = { is: 'ended', why: state.is === 'ended' && state.by === 'pulse' ? state.why : why, by: 'pulse' };
    if (this.#exit === undefined) this.#child.kill('SIGKILL');
    // Chromium leaves when its pipe closes; its process group goes at once all the same.
    if (this.#browserPid !== undefined) killGroup(this.#browserPid);
    if (state.is === 'running') this.#resolveDead(state.attempt, why);
    if (state.is === 'loading') {
      clearTimeout(state.deadline);
      void this.#exited.then(() => state.resolve({ died: this.#describeExit() }));
    }
  }

  #send(message: ToWorker): boolean {
    try {
      this.#child.send(message);
      return true;
    } catch {
      return false;
    }
  }

  #message(message: FromWorker): void {
    const state = this.#state;
    if (state.is === 'ended' && state.by === 'pulse') return;
    const running = state.is === 'running' ? state.attempt : undefined;
    switch (message.type) {
      case 'phase':
        if (!running) return;
        running.phase = message.phase;
        if (message.phase === 'body') running.bodyStarted = performance.now();
        this.#arm(running, message.phase);
        return;
      case 'step-started':
        if (running) running.step = { name: message.name, started: performance.now() };
        return;
      case 'step-ended':
        if (!running) return;
        running.steps.push(message.step);
        if (running.step?.name === message.step.name) running.step = undefined;
        return;
      case 'attempt-done':
        if (!running) return;
        this.#settle(running, message.report);
        if (message.report.ended) this.#end(message.report.ended);
        return;
      case 'browser-launched':
        this.#browserPid = message.pid;
        this.#browserFailure = undefined;
        this.#browserAnswered?.();
        this.#options.hooks?.browser?.({ launched: true, relaunch: message.relaunch });
        return;
      case 'browser-failed':
        this.#browserPid = undefined;
        this.#browserFailure = message.message;
        this.#browserAnswered?.();
        this.#options.hooks?.browser?.({ launched: false, failure: message.message });
        return;
      case 'loaded':
        if (state.is !== 'loading' || state.file !== message.file) return;
        clearTimeout(state.deadline);
        this.#state = { is: 'idle' };
        state.resolve({ definitions: message.definitions, problems: message.problems, ...(message.unscheduled ? { unscheduled: message.unscheduled } : {}) });
        if (message.leftovers?.length) this.#leftByImport(message.definitions[0]?.name, message.leftovers);
        return;
      case 'log':
        this.#options.hooks?.warn?.(message.fields, message.message);
        return;
      case 'leftover': {
        this.#options.hooks?.leftover?.({ journey: message.journey, runId: message.runId, leftover: message.leftover });
        // Not the running attempt's code: it goes on, and the worker is not reused after it.
        const why: WorkerEnding = {
          reason: 'leftover',
          message: `a leftover of an earlier run of ${message.journey ?? 'a journey'} struck in this worker: ${message.leftover.message}`,
          during: 'pulse',
          leftBy: { journey: message.journey, runId: message.runId },
        };
        if (running) this.#struck ??= why;
        else this.#end(why);
        return;
      }
      case 'ready':
        return;
    }
  }

  /** Sets the deadline of a phase: journey code gets its budget plus a grace, pulse's phases a fixed bound. */
  #arm(running: Running, phase: AttemptPhase | 'start'): void {
    clearTimeout(running.deadline);
    const journeyPhase = phase === 'import' || phase === 'body';
    const limit = journeyPhase ? running.request.journey.timeoutMs + KILL_GRACE_MS : PHASE_DEADLINE_MS[phase];
    running.deadline = setTimeout(() => {
      const budget = running.request.journey.timeoutMs;
      this.#end(
        journeyPhase
          ? {
              reason: 'budget',
              message: `journey code kept its worker from answering for ${KILL_GRACE_MS} ms past the ${phase === 'import' ? 'import' : 'run'} budget of ${budget} ms (a synchronous loop or a blocking call?); pulse ended the worker`,
              during: 'journey',
            }
          : {
              reason: 'stalled',
              message: `pulse's ${phase === 'start' ? 'start of the attempt' : phase === 'setup' ? 'browser set-up' : 'evidence capture'} did not finish within ${limit} ms; pulse ended the worker`,
              during: 'pulse',
            },
      );
    }, limit);
  }

  #watchMemory(running: Running): void {
    let ticks = 0;
    running.memoryCheck = setInterval(() => {
      // The cap needs the worker alone (one file); the browser's tree means a pass over /proc, so the peak is sampled less often.
      ticks += 1;
      if (ticks % PEAK_EVERY_TICKS === 0) {
        const reading = this.#slot.read(this.#browserPid);
        if (reading) running.peakRssBytes = Math.max(running.peakRssBytes, reading.rssBytes);
      }
      const rss = workerRssBytes(this.pid);
      if (rss === undefined || rss <= this.#options.memoryLimitBytes) return;
      this.#end({ reason: 'memory', message: memoryMessage(this.#options.memoryLimitBytes, rss), during: duringPhase(running.phase) });
    }, MEMORY_CHECK_MS);
    running.memoryCheck.unref();
  }

  /** The process is gone: by pulse's hand (already ended), or by itself, which ends what it was doing. */
  #onExit(): void {
    const state = this.#state;
    if (state.is === 'ended') return;
    const why = this.#deathCause(state.is === 'running' ? state.attempt.phase : undefined);
    this.#state = { is: 'ended', why, by: 'itself' };
    if (state.is === 'running') this.#resolveDead(state.attempt, why);
    if (state.is === 'loading') {
      clearTimeout(state.deadline);
      state.resolve({ died: this.#describeExit() });
    }
  }

  /** The attempt ends without the worker's report: build its result from what was streamed. */
  #resolveDead(running: Running, why: WorkerEnding): void {
    const steps = [...running.steps];
    let failedStep = steps.find((s) => s.status === 'failed')?.name;
    if (running.step && !failedStep) {
      steps.push({ name: running.step.name, status: 'failed', durationMs: performance.now() - running.step.started });
      failedStep = running.step.name;
    }
    const result = failedAttempt(
      { kind: 'worker-ended', worker: why },
      { message: why.message, step: failedStep },
      { attempt: running.request.attempt, durationMs: performance.now() - (running.bodyStarted ?? running.started), steps },
    );
    this.#resolve(running, { result, ended: why });
  }

  /** After a leftover of an earlier run struck, the worker's end is that leftover's doing, not the attempt's. */
  #afterStrike(why: WorkerEnding): WorkerEnding {
    const struck = this.#struck;
    if (!struck) return why;
    return { reason: 'leftover', message: `${why.message}, after ${struck.message}`, during: 'pulse', ...(struck.leftBy ? { leftBy: struck.leftBy } : {}) };
  }

  /** Why a worker died on its own: out of memory, or ended by its code (process.kill, abort, a native crash). */
  #deathCause(phase: Running['phase'] | undefined): WorkerEnding {
    return this.#afterStrike(this.#diedOf(phase));
  }

  #diedOf(phase: Running['phase'] | undefined): WorkerEnding {
    if (/heap out of memory|Reached heap limit/i.test(this.#stderrTail)) {
      return { reason: 'memory', message: memoryMessage(this.#options.memoryLimitBytes), during: duringPhase(phase) };
    }
    const where = phase === 'setup' || phase === 'capture' ? ` during pulse's ${phase}` : '';
    return { reason: 'exit', message: `the journey's worker process ended (${this.#describeExit()})${where}`, during: duringPhase(phase) };
  }

  /** The worker reported its attempt and is free for the next one. */
  #settle(running: Running, report: Omit<AttemptReport, 'workerPid'>): void {
    this.#state = { is: 'idle' };
    this.#resolve(running, report);
  }

  /** Resolves an attempt with its report, usage and worker added; memory it leaves over the cap ends the worker. */
  #resolve(running: Running, report: Omit<AttemptReport, 'workerPid'>): void {
    clearTimeout(running.deadline);
    clearInterval(running.memoryCheck);
    const after = this.#exit === undefined ? this.#slot.read(this.#browserPid) : undefined;
    const usage = usageOf(running, after, this.#browserPid);
    const result: AttemptResult = usage ? { ...report.result, usage } : report.result;
    // Memory a run leaves behind over the cap (built between two samples) is that run's, never the next one's;
    // the worker finds it itself (its peak), this is the last word from outside.
    const cap = this.#options.memoryLimitBytes;
    if (!report.ended && after && after.workerRssBytes > cap) {
      const ended = { reason: 'memory' as const, message: `${memoryMessage(cap, after.workerRssBytes)} (at the end of the run)`, during: 'journey' as const };
      this.#end(ended);
      running.resolve({
        ...report,
        ended,
        leftovers: [...(report.leftovers ?? []), { kind: 'memory', message: ended.message }],
        result: result.status === 'success' ? failedAttempt({ kind: 'worker-ended', worker: ended }, { message: ended.message }, result) : result,
        workerPid: this.pid,
      });
      return;
    }
    // A leftover of an earlier run struck during this attempt: its result stands, and the worker goes after it.
    const struck = report.ended ? undefined : this.#struck;
    running.resolve({ ...report, ...(struck ? { ended: struck } : {}), result, workerPid: this.pid });
  }

  /**
   * What a journey file's top-level code left in this worker (a replaced built-in, kept memory)
   * would reach whichever run comes next here: told under the file's journey, and the worker ends
   * before it takes a run. The journey's own runs meet it at their import, and are charged for it.
   */
  #leftByImport(journey: string | undefined, leftovers: Leftover[]): void {
    for (const leftover of leftovers) this.#options.hooks?.leftover?.({ journey, runId: undefined, leftover });
    this.#end({
      reason: 'leftover',
      message: `importing the journey file left the worker unfit for a run: ${leftovers.map((leftover) => leftover.message).join('; ')}`,
      during: 'journey',
      leftBy: { journey, runId: undefined },
    });
  }

  #describeExit(): string {
    if (!this.#exit) return 'still running';
    if (this.#exit.failed) return `could not be started: ${this.#exit.failed}`;
    return this.#exit.signal ? `signal ${this.#exit.signal}` : `exit code ${this.#exit.code}`;
  }

  #output(stream: 'stdout' | 'stderr', chunk: string): void {
    const hook = this.#options.hooks?.output;
    if (!hook) return;
    const request = this.#state.is === 'running' ? this.#state.attempt.request : undefined;
    for (const text of chunk.split('\n')) {
      if (!text.trim()) continue;
      this.#outputLines += 1;
      if (this.#outputLines > OUTPUT_LINES_PER_ATTEMPT) {
        if (this.#outputLines === OUTPUT_LINES_PER_ATTEMPT + 1)
          hook({
            stream,
            text: `(further output of this attempt dropped after ${OUTPUT_LINES_PER_ATTEMPT} lines)`,
            journey: request?.journey.name,
            runId: request?.runId,
          });
        continue;
      }
      hook({ stream, text: text.slice(0, 2_000), journey: request?.journey.name, runId: request?.runId });
    }
  }
}

/** Whose code an attempt in this phase runs: the journey's (its import, its body) or pulse's (no attempt at all included). */
function duringPhase(phase: AttemptPhase | 'start' | undefined): WorkerEnding['during'] {
  return phase === 'import' || phase === 'body' ? 'journey' : 'pulse';
}

function memoryMessage(limit: number, rss?: number): string {
  const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
  return `the journey's worker ran out of memory${rss ? ` (${mib(rss)} resident)` : ''}: its cap is ${mib(limit)} (PULSE_WORKER_MEMORY); the journey keeps or builds too much`;
}

/**
 * CPU the worker and its browser spent during the attempt, and their peak memory. A browser launched
 * during the attempt (the last one had gone) spent its whole life in it.
 */
function usageOf(running: Running, after: SlotReading | undefined, browserPid: number | undefined): ResourceUsage | undefined {
  const { before } = running;
  if (!before || !after) return undefined;
  const browserCpu = browserPid === running.browserPidBefore ? after.browserCpuSeconds - before.browserCpuSeconds : after.browserCpuSeconds;
  return {
    cpuSeconds: Math.max(0, after.workerCpuSeconds - before.workerCpuSeconds) + Math.max(0, browserCpu),
    peakRssBytes: Math.max(running.peakRssBytes, after.rssBytes),
  };
}

/** Resident bytes of the worker process alone; undefined once it is gone or without /proc. */
function workerRssBytes(pid: number): number | undefined {
  const stat = readStat(pid);
  return stat ? stat.rssPages * PAGE_BYTES : undefined;
}

function withoutVariable(env: NodeJS.ProcessEnv, name: string): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));
}

/** SIGKILL to a process group (Playwright starts Chromium as the leader of its own). */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
