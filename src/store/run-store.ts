import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Artifacts, AttemptResult, Breach, CertificateInfo, FailureCause, FailureReason, Observations, PageVitals, RunResult, RunStatus, StepNetwork, StepResult } from '../result.ts';
import { artifactsDir, runArtifactsDir } from '../artifacts.ts';
import { compactStamp } from '../run-id.ts';
import type { Sink } from '../sinks/sink.ts';
import { NewerSchemaError, migrate } from './migrations.ts';

const STORE_FILE = 'runs.sqlite';

/** A stored run: the RunResult as it went out, plus what happened to it since. */
export interface RunRecord extends RunResult {
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
  /** Of successful runs in the last 24 h. */
  p50Ms: number | undefined;
  p95Ms: number | undefined;
  /** Newest first; `degraded` when a success broke a threshold. */
  recent: { runId: string; status: RunStatus; startedAt: string; degraded?: true }[];
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
}

/** A pause as the store keeps it; see src/operations/pauses.ts for what it means. */
export interface PauseRow {
  id: number;
  scope: 'journey' | 'tag' | 'all';
  target: string | null;
  until_ms: number;
  reason: string;
  created_by: string;
  created_at: string;
  ended_at: string | null;
  ended_by: string | null;
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
/** How often the store file is checked for having been deleted or replaced under pulse. */
const FILE_CHECK_MS = 1_000;

/** What the store was doing when it failed: a bounded label. */
export type StoreOperation = 'open' | 'write' | 'read' | 'retention' | 'missing';
export const STORE_OPERATIONS: readonly StoreOperation[] = ['open', 'write', 'read', 'retention', 'missing'];

export interface StoreProblem {
  operation: StoreOperation;
  message: string;
  at: string;
  /** The store was started afresh; where the damaged file was kept, when there was one. */
  reset?: { setAside: string | undefined };
}

/** What on-call should know about the history itself: shown in the UI. */
export interface StoreHealth {
  failures: number;
  last: StoreProblem | undefined;
  /** Every time the store was started afresh, newest last. */
  resets: StoreProblem[];
  /** History is not being kept on disk (the data folder refuses a database). */
  inMemory: boolean;
}

export interface RunStoreOptions {
  dataDir: string;
  /** Told of every failure, so it can be logged and counted; the store itself carries on. */
  onProblem?: (problem: StoreProblem) => void;
}

/** A run that was in flight when pulse stopped, recorded at the next start. */
export interface InterruptedRun {
  runId: string;
  journey: string;
  startedAt: string;
}

class StoreCorruptError extends Error {
  override name = 'StoreCorruptError';
}

/**
 * Run history in SQLite (WAL) under the data folder: every run with its steps, surviving restarts.
 * The store heals instead of stopping the prober: a file that cannot be opened, fails its
 * integrity check or turns out damaged while running is moved aside and a fresh one started; a
 * file deleted under it is noticed and recreated; every failure is reported and reads answer
 * empty rather than throw.
 */
export class RunStore implements Sink {
  readonly name = 'run-store';
  readonly file: string;
  readonly #artifactsRoot: string;
  readonly #onProblem: (problem: StoreProblem) => void;
  #db!: Database.Database;
  /** Statements every run writes with, prepared once per connection rather than per run. */
  #write!: {
    insertRun: Database.Statement;
    insertStep: Database.Statement;
    deleteSteps: Database.Statement;
    startRun: Database.Statement;
    endRun: Database.Statement;
  };
  /** Statements of the read side that every failed run's page uses. */
  #read!: { lastSuccess: Database.Statement };
  /** Identity of the file the connection writes to, to notice it being deleted or replaced. */
  #inode: number | undefined;
  #checkedAt = 0;
  readonly #health: StoreHealth = { failures: 0, last: undefined, resets: [], inMemory: false };

  constructor(options: RunStoreOptions) {
    this.file = path.join(options.dataDir, STORE_FILE);
    this.#artifactsRoot = artifactsDir(options.dataDir);
    this.#onProblem = options.onProblem ?? (() => undefined);
    mkdirSync(options.dataDir, { recursive: true });
    this.#open();
  }

