import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Listener, ProberEvent, StoreDiagnosis } from '../events.ts';
import type { RunResult } from '../result.ts';
import { findCpuPressureFile, readCpuPressure } from './cpu-pressure.ts';

/** What pulse checks about itself; `pulse_prober_up` is 1 only while every present check that decides probing passes. */
export type ProberCheck = 'control' | 'event_loop' | 'cpu' | 'browser' | 'store';

/**
 * Checks whose failure degrades pulse without taking it down: a failing run store loses history
 * and evidence, but the runs, the heartbeat and the metrics go on, so the journeys' alerts must
 * not be held for it.
 */
export const DEGRADING_CHECKS: ReadonlySet<ProberCheck> = new Set(['store']);

/** up: every check passes; degraded: pulse probes, but a degrading check fails; down: pulse cannot be trusted to probe. */
export type ProberState = 'up' | 'degraded' | 'down';

export interface CheckState {
  ok: boolean;
  /** One line for on-call: what was measured, against what. */
  detail: string;
}

/** The last control run, as the UI and /api/prober show it. */
export interface ControlRun {
  runId: string;
  status: RunResult['status'];
  startedAt: string;
  durationMs: number;
  error?: string;
  step?: string;
}

/** A check that fails now: what it measured, and whether it only degrades pulse (DEGRADING_CHECKS). */
export interface FailingCheck {
  check: ProberCheck;
  detail: string;
  degrading: boolean;
}

export interface ProberStatus {
  /** pulse can probe: every check that decides it passes (a degraded pulse is up). */
  up: boolean;
  state: ProberState;
  /** The checks that fail now, worked out once for every reader (logs, probes, the UI). */
  failing: FailingCheck[];
  /** While the store check fails: why, in plain words naming the data folder, and the fix. */
  store?: StoreDiagnosis;
  /** When it was last computed (ISO). */
  at: string;
  /** Since when it has been in this state (ISO). */
  since: string;
  /** Only the checks that can be measured here (cpu needs PSI; control can be turned off). */
  checks: Partial<Record<ProberCheck, CheckState>>;
  control: { intervalMs: number | undefined; lastRun: ControlRun | undefined; lastSuccessAt: string | undefined };
}

/** Thresholds, each chosen so that only a prober that cannot time a journey trips it. */
export const LIMITS = {
  /** Event-loop delay of the daemon over the last window: p99 and worst single delay. */
  eventLoopP99Ms: 500,
  eventLoopMaxMs: 2_000,
  /** PSI "some avg60": share of the last minute in which a runnable task waited for a CPU. */
  cpuSomeAvg60: 95,
  /** Browser relaunches within the window that say the browser is not holding up. */
  browserRestarts: 3,
  browserWindowMs: 10 * 60_000,
  /** Run store failures within the window that say it keeps failing (one reset alone does not). */
  storeFailures: 3,
  storeWindowMs: 5 * 60_000,
  /** A control run older than this many intervals (plus its own budget) is too old to vouch for pulse. */
  controlIntervals: 3,
} as const;

export interface ProberHealthOptions {
  /** Undefined when the control journey is off: the check is then left out. */
  controlIntervalMs: number | undefined;
  /** The control journey's own budget (all attempts), added to the staleness limit. */
  controlBudgetMs: number;
  /**
   * What is wrong with the run store or its data folder now (read-only, full, ...), undefined while
   * all is well: the one judge of its condition, told whether the store failed too often in the window.
   */
  storeCondition?: (failingOften: boolean) => StoreDiagnosis | undefined;
  /** Why the browser could not be launched the last time, if it could not. */
  browserLaunchFailure: () => string | undefined;
  /** CPU pressure (PSI some avg60, 0-100) now; undefined where the kernel does not report it. */
  cpuPressure?: () => number | undefined;
  /** Event-loop delay of the last window, in ms; a real monitor by default. */
  eventLoop?: EventLoopSource;
  now?: () => number;
  /** Told every computed status (metrics). */
  publish: (status: ProberStatus) => void;
  /** Told when the state turns (up, degraded, down), and when the reason it is degraded changes (logs). */
  changed: (status: ProberStatus) => void;
}

export interface EventLoopSource {
  /** Delay figures since the previous call, and starts a new window. */
  take(): { p99Ms: number; maxMs: number } | undefined;
  close(): void;
}

