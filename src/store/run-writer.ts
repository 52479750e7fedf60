import type Database from 'better-sqlite3';
import { runArtifactsDir } from '../artifacts.ts';
import type { AttemptResult, RunResult } from '../result.ts';
import type { Sink } from '../sinks/sink.ts';
import type { StoreDatabase } from './database.ts';
import { folderBytes } from './folder-bytes.ts';

/** The sources kept per journey, newest first, whatever the retention: a version's source is up to 1 MiB. */
export const MAX_VERSIONS_PER_JOURNEY = 50;

/** A run that was in flight when pulse stopped, recorded at the next start. */
export interface InterruptedRun {
  runId: string;
  journey: string;
  startedAt: string;
}

interface InFlightRow {
  run_id: string;
  journey: string;
  location: string;
  started_at: string;
}

function prepareWrites(db: Database.Database) {
  const insertRun = db.prepare<[Record<string, unknown>]>(`
    INSERT OR REPLACE INTO runs (run_id, journey, location, status, reason, failed_step, error, attempts, flaky,
      started_at, started_ms, duration_ms, artifacts, artifact_bytes, attempt_results, trigger, triggered_by, cause, observed, trace_id, certificates, degraded, cpu_seconds, peak_rss_bytes,
      journey_version, journey_commit)
    VALUES (@run_id, @journey, @location, @status, @reason, @failed_step, @error, @attempts, @flaky,
      @started_at, @started_ms, @duration_ms, @artifacts, 0, @attempt_results, @trigger, @triggered_by, @cause, @observed, @trace_id, @certificates, @degraded, @cpu_seconds, @peak_rss_bytes,
      @journey_version, @journey_commit)`);
  // Each distinct version once, with its source: what a later run's diff is made from.
  const insertVersion = db.prepare<[string, string, string, string | null, number]>(
    'INSERT OR IGNORE INTO journey_versions (hash, journey, files, unresolved, first_seen_ms) VALUES (?, ?, ?, ?, ?)',
  );
  // A journey that is a new version at every run (one that rewrites its own file) keeps the sources of its latest only.
  const trimVersions = db.prepare<[string, string, number]>(
    `DELETE FROM journey_versions WHERE journey = ? AND hash IN (
      SELECT hash FROM journey_versions WHERE journey = ? ORDER BY first_seen_ms DESC, rowid DESC LIMIT -1 OFFSET ?)`,
  );
  const insertStep = db.prepare<[string, number, string, string, number, string | null, string | null]>(
    'INSERT INTO steps (run_id, position, name, status, duration_ms, vitals, network) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const deleteSteps = db.prepare<[string]>('DELETE FROM steps WHERE run_id = ?');
  const endRun = db.prepare<[string]>('DELETE FROM in_flight WHERE run_id = ?');
  /** Each journey's version last stored with this connection: the runs that follow it (nearly all) skip its source. */
  const lastStored = new Map<string, string>();
  const recordRun = db.transaction((result: RunResult) => {
    endRun.run(result.runId);
    deleteSteps.run(result.runId);
    const { version } = result;
    if (version && lastStored.get(result.journey) !== version.hash) {
      const unresolved = version.unresolved ? JSON.stringify(version.unresolved) : null;
      const added = insertVersion.run(version.hash, result.journey, JSON.stringify(version.files), unresolved, Date.now());
      if (added.changes > 0) trimVersions.run(result.journey, result.journey, MAX_VERSIONS_PER_JOURNEY);
    }
    insertRun.run(runRow(result));
    result.steps.forEach((step, position) =>
      insertStep.run(
        result.runId,
        position,
        step.name,
        step.status,
        step.durationMs,
        step.vitals ? JSON.stringify(step.vitals) : null,
        step.network ? JSON.stringify(step.network) : null,
      ),
    );
  });
  return {
    record: (result: RunResult) => {
      recordRun(result);
      // Only once written: a rolled-back run leaves its version to the next run to store.
      if (result.version) lastStored.set(result.journey, result.version.hash);
    },
    setBytes: db.prepare<[number, string]>('UPDATE runs SET artifact_bytes = ? WHERE run_id = ?'),
    startRun: db.prepare<[string, string, string, string, number]>(
      'INSERT OR REPLACE INTO in_flight (run_id, journey, location, started_at, started_ms) VALUES (?, ?, ?, ?, ?)',
    ),
    inFlight: db.prepare<[], InFlightRow>('SELECT run_id, journey, location, started_at FROM in_flight ORDER BY started_ms'),
  };
}

/**
 * The run store's write side: the sink that records every result, and the runs in flight. It
 * answers no questions about history; the UI and the API read through RunQueries.
 */
export class RunWriter implements Sink {
  readonly name = 'run-store';
  readonly stage = 'store';
  readonly #database: StoreDatabase;
  readonly #artifactsRoot: string;
  readonly #sql: () => ReturnType<typeof prepareWrites>;
  /** Evidence folders still being sized, awaited at close. */
  readonly #sizing = new Set<Promise<void>>();

  constructor(options: { database: StoreDatabase; artifactsRoot: string }) {
    this.#database = options.database;
    this.#artifactsRoot = options.artifactsRoot;
    this.#sql = options.database.prepare(prepareWrites);
  }

  /**
   * The run is in the store before the other sinks tell of it (the log links to its page); the
   * size of its evidence follows, measured off the event loop.
   */
  onResult(result: RunResult): Promise<void> {
    this.#record(result);
    return this.#sizeEvidence(result);
  }

  /** Notes a run as in flight, so that one cut off by a killed process is still recorded at the next start. */
  runStarted(run: { runId: string; journey: string; location: string; startedAt: string }): void {
    this.#database.guard('write', undefined, () => {
      this.#sql().startRun.run(run.runId, run.journey, run.location, run.startedAt, Date.parse(run.startedAt));
    });
  }

  /** Runs that were in flight when pulse last stopped, recorded now as prober errors. */
  async recordInterrupted(): Promise<InterruptedRun[]> {
    const interrupted = this.#database.guard('write', [], () => {
      const rows = this.#sql().inFlight.all();
      for (const row of rows) this.#record(interruptedRun(row));
      return rows.map((row) => ({ runId: row.run_id, journey: row.journey, startedAt: row.started_at }));
    });
    await Promise.all(interrupted.map((run) => this.#sizeEvidence(run)));
    return interrupted;
  }

  /** Waits for the evidence sizes still being measured; the connection itself is closed by its owner. */
  async close(): Promise<void> {
    await Promise.all(this.#sizing);
  }

  #record(result: RunResult): void {
    this.#database.guard('write', undefined, () => this.#sql().record(result));
  }

  #sizeEvidence(run: { journey: string; runId: string }): Promise<void> {
    const sizing = this.#measure(run).finally(() => this.#sizing.delete(sizing));
    this.#sizing.add(sizing);
    return sizing;
  }

  async #measure(run: { journey: string; runId: string }): Promise<void> {
    // Every attempt's evidence counts, not only the files the result links to.
    const bytes = await folderBytes(runArtifactsDir(this.#artifactsRoot, run.journey, run.runId));
    if (bytes > 0) this.#database.guard('write', undefined, () => this.#sql().setBytes.run(bytes, run.runId));
  }
}

