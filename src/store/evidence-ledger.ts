import type Database from 'better-sqlite3';
import type { Artifacts } from '../result.ts';
import type { StoreDatabase } from './database.ts';

/** A stored run whose evidence is still on disk, as retention weighs it. */
export interface StoredEvidence {
  runId: string;
  journey: string;
  startedMs: number;
  bytes: number;
  artifacts: Artifacts;
}

function prepareLedger(db: Database.Database) {
  const mark = db.prepare<[string, string]>('UPDATE runs SET artifacts_pruned_at = ? WHERE run_id = ?');
  return {
    withArtifacts: db.prepare<[], { run_id: string; journey: string; started_ms: number; artifact_bytes: number; artifacts: string }>(
      "SELECT run_id, journey, started_ms, artifact_bytes, artifacts FROM runs WHERE artifacts_pruned_at IS NULL AND artifacts != '{}' ORDER BY started_ms ASC",
    ),
    inFlight: db.prepare<[], { run_id: string }>('SELECT run_id FROM in_flight'),
    markPruned: db.transaction((runIds: readonly string[], at: string) => runIds.forEach((id) => mark.run(at, id))),
    deleteBefore: db.prepare<[number]>('DELETE FROM runs WHERE started_ms < ?'),
    deleteUnusedVersions: db.prepare<[]>('DELETE FROM journey_versions WHERE hash NOT IN (SELECT journey_version FROM runs WHERE journey_version IS NOT NULL)'),
  };
}

/**
 * What retention needs of the run store and no more: which runs still have evidence and how big
 * it is, which are in flight, and marking or forgetting runs. Failures count as 'retention'.
 */
export class EvidenceLedger {
  readonly #database: StoreDatabase;
  readonly #sql: () => ReturnType<typeof prepareLedger>;

  constructor(options: { database: StoreDatabase }) {
    this.#database = options.database;
    this.#sql = options.database.prepare(prepareLedger);
  }

  /** Runs whose evidence is still on disk, oldest first. */
  runsWithArtifacts(): StoredEvidence[] {
    return this.#database.guard('retention', [], () =>
      this.#sql()
        .withArtifacts.all()
        .map((r) => ({
          runId: r.run_id,
          journey: r.journey,
          startedMs: r.started_ms,
          bytes: r.artifact_bytes,
          artifacts: JSON.parse(r.artifacts) as Artifacts,
        })),
    );
  }

  /** Runs in flight now: their evidence folders are still being written. */
  inFlightRunIds(): string[] {
    return this.#database.guard('retention', [], () =>
      this.#sql()
        .inFlight.all()
        .map((row) => row.run_id),
    );
  }

  /** Says of each run that its evidence was deleted; the run itself stays. */
  markPruned(runIds: readonly string[], at = new Date()): void {
    this.#database.guard('retention', undefined, () => this.#sql().markPruned(runIds, at.toISOString()));
  }

  /** Forgets runs that started before the cut-off (their steps go with them). */
  deleteRunsBefore(cutoffMs: number): number {
    return this.#database.guard('retention', 0, () => this.#sql().deleteBefore.run(cutoffMs).changes);
  }

  /** Forgets the source of every journey version no stored run ran any more. */
  deleteUnusedVersions(): number {
    return this.#database.guard('retention', 0, () => this.#sql().deleteUnusedVersions.run().changes);
  }
}