/** The daemon's event-loop delay from perf_hooks, in windows between take() calls. */
function eventLoopMonitor(): EventLoopSource {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  return {
    take: () => {
      if (histogram.count === 0) return undefined;
      const figures = { p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 };
      histogram.reset();
      return figures;
    },
    close: () => histogram.disable(),
  };
}

/** PSI of this process's cgroup (or the machine) when the kernel has it; undefined otherwise. */
export function cpuPressureSource(): (() => number | undefined) | undefined {
  const file = findCpuPressureFile();
  return file ? () => readCpuPressure(file) : undefined;
}

/**
 * pulse watching itself: the control journey's last result and the daemon's own health (event
 * loop, CPU, browser, run store) become one verdict per replica: up, degraded (probing goes on,
 * the run store fails) or down (`pulse_prober_up` 0: the journeys' alerts are held).
 */
export class ProberHealth implements Listener {
  readonly name = 'prober-health';
  readonly #options: ProberHealthOptions;
  readonly #now: () => number;
  readonly #eventLoop: EventLoopSource;
  readonly #startedAt: number;
  #lastEventLoop: { p99Ms: number; maxMs: number } | undefined;
  #lastControl: { run: ControlRun; endedAt: number } | undefined;
  #lastControlSuccess: number | undefined;
  #controlProblem: string | undefined;
  #browserRestarts: number[] = [];
  #storeFailures: number[] = [];
  #status: ProberStatus | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ProberHealthOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#eventLoop = options.eventLoop ?? eventLoopMonitor();
    this.#startedAt = this.#now();
  }

  /** Recomputes every `everyMs`, each time with a fresh event-loop window. */
  start(everyMs: number): void {
    // What the loop went through before (start-up work) is not a window to judge.
    this.#eventLoop.take();
    this.evaluate();
    this.#timer = setInterval(() => this.evaluate({ newWindow: true }), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#eventLoop.close();
  }

  get status(): ProberStatus {
    return this.#status ?? this.evaluate();
  }

  controlResult(result: RunResult): void {
    const endedAt = this.#now();
    this.#controlProblem = undefined;
    this.#lastControl = {
      endedAt,
      run: {
        runId: result.runId,
        status: result.status,
        startedAt: result.startedAt,
        durationMs: result.durationMs,
        ...(result.error ? { error: result.error.message, ...(result.error.step ? { step: result.error.step } : {}) } : {}),
      },
    };
    if (result.status === 'success') this.#lastControlSuccess = endedAt;
    this.evaluate();
  }

  /** The control journey cannot run at all (it did not load): the check fails with why. */
  controlBroken(message: string): void {
    this.#controlProblem = message;
    this.evaluate();
  }

  /** A relaunched browser and a failing store count against pulse's health. */
  hear(event: ProberEvent): void {
    if (event.kind === 'browser-relaunched') this.browserRestarted();
    if (event.kind === 'store-problem') this.storeFailed();
  }

  browserRestarted(): void {
    this.#browserRestarts.push(this.#now());
  }

  storeFailed(): void {
    this.#storeFailures.push(this.#now());
  }

  evaluate(options: { newWindow?: boolean } = {}): ProberStatus {
    const now = this.#now();
    if (options.newWindow) this.#lastEventLoop = this.#eventLoop.take() ?? this.#lastEventLoop;
    const checks: Partial<Record<ProberCheck, CheckState>> = {};
    const control = this.#controlCheck(now);
    if (control) checks.control = control;
    checks.event_loop = this.#eventLoopCheck();
    const cpu = this.#cpuCheck();
    if (cpu) checks.cpu = cpu;
    checks.browser = this.#browserCheck(now);
    const store = this.#storeCheck(now);
    checks.store = store.check;

    const failing = (Object.entries(checks) as [ProberCheck, CheckState][])
      .filter(([, each]) => !each.ok)
      .map(([check, each]) => ({ check, detail: each.detail, degrading: DEGRADING_CHECKS.has(check) }));
    const up = failing.every((each) => each.degrading);
    const state: ProberState = !up ? 'down' : failing.length === 0 ? 'up' : 'degraded';
    const previous = this.#status;
    const at = new Date(now).toISOString();
    const status: ProberStatus = {
      up,
      state,
      failing,
      ...(store.diagnosis ? { store: store.diagnosis } : {}),
      at,
      since: previous && previous.state === state ? previous.since : at,
      checks,
      control: {
        intervalMs: this.#options.controlIntervalMs,
        lastRun: this.#lastControl?.run,
        lastSuccessAt: this.#lastControlSuccess === undefined ? undefined : new Date(this.#lastControlSuccess).toISOString(),
      },
    };
    this.#status = status;
    this.#options.publish(status);
    // The first verdict is news only when it is bad; after that, every turn is, and a new reason to be degraded.
    const news = previous ? previous.state !== state || previous.store?.condition !== status.store?.condition : state !== 'up';
    if (news) this.#options.changed(status);
    return status;
  }

  #controlCheck(now: number): CheckState | undefined {
    const interval = this.#options.controlIntervalMs;
    if (interval === undefined) return undefined;
    if (this.#controlProblem) return { ok: false, detail: this.#controlProblem };
    const staleAfter = LIMITS.controlIntervals * interval + this.#options.controlBudgetMs;
    const last = this.#lastControl;
    if (!last) {
      const waited = now - this.#startedAt;
      return waited <= staleAfter
        ? { ok: true, detail: 'waiting for the first control run' }
        : {
            ok: false,
            detail: `no control run has ended in the ${seconds(waited)} since pulse started (limit ${seconds(staleAfter)}): no free run slot, or the runs hang`,
          };
    }
    if (last.run.status !== 'success') {
      return {
        ok: false,
        detail: `the last control run ended in ${last.run.status}${last.run.step ? ` at step "${last.run.step}"` : ''}: ${last.run.error ?? 'no error given'}`,
      };
    }
    const age = now - last.endedAt;
    if (age > staleAfter)
      return { ok: false, detail: `the last control run passed ${seconds(age)} ago, more than ${seconds(staleAfter)}: no free run slot, or the runs hang` };
    return { ok: true, detail: `the last control run passed ${seconds(age)} ago in ${Math.round(last.run.durationMs)} ms` };
  }

  #eventLoopCheck(): CheckState {
    const figures = this.#lastEventLoop;
    if (!figures) return { ok: true, detail: 'no event-loop figures yet' };
    const ok = figures.p99Ms < LIMITS.eventLoopP99Ms && figures.maxMs < LIMITS.eventLoopMaxMs;
    return {
      ok,
      detail: `event-loop delay p99 ${Math.round(figures.p99Ms)} ms, max ${Math.round(figures.maxMs)} ms (limits ${LIMITS.eventLoopP99Ms} ms, ${LIMITS.eventLoopMaxMs} ms)`,
    };
  }

  #cpuCheck(): CheckState | undefined {
    const pressure = this.#options.cpuPressure?.();
    if (pressure === undefined) return undefined;
    return {
      ok: pressure < LIMITS.cpuSomeAvg60,
      detail: `runnable tasks waited for a CPU ${pressure.toFixed(1)}% of the last minute (limit ${LIMITS.cpuSomeAvg60}%)`,
    };
  }

  #browserCheck(now: number): CheckState {
    const failure = this.#options.browserLaunchFailure();
    if (failure) return { ok: false, detail: `the browser cannot be launched: ${failure}` };
    this.#browserRestarts = this.#browserRestarts.filter((at) => now - at <= LIMITS.browserWindowMs);
    const count = this.#browserRestarts.length;
    return {
      ok: count < LIMITS.browserRestarts,
      detail: `${count} browser relaunches in the last ${LIMITS.browserWindowMs / 60_000} min (limit ${LIMITS.browserRestarts})`,
    };
  }

  /** The store's condition as storeCondition judges it; the detail adds the failures counted within the window. */
  #storeCheck(now: number): { check: CheckState; diagnosis?: StoreDiagnosis } {
    this.#storeFailures = this.#storeFailures.filter((at) => now - at <= LIMITS.storeWindowMs);
    const count = this.#storeFailures.length;
    const failures = `${count} run store failures in the last ${LIMITS.storeWindowMs / 60_000} min (limit ${LIMITS.storeFailures})`;
    const often = count >= LIMITS.storeFailures;
    // Without a judge of the store's condition, the failures counted are the whole of it.
    if (!this.#options.storeCondition) return { check: { ok: !often, detail: failures } };
    const diagnosis = this.#options.storeCondition(often);
    if (!diagnosis) return { check: { ok: true, detail: failures } };
    return { check: { ok: false, detail: `${diagnosis.message}; fix: ${diagnosis.fix} (${failures})` }, diagnosis };
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
