import type Database from 'better-sqlite3';
import { z } from 'zod';
import type {
  Artifacts,
  AttemptResult,
  Breach,
  CertificateInfo,
  FailureCause,
  FailureReason,
  Observations,
  PageVitals,
  RunResult,
  RunStatus,
  StepNetwork,
  StepResult,
} from '../result.ts';
import { NEAR_MISS_PERCENTILE } from '../near-miss.ts';
import type { JourneyVersion } from '../journey.ts';
import type { StoreDatabase, StoreHealth } from './database.ts';

/** A kept version's files and left-out imports as stored: checked on the way out, since the row is only text. */
const storedFiles = z.array(z.object({ path: z.string(), text: z.string(), truncated: z.literal(true).optional() }));
const storedUnresolved = z.array(z.string());

/** The value of JSON text, or undefined when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Which version of its journey a stored run ran; its source is kept once per version (journeyVersion). */
export type RunVersion = Pick<JourneyVersion, 'hash' | 'commit'>;

/** A stored run: the RunResult as it went out, plus what happened to it since. */
export interface RunRecord extends Omit<RunResult, 'version'> {
  version?: RunVersion;
  artifactBytes: number;
  /** When retention deleted the evidence files; the run itself stays. */
  artifactsPrunedAt: string | undefined;
}

export interface RunQuery {
  journey?: string;
  status?: RunStatus;
  /** Runs that started before this run id's start (paging). */
  before?: string;
  limit?: number;
}

export interface FlakeFigure {
  /** Successful runs in the window, and those that needed a retry. */
  successes: number;
  flaky: number;
  /** flaky / successes, undefined without successes. */
  share: number | undefined;
}

export interface DegradedFigure {
  successes: number;
  degraded: number;
  /** degraded / successes, undefined without successes. */
  share: number | undefined;
}

export interface JourneyStats {
  journey: string;
  lastRun: RunRecord | undefined;
  /** When the current streak of up (success) or down (not success) began. */
  since: string | undefined;
  lastSuccessAt: string | undefined;
  runs1h: number;
  successRate1h: number | undefined;
  runs24h: number;
  successRate24h: number | undefined;
  /** Of successful runs, the share that needed a retry (flaky), over 24 h and 7 days: the flake ledger. */
  flaky24h: FlakeFigure;
  flaky7d: FlakeFigure;
  /** Of successful runs over 24 h, those that broke a threshold (degraded). */
  degraded24h: DegradedFigure;
  /** What the journey's runs cost over 24 h (every run measured, whatever its result). */
  cost24h: CostFigure;
  /** Of successful runs in the last 24 h. */
  p50Ms: number | undefined;
  p95Ms: number | undefined;
  /** Newest first; `degraded` when a success broke a threshold. */
  recent: { runId: string; status: RunStatus; startedAt: string; degraded?: true }[];
}

/** CPU and memory of a journey's runs: its worker and that worker's browser. */
export interface CostFigure {
  /** Runs with a reading. */
  measured: number;
  cpuMedianSeconds: number | undefined;
  cpuTotalSeconds: number;
  /** The highest peak of resident memory among them. */
  peakRssBytes: number | undefined;
}

/** How long one step of a journey's successful runs took over a window: how near its timeout it runs. */
export interface StepFigure {
  name: string;
  /** Successful runs in which the step passed. */
  runs: number;
  /** Nearest-rank p95 of its duration in them: over a share of the timeout exactly when more than 5% of them were. */
  p95Ms: number;
}

/** The steps of a journey's successful runs over a window, in the order of the latest run; past `limit` names, only counted. */
export interface StepFigures {
  steps: StepFigure[];
  /** Step names past the limit (a journey that builds them from data). */
  more: number;
}

/** Step durations of one successful run, for the chart on the journey page. */
export interface StepTimes {
  runId: string;
  startedAt: string;
  steps: { name: string; durationMs: number; vitals?: PageVitals[] }[];
}