  get schemaVersion(): number {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  health(): StoreHealth {
    return { ...this.#health, resets: [...this.#health.resets] };
  }

  /** Opens the file and checks it; a damaged one is moved aside and a fresh one started. */
  #open(): void {
    try {
      this.#connect(this.file);
      this.#checkIntegrity();
      return;
    } catch (error) {
      // A store written by a newer pulse is not damaged: refuse to start rather than discard it.
      if (error instanceof NewerSchemaError) throw error;
      this.#closeQuietly();
      const setAside = this.#setAside();
      this.#report('open', error, { setAside });
    }
    try {
      this.#connect(this.file);
    } catch (error) {
      // The folder refuses a database (read-only, full): keep probing, with history in memory.
      this.#closeQuietly();
      this.#connect(':memory:');
      this.#health.inMemory = true;
      this.#report('open', new Error(`${describe(error)}; run history is kept in memory only until pulse restarts`));
    }
  }

  #connect(file: string): void {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
    this.#write = {
      insertRun: this.#db.prepare(`
        INSERT OR REPLACE INTO runs (run_id, journey, location, status, reason, failed_step, error, attempts, flaky,
          started_at, started_ms, duration_ms, artifacts, artifact_bytes, attempt_results, trigger, triggered_by, cause, observed, trace_id, certificates, degraded)
        VALUES (@run_id, @journey, @location, @status, @reason, @failed_step, @error, @attempts, @flaky,
          @started_at, @started_ms, @duration_ms, @artifacts, @artifact_bytes, @attempt_results, @trigger, @triggered_by, @cause, @observed, @trace_id, @certificates, @degraded)`),
      insertStep: this.#db.prepare('INSERT INTO steps (run_id, position, name, status, duration_ms, vitals, network) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      deleteSteps: this.#db.prepare('DELETE FROM steps WHERE run_id = ?'),
      startRun: this.#db.prepare('INSERT OR REPLACE INTO in_flight (run_id, journey, location, started_at, started_ms) VALUES (?, ?, ?, ?, ?)'),
      endRun: this.#db.prepare('DELETE FROM in_flight WHERE run_id = ?'),
    };
    this.#read = {
      lastSuccess: this.#db.prepare(`SELECT * FROM runs WHERE journey = ? AND location = ? AND status = 'success' AND started_ms < ? ORDER BY started_ms DESC LIMIT 1`),
    };
    this.#inode = file === ':memory:' ? undefined : statSync(file).ino;
    this.#checkedAt = performance.now();
  }

  #checkIntegrity(): void {
    const rows = this.#db.pragma('quick_check') as { quick_check: string }[];
    if (rows.length !== 1 || rows[0]?.quick_check !== 'ok') {
      throw new StoreCorruptError(`integrity check failed: ${rows.slice(0, 3).map((r) => r.quick_check).join('; ')}`);
    }
  }

  /** Moves the store's files to `runs.sqlite.damaged-<time>`; returns where, or undefined when there was nothing to keep. */
  #setAside(): string | undefined {
    const target = `${this.file}.damaged-${compactStamp()}`;
    let moved: string | undefined;
    for (const suffix of ['', '-wal', '-shm']) {
      if (!existsSync(this.file + suffix)) continue;
      try {
        renameSync(this.file + suffix, target + suffix);
        if (suffix === '') moved = target;
      } catch {
        // A file that cannot be moved is left; opening afresh will tell.
      }
    }
    return moved;
  }

  /** Moves the -wal and -shm files of a database that is gone out of the way of the next one at the same path. */
  #moveLog(): void {
    const stamp = compactStamp();
    for (const suffix of ['-wal', '-shm']) {
      try {
        if (existsSync(this.file + suffix)) renameSync(this.file + suffix, `${this.file}.gone-${stamp}${suffix}`);
      } catch {
        // Opening afresh will tell whether the path is usable.
      }
    }
  }

  #closeQuietly(): void {
    try {
      if (this.#db?.open) this.#db.close();
    } catch {
      // Closing a damaged database may fail too; the handle is dropped either way.
    }
  }

  #report(operation: StoreOperation, error: unknown, reset?: { setAside: string | undefined }): void {
    const problem: StoreProblem = { operation, message: describe(error), at: new Date().toISOString(), ...(reset ? { reset } : {}) };
    this.#health.failures += 1;
    this.#health.last = problem;
    if (reset) this.#health.resets.push(problem);
    this.#onProblem(problem);
  }

  /** A store file deleted or replaced under pulse: its writes would go nowhere, so a fresh file is started. */
  #checkFile(): void {
    if (this.#inode === undefined || performance.now() - this.#checkedAt < FILE_CHECK_MS) return;
    this.#checkedAt = performance.now();
    let inode: number | undefined;
    try {
      inode = statSync(this.file).ino;
    } catch {
      inode = undefined;
    }
    if (inode === this.#inode) return;
    this.#closeQuietly();
    // The write-ahead log beside the path belongs to the old file: applied to the new one it would corrupt it.
    this.#moveLog();
    this.#report('missing', new Error(inode === undefined ? `${this.file} was deleted while pulse ran; history before now is lost` : `${this.file} was replaced while pulse ran`), { setAside: undefined });
    this.#open();
  }

  /** Runs one store operation; a failure is reported, a damaged store replaced, and `fallback` answered. */
  #guard<T>(operation: StoreOperation, fallback: T, body: () => T): T {
    this.#checkFile();
    try {
      return body();
    } catch (error) {
      if (isCorruption(error)) {
        this.#closeQuietly();
        const setAside = this.#setAside();
        this.#report(operation, error, { setAside });
        this.#open();
      } else {
        this.#report(operation, error);
      }
      return fallback;
    }
  }

  onResult(result: RunResult): void {
    this.insert(result);
  }

  /** Notes a run as in flight, so that one cut off by a killed process is still recorded at the next start. */
  runStarted(run: { runId: string; journey: string; location: string; startedAt: string }): void {
    this.#guard('write', undefined, () => {
      this.#write.startRun.run(run.runId, run.journey, run.location, run.startedAt, Date.parse(run.startedAt));
    });
  }

  /** Runs in flight now: their evidence folders are still being written. */
  inFlightRunIds(): string[] {
    return this.#guard('retention', [], () => (this.#db.prepare('SELECT run_id FROM in_flight').all() as { run_id: string }[]).map((row) => row.run_id));
  }

  /** Runs that were in flight when pulse last stopped, recorded now as prober errors. */
  recordInterrupted(): InterruptedRun[] {
    return this.#guard('write', [], () => {
      const rows = this.#db.prepare('SELECT run_id, journey, location, started_at FROM in_flight ORDER BY started_ms').all() as { run_id: string; journey: string; location: string; started_at: string }[];
      for (const row of rows) {
        this.insert({
          journey: row.journey,
          location: row.location,
          runId: row.run_id,
          status: 'error',
          startedAt: row.started_at,
          durationMs: 0,
          attempts: 0,
          flaky: false,
          steps: [],
          error: { message: 'pulse stopped while this run was in flight (killed, crashed, or cut off at shutdown); its outcome is unknown' },
          artifacts: {},
          attemptResults: [],
        });
      }
      return rows.map((row) => ({ runId: row.run_id, journey: row.journey, startedAt: row.started_at }));
    });
  }

  insert(result: RunResult): void {
    // Every attempt's evidence counts, not only the files the result links to.
    const artifactBytes = folderSize(runArtifactsDir(this.#artifactsRoot, result.journey, result.runId));
    this.#guard('write', undefined, () =>
      this.#db.transaction(() => {
        this.#write.endRun.run(result.runId);
        this.#write.deleteSteps.run(result.runId);
        this.#write.insertRun.run({
          run_id: result.runId,
          journey: result.journey,
          location: result.location,
          status: result.status,
          reason: result.error?.reason ?? null,
          failed_step: result.error?.step ?? null,
          error: result.error?.message ?? null,
          attempts: result.attempts,
          flaky: result.flaky ? 1 : 0,
          started_at: result.startedAt,
          started_ms: Date.parse(result.startedAt),
          duration_ms: result.durationMs,
          artifacts: JSON.stringify(result.artifacts),
          artifact_bytes: artifactBytes,
          // Each attempt's observations are left out: the run keeps the deciding one's, once.
          attempt_results: JSON.stringify(result.attemptResults.map(compactAttempt)),
          trigger: result.trigger?.kind ?? 'schedule',
          triggered_by: result.trigger?.by ?? null,
          cause: result.cause ?? null,
          observed: result.observed ? JSON.stringify(result.observed) : null,
          certificates: result.certificates ? JSON.stringify(result.certificates) : null,
          trace_id: result.traceId ?? null,
          degraded: result.degraded?.length ? JSON.stringify(result.degraded) : null,
        });
        result.steps.forEach((step, position) =>
          this.#write.insertStep.run(result.runId, position, step.name, step.status, step.durationMs, step.vitals ? JSON.stringify(step.vitals) : null, step.network ? JSON.stringify(step.network) : null),
        );
      })(),
    );
  }

  /** The last successful run of the journey in the location before `beforeMs`: what a failure is compared with. */
  lastSuccessBefore(journey: string, location: string, beforeMs: number): RunRecord | undefined {
    return this.#guard('read', undefined, () => {
      const row = this.#read.lastSuccess.get(journey, location, beforeMs) as RunRow | undefined;
      return row ? this.#withSteps([row])[0] : undefined;
    });
  }

  getRun(runId: string): RunRecord | undefined {
    return this.#guard('read', undefined, () => {
      const row = this.#db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as RunRow | undefined;
      return row ? this.#withSteps([row])[0] : undefined;
    });
  }

  listRuns(query: RunQuery = {}): RunRecord[] {
    return this.#guard('read', [], () => {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: Math.min(Math.max(query.limit ?? 50, 1), 500) };
      if (query.journey) {
        where.push('journey = @journey');
        params.journey = query.journey;
      }
      if (query.status) {
        where.push('status = @status');
        params.status = query.status;
      }
      if (query.before) {
        where.push('(started_ms, run_id) < (SELECT started_ms, run_id FROM runs WHERE run_id = @before)');
        params.before = query.before;
      }
      const rows = this.#db
        .prepare(`SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_ms DESC, run_id DESC LIMIT @limit`)
        .all(params) as RunRow[];
      return this.#withSteps(rows);
    });
  }

  /** Names of every journey with history, for journeys no longer configured. */
  journeysWithHistory(): string[] {
    return this.#guard('read', [], () => {
      return (this.#db.prepare('SELECT DISTINCT journey FROM runs ORDER BY journey').all() as { journey: string }[]).map((r) => r.journey);
    });
  }

  stats(journey: string, now = Date.now(), strip = 30): JourneyStats {
    return this.#guard('read', emptyStats(journey), () => {
      const recentRows = this.#db
        .prepare('SELECT run_id, status, started_at, degraded IS NOT NULL AS is_degraded FROM runs WHERE journey = ? ORDER BY started_ms DESC, run_id DESC LIMIT ?')
        .all(journey, strip) as (Pick<RunRow, 'run_id' | 'status' | 'started_at'> & { is_degraded: number })[];
      const lastRun = recentRows[0] ? this.getRun(recentRows[0].run_id) : undefined;
      const lastSuccess = this.#db.prepare("SELECT started_at FROM runs WHERE journey = ? AND status = 'success' ORDER BY started_ms DESC LIMIT 1").get(journey) as { started_at: string } | undefined;
      let since: string | undefined;
      if (lastRun) {
        // The streak began with the oldest run after the last run of the other kind.
        const isUp = lastRun.status === 'success';
        const breaker = this.#db
          .prepare(`SELECT started_ms FROM runs WHERE journey = ? AND status ${isUp ? "!= 'success'" : "= 'success'"} ORDER BY started_ms DESC LIMIT 1`)
          .get(journey) as { started_ms: number } | undefined;
        const first = this.#db
          .prepare('SELECT started_at FROM runs WHERE journey = ? AND started_ms > ? ORDER BY started_ms ASC LIMIT 1')
          .get(journey, breaker?.started_ms ?? -1) as { started_at: string } | undefined;
        since = first?.started_at;
      }
      const window = (ms: number) =>
        this.#db
          .prepare("SELECT COUNT(*) AS runs, SUM(status = 'success') AS ok, SUM(status != 'error') AS counted FROM runs WHERE journey = ? AND started_ms >= ?")
          .get(journey, now - ms) as { runs: number; ok: number | null; counted: number | null };
      const h1 = window(HOUR);
      const h24 = window(24 * HOUR);
      const flakes = (ms: number): FlakeFigure => {
        const row = this.#db
          .prepare("SELECT COUNT(*) AS successes, COALESCE(SUM(flaky), 0) AS flaky FROM runs WHERE journey = ? AND status = 'success' AND started_ms >= ?")
          .get(journey, now - ms) as { successes: number; flaky: number };
        return { successes: row.successes, flaky: row.flaky, share: row.successes > 0 ? row.flaky / row.successes : undefined };
      };
      const degraded = this.#db
        .prepare("SELECT COUNT(*) AS successes, COALESCE(SUM(degraded IS NOT NULL), 0) AS degraded FROM runs WHERE journey = ? AND status = 'success' AND started_ms >= ?")
        .get(journey, now - 24 * HOUR) as { successes: number; degraded: number };
      const durations = (
        this.#db.prepare("SELECT duration_ms FROM runs WHERE journey = ? AND status = 'success' AND started_ms >= ? ORDER BY duration_ms").all(journey, now - 24 * HOUR) as { duration_ms: number }[]
      ).map((r) => r.duration_ms);
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
        p50Ms: percentile(durations, 0.5),
        p95Ms: percentile(durations, 0.95),
        recent: recentRows.map((r) => ({ runId: r.run_id, status: r.status, startedAt: r.started_at, ...(r.is_degraded ? { degraded: true as const } : {}) })),
      };
    });
  }

  /** Step durations of the last successful runs, oldest first, for the chart on the journey page. */
  stepHistory(journey: string, limit = 50): { runId: string; startedAt: string; steps: { name: string; durationMs: number; vitals?: PageVitals[] }[] }[] {
    return this.#guard('read', [], () => {
      const runs = this.#db
        .prepare("SELECT run_id, started_at FROM runs WHERE journey = ? AND status = 'success' ORDER BY started_ms DESC LIMIT ?")
        .all(journey, limit) as { run_id: string; started_at: string }[];
      if (runs.length === 0) return [];
      const steps = this.#stepsOf(runs.map((r) => r.run_id));
      return runs.reverse().map((run) => ({ runId: run.run_id, startedAt: run.started_at, steps: (steps.get(run.run_id) ?? []).map((s) => ({ name: s.name, durationMs: s.durationMs, ...(s.vitals ? { vitals: s.vitals } : {}) })) }));
    });
  }

  /** Runs whose evidence is still on disk, oldest first, for retention. */
  runsWithArtifacts(): { runId: string; journey: string; startedMs: number; bytes: number; artifacts: Artifacts }[] {
    return this.#guard('retention', [], () => {
      const rows = this.#db
        .prepare("SELECT run_id, journey, started_ms, artifact_bytes, artifacts FROM runs WHERE artifacts_pruned_at IS NULL AND artifacts != '{}' ORDER BY started_ms ASC")
        .all() as Pick<RunRow, 'run_id' | 'journey' | 'started_ms' | 'artifact_bytes' | 'artifacts'>[];
      return rows.map((r) => ({ runId: r.run_id, journey: r.journey, startedMs: r.started_ms, bytes: r.artifact_bytes, artifacts: JSON.parse(r.artifacts) as Artifacts }));
    });
  }

  markPruned(runIds: readonly string[], at = new Date()): void {
    return this.#guard('retention', undefined, () => {
      const mark = this.#db.prepare('UPDATE runs SET artifacts_pruned_at = ? WHERE run_id = ?');
      this.#db.transaction(() => runIds.forEach((id) => mark.run(at.toISOString(), id)))();
    });
  }

  /** Forgets runs that started before the cut-off (their steps go with them). */
  deleteRunsBefore(cutoffMs: number): number {
    return this.#guard('retention', 0, () => {
      return this.#db.prepare('DELETE FROM runs WHERE started_ms < ?').run(cutoffMs).changes;
    });
  }

  /** Keeps a pause; returns its id. */
  addPause(pause: Omit<PauseRow, 'id' | 'ended_at' | 'ended_by'>): number | undefined {
    return this.#guard('write', undefined, () =>
      Number(
        this.#db
          .prepare('INSERT INTO pauses (scope, target, until_ms, reason, created_by, created_at) VALUES (@scope, @target, @until_ms, @reason, @created_by, @created_at)')
          .run(pause).lastInsertRowid,
      ),
    );
  }

  /** Ends pauses early (resume); returns how many were in force. */
  endPauses(ids: readonly number[], by: string, at = new Date()): number {
    return this.#guard('write', 0, () => {
      const end = this.#db.prepare('UPDATE pauses SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL');
      return this.#db.transaction(() => ids.reduce((sum, id) => sum + end.run(at.toISOString(), by, id).changes, 0))();
    });
  }

  /** Pauses neither ended nor expired at `nowMs`. */
  activePauses(nowMs = Date.now()): PauseRow[] {
    return this.#guard('read', [], () => this.#db.prepare('SELECT * FROM pauses WHERE ended_at IS NULL AND until_ms > ? ORDER BY id').all(nowMs) as PauseRow[]);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #withSteps(rows: RunRow[]): RunRecord[] {
    const steps = this.#stepsOf(rows.map((r) => r.run_id));
    return rows.map((row) => toRecord(row, steps.get(row.run_id) ?? []));
  }

  #stepsOf(runIds: string[]): Map<string, StepResult[]> {
    const byRun = new Map<string, StepResult[]>();
    if (runIds.length === 0) return byRun;
    const rows = this.#db
      .prepare(`SELECT run_id, name, status, duration_ms, vitals, network FROM steps WHERE run_id IN (${runIds.map(() => '?').join(',')}) ORDER BY run_id, position`)
      .all(...runIds) as StepRow[];
    for (const row of rows) {
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
  return { journey, lastRun: undefined, since: undefined, lastSuccessAt: undefined, runs1h: 0, successRate1h: undefined, runs24h: 0, successRate24h: undefined, flaky24h: none, flaky7d: none, degraded24h: { successes: 0, degraded: 0, share: undefined }, p50Ms: undefined, p95Ms: undefined, recent: [] };
}

/** SQLite says the file itself is damaged (not full, not locked, not read-only). */
function isCorruption(error: unknown): boolean {
  if (error instanceof StoreCorruptError) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
    artifactBytes: row.artifact_bytes,
    artifactsPrunedAt: row.artifacts_pruned_at ?? undefined,
  };
}

/**
 * An attempt as the run keeps it: the run has the deciding attempt's observations, certificates
 * and step vitals once; each attempt keeps its steps' names, statuses and times.
 */
function compactAttempt({ observed: _observed, certificates: _certificates, ...attempt }: AttemptResult): AttemptResult {
  return { ...attempt, steps: attempt.steps.map(({ name, status, durationMs }) => ({ name, status, durationMs })) };
}

function folderSize(dir: string): number {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .reduce((sum, entry) => sum + statSync(path.join(dir, entry.name)).size, 0);
  } catch {
    return 0;
  }
}

function percentile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}