function runRow(result: RunResult): Record<string, unknown> {
  return {
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
    // Each attempt's observations are left out: the run keeps the deciding one's, once.
    attempt_results: JSON.stringify(result.attemptResults.map(compactAttempt)),
    trigger: result.trigger?.kind ?? 'schedule',
    triggered_by: result.trigger?.by ?? null,
    cause: result.cause ?? null,
    observed: result.observed ? JSON.stringify(result.observed) : null,
    certificates: result.certificates ? JSON.stringify(result.certificates) : null,
    trace_id: result.traceId ?? null,
    degraded: result.degraded?.length ? JSON.stringify(result.degraded) : null,
    cpu_seconds: result.usage?.cpuSeconds ?? null,
    peak_rss_bytes: result.usage ? Math.round(result.usage.peakRssBytes) : null,
    journey_version: result.version?.hash ?? null,
    journey_commit: result.version?.commit ?? null,
  };
}

function interruptedRun(row: InFlightRow): RunResult {
  return {
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
  };
}

/**
 * An attempt as the run keeps it: the run has the deciding attempt's observations, certificates
 * and step vitals once; each attempt keeps its steps' names, statuses and times.
 */
function compactAttempt({ observed: _observed, certificates: _certificates, ...attempt }: AttemptResult): AttemptResult {
  return { ...attempt, steps: attempt.steps.map(({ name, status, durationMs }) => ({ name, status, durationMs })) };
}