interface RunRow {
  run_id: string;
  journey: string;
  location: string;
  status: RunStatus;
  reason: FailureReason | null;
  failed_step: string | null;
  error: string | null;
  attempts: number;
  flaky: number;
  started_at: string;
  started_ms: number;
  duration_ms: number;
  artifacts: string;
  artifact_bytes: number;
  artifacts_pruned_at: string | null;
  attempt_results: string;
  trigger: 'schedule' | 'manual';
  triggered_by: string | null;
  cause: FailureCause | null;
  observed: string | null;
  certificates: string | null;
  trace_id: string | null;
  degraded: string | null;
  cpu_seconds: number | null;
  peak_rss_bytes: number | null;
  journey_version: string | null;
  journey_commit: string | null;
}

interface StepRow {
  run_id: string;
  name: string;
  status: StepResult['status'];
  duration_ms: number;
  vitals: string | null;
  network: string | null;
}

const HOUR = 3_600_000;
/** The most runs one list answers. */
const MAX_LIST = 500;

/** The list of runs with the filters a query names: one statement per combination, eight in all. */
function listSql(filters: { journey: boolean; status: boolean; before: boolean }): string {
  const where = [
    ...(filters.journey ? ['journey = @journey'] : []),
    ...(filters.status ? ['status = @status'] : []),
    ...(filters.before ? ['(started_ms, run_id) < (SELECT started_ms, run_id FROM runs WHERE run_id = @before)'] : []),
  ];
  return `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_ms DESC, run_id DESC LIMIT @limit`;
}

/** Index into the list statements for the filters a query names. */
function listIndex(filters: { journey: boolean; status: boolean; before: boolean }): number {
  return (filters.journey ? 1 : 0) | (filters.status ? 2 : 0) | (filters.before ? 4 : 0);
}

function prepareQueries(db: Database.Database) {
  return {
    run: db.prepare<[string], RunRow>('SELECT * FROM runs WHERE run_id = ?'),
    lastSuccessBefore: db.prepare<[string, string, number], RunRow>(
      `SELECT * FROM runs WHERE journey = ? AND location = ? AND status = 'success' AND started_ms < ? ORDER BY started_ms DESC LIMIT 1`,
    ),
    list: Array.from({ length: 8 }, (_, index) =>
      db.prepare<[{ journey?: string; status?: RunStatus; before?: string; limit: number }], RunRow>(
        listSql({ journey: (index & 1) !== 0, status: (index & 2) !== 0, before: (index & 4) !== 0 }),
      ),
    ),
    journeys: db.prepare<[], { journey: string }>('SELECT DISTINCT journey FROM runs ORDER BY journey'),
    recent: db.prepare<[string, number], Pick<RunRow, 'run_id' | 'status' | 'started_at'> & { is_degraded: number }>(
      'SELECT run_id, status, started_at, degraded IS NOT NULL AS is_degraded FROM runs WHERE journey = ? ORDER BY started_ms DESC, run_id DESC LIMIT ?',
    ),
    lastSuccessAt: db.prepare<[string], { started_at: string }>(
      "SELECT started_at FROM runs WHERE journey = ? AND status = 'success' ORDER BY started_ms DESC LIMIT 1",
    ),
    // The streak began with the oldest run after the last run of the other kind.
    lastFailure: db.prepare<[string], { started_ms: number }>(
      "SELECT started_ms FROM runs WHERE journey = ? AND status != 'success' ORDER BY started_ms DESC LIMIT 1",
    ),
    lastSuccess: db.prepare<[string], { started_ms: number }>(
      "SELECT started_ms FROM runs WHERE journey = ? AND status = 'success' ORDER BY started_ms DESC LIMIT 1",
    ),
    firstAfter: db.prepare<[string, number], { started_at: string }>(
      'SELECT started_at FROM runs WHERE journey = ? AND started_ms > ? ORDER BY started_ms ASC LIMIT 1',
    ),
    window: db.prepare<[string, number], { runs: number; ok: number | null; counted: number | null }>(
      "SELECT COUNT(*) AS runs, SUM(status = 'success') AS ok, SUM(status != 'error') AS counted FROM runs WHERE journey = ? AND started_ms >= ?",
    ),
    flakes: db.prepare<[string, number], { successes: number; flaky: number }>(
      "SELECT COUNT(*) AS successes, COALESCE(SUM(flaky), 0) AS flaky FROM runs WHERE journey = ? AND status = 'success' AND started_ms >= ?",
    ),
    degraded: db.prepare<[string, number], { successes: number; degraded: number }>(
      "SELECT COUNT(*) AS successes, COALESCE(SUM(degraded IS NOT NULL), 0) AS degraded FROM runs WHERE journey = ? AND status = 'success' AND started_ms >= ?",
    ),
    costs: db.prepare<[string, number], { cpu_seconds: number; peak_rss_bytes: number }>(
      'SELECT cpu_seconds, peak_rss_bytes FROM runs WHERE journey = ? AND started_ms >= ? AND cpu_seconds IS NOT NULL ORDER BY cpu_seconds',
    ),
    durations: db.prepare<[string, number], { duration_ms: number }>(
      "SELECT duration_ms FROM runs WHERE journey = ? AND status = 'success' AND started_ms >= ? ORDER BY duration_ms",
    ),
    successes: db.prepare<[string, number], { run_id: string; started_at: string }>(
      "SELECT run_id, started_at FROM runs WHERE journey = ? AND status = 'success' ORDER BY started_ms DESC LIMIT ?",
    ),
    passedSteps: db.prepare<[string, number], { name: string; duration_ms: number }>(
      `SELECT s.name, s.duration_ms FROM runs r JOIN steps s ON s.run_id = r.run_id
       WHERE r.journey = ? AND r.status = 'success' AND r.started_ms >= ? AND s.status = 'passed'
       ORDER BY r.started_ms DESC, r.run_id DESC, s.position`,
    ),
    version: db.prepare<[string], { files: string; unresolved: string | null }>('SELECT files, unresolved FROM journey_versions WHERE hash = ?'),
    // The run ids go in as one JSON array: one statement for any number of runs.
    steps: db.prepare<[string], StepRow>(
      'SELECT run_id, name, status, duration_ms, vitals, network FROM steps WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, position',
    ),
  };
}

/**
 * The run store's read side: what the UI, the JSON API and the comparison with the last good
 * run ask of history. Its statements are prepared once, not per request or per journey; it
 * cannot write. A failing read is reported by the database and answers empty.
 */
export class RunQueries {
  readonly #database: StoreDatabase;
  readonly #sql: () => ReturnType<typeof prepareQueries>;

  constructor(options: { database: StoreDatabase }) {
    this.#database = options.database;
    this.#sql = options.database.prepare(prepareQueries);
  }

  /** What on-call should know about the history itself. */
  health(): StoreHealth {
    return this.#database.health();
  }

  getRun(runId: string): RunRecord | undefined {
    return this.#database.guard('read', undefined, () => {
      const row = this.#sql().run.get(runId);
      return row ? this.#withSteps([row])[0] : undefined;
    });
  }

  /** The last successful run of the journey in the location before `beforeMs`: what a failure is compared with. */
  lastSuccessBefore(journey: string, location: string, beforeMs: number): RunRecord | undefined {
    return this.#database.guard('read', undefined, () => {
      const row = this.#sql().lastSuccessBefore.get(journey, location, beforeMs);
      return row ? this.#withSteps([row])[0] : undefined;
    });
  }

  listRuns(query: RunQuery = {}): RunRecord[] {
    return this.#database.guard('read', [], () => {
      const statement = this.#sql().list[listIndex({ journey: Boolean(query.journey), status: Boolean(query.status), before: Boolean(query.before) })]!;
      const rows = statement.all({
        limit: Math.min(Math.max(query.limit ?? 50, 1), MAX_LIST),
        ...(query.journey ? { journey: query.journey } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.before ? { before: query.before } : {}),
      });
      return this.#withSteps(rows);
    });
  }

  /** Names of every journey with history, for journeys no longer configured. */
  journeysWithHistory(): string[] {
    return this.#database.guard('read', [], () =>
      this.#sql()
        .journeys.all()
        .map((r) => r.journey),
    );
  }

  stats(journey: string, now = Date.now(), strip = 30): JourneyStats {
    return this.#database.guard('read', emptyStats(journey), () => {
      const sql = this.#sql();
      const recentRows = sql.recent.all(journey, strip);
      const lastRun = recentRows[0] ? this.getRun(recentRows[0].run_id) : undefined;
      const lastSuccess = sql.lastSuccessAt.get(journey);
      let since: string | undefined;
      if (lastRun) {
        const breaker = (lastRun.status === 'success' ? sql.lastFailure : sql.lastSuccess).get(journey);
        since = sql.firstAfter.get(journey, breaker?.started_ms ?? -1)?.started_at;
      }
      const h1 = sql.window.get(journey, now - HOUR)!;
      const h24 = sql.window.get(journey, now - 24 * HOUR)!;
      const flakes = (ms: number): FlakeFigure => {
        const row = sql.flakes.get(journey, now - ms)!;
        return { successes: row.successes, flaky: row.flaky, share: row.successes > 0 ? row.flaky / row.successes : undefined };
      };
      const degraded = sql.degraded.get(journey, now - 24 * HOUR)!;
      const durations = sql.durations.all(journey, now - 24 * HOUR).map((r) => r.duration_ms);
      const costs = sql.costs.all(journey, now - 24 * HOUR);
      return {
        journey,
        lastRun,
        since,
        lastSuccessAt: lastSuccess?.started_at,
        runs1h: h1.runs,
        // Prober errors say nothing about the target, so they stay out of its success rate.
        successRate1h: h1.counted ? (h1.ok ?? 0) / h1.counted : undefined,
        runs24h: h24.runs,
        successRate24h: h24.counted ? (h24.ok ?? 0) / h24.counted : undefined,
        flaky24h: flakes(24 * HOUR),
        flaky7d: flakes(7 * 24 * HOUR),
        degraded24h: { ...degraded, share: degraded.successes > 0 ? degraded.degraded / degraded.successes : undefined },
        cost24h: {
          measured: costs.length,
          cpuMedianSeconds: percentile(
            costs.map((c) => c.cpu_seconds),
            0.5,
          ),
          cpuTotalSeconds: costs.reduce((sum, c) => sum + c.cpu_seconds, 0),
          peakRssBytes: costs.length > 0 ? Math.max(...costs.map((c) => c.peak_rss_bytes)) : undefined,
        },
        p50Ms: percentile(durations, 0.5),
        p95Ms: percentile(durations, 0.95),
        recent: recentRows.map((r) => ({ runId: r.run_id, status: r.status, startedAt: r.started_at, ...(r.is_degraded ? { degraded: true as const } : {}) })),
      };
    });
  }

  /** The source of a version a stored run ran (without the commit: that is the run's); undefined when it is not kept. */
  journeyVersion(hash: string): Omit<JourneyVersion, 'commit'> | undefined {
    const row = this.#database.guard('read', undefined, () => this.#sql().version.get(hash));
    if (!row) return undefined;
    // A row that does not read as a version (damaged, written by hand) is a source not kept: the store itself works.
    const files = storedFiles.safeParse(parseJson(row.files));
    const unresolved = row.unresolved ? storedUnresolved.safeParse(parseJson(row.unresolved)) : undefined;
    if (!files.success || (unresolved && !unresolved.success)) return undefined;
    return { hash, files: files.data, ...(unresolved ? { unresolved: unresolved.data } : {}) };
  }

  /** Step durations of the last successful runs, oldest first, for the chart on the journey page. */
  stepHistory(journey: string, limit = 50): StepTimes[] {
    return this.#database.guard('read', [], () => {
      const runs = this.#sql().successes.all(journey, limit);
      if (runs.length === 0) return [];
      const steps = this.#stepsOf(runs.map((r) => r.run_id));
      return runs.reverse().map((run) => ({
        runId: run.run_id,
        startedAt: run.started_at,
        steps: (steps.get(run.run_id) ?? []).map((s) => ({ name: s.name, durationMs: s.durationMs, ...(s.vitals ? { vitals: s.vitals } : {}) })),
      }));
    });
  }

  /** The p95 of each step of the journey's successful runs over the last 24 h, as the alert on near misses judges it. */
  stepFigures(journey: string, now = Date.now(), limit = 50): StepFigures {
    return this.#database.guard('read', { steps: [], more: 0 }, () => {
      const byName = new Map<string, number[]>();
      for (const row of this.#sql().passedSteps.all(journey, now - 24 * HOUR)) {
        const durations = byName.get(row.name);
        if (durations) durations.push(row.duration_ms);
        else byName.set(row.name, [row.duration_ms]);
      }
      const steps = [...byName].slice(0, limit).map(([name, durations]) => {
        durations.sort((a, b) => a - b);
        return { name, runs: durations.length, p95Ms: percentile(durations, NEAR_MISS_PERCENTILE)! };
      });
      return { steps, more: Math.max(0, byName.size - limit) };
    });
  }

  #withSteps(rows: RunRow[]): RunRecord[] {
    const steps = this.#stepsOf(rows.map((r) => r.run_id));
    return rows.map((row) => toRecord(row, steps.get(row.run_id) ?? []));
  }

  #stepsOf(runIds: string[]): Map<string, StepResult[]> {
    const byRun = new Map<string, StepResult[]>();
    if (runIds.length === 0) return byRun;
    for (const row of this.#sql().steps.all(JSON.stringify(runIds))) {
      const list = byRun.get(row.run_id) ?? [];
      list.push({
        name: row.name,
        status: row.status,
        durationMs: row.duration_ms,
        ...(row.vitals ? { vitals: JSON.parse(row.vitals) as PageVitals[] } : {}),
        ...(row.network ? { network: JSON.parse(row.network) as StepNetwork } : {}),
      });
      byRun.set(row.run_id, list);
    }
    return byRun;
  }
}

function emptyStats(journey: string): JourneyStats {
  const none: FlakeFigure = { successes: 0, flaky: 0, share: undefined };
  return {
    journey,
    lastRun: undefined,
    since: undefined,
    lastSuccessAt: undefined,
    runs1h: 0,
    successRate1h: undefined,
    runs24h: 0,
    successRate24h: undefined,
    flaky24h: none,
    flaky7d: none,
    degraded24h: { successes: 0, degraded: 0, share: undefined },
    cost24h: { measured: 0, cpuMedianSeconds: undefined, cpuTotalSeconds: 0, peakRssBytes: undefined },
    p50Ms: undefined,
    p95Ms: undefined,
    recent: [],
  };
}

function toRecord(row: RunRow, steps: StepResult[]): RunRecord {
  return {
    journey: row.journey,
    location: row.location,
    runId: row.run_id,
    ...(row.trace_id ? { traceId: row.trace_id } : {}),
    status: row.status,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    attempts: row.attempts,
    flaky: row.flaky === 1,
    steps,
    error: row.error === null ? undefined : { message: row.error, step: row.failed_step ?? undefined, reason: row.reason ?? undefined },
    artifacts: JSON.parse(row.artifacts) as Artifacts,
    attemptResults: JSON.parse(row.attempt_results) as AttemptResult[],
    trigger: row.trigger === 'manual' ? { kind: 'manual', ...(row.triggered_by ? { by: row.triggered_by } : {}) } : { kind: 'schedule' },
    ...(row.cause ? { cause: row.cause } : {}),
    ...(row.observed ? { observed: JSON.parse(row.observed) as Observations } : {}),
    ...(row.certificates ? { certificates: JSON.parse(row.certificates) as CertificateInfo[] } : {}),
    ...(row.degraded ? { degraded: JSON.parse(row.degraded) as Breach[] } : {}),
    ...(row.cpu_seconds !== null && row.peak_rss_bytes !== null ? { usage: { cpuSeconds: row.cpu_seconds, peakRssBytes: row.peak_rss_bytes } } : {}),
    ...(row.journey_version ? { version: { hash: row.journey_version, ...(row.journey_commit ? { commit: row.journey_commit } : {}) } } : {}),
    artifactBytes: row.artifact_bytes,
    artifactsPrunedAt: row.artifacts_pruned_at ?? undefined,
  };
}

function percentile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}
