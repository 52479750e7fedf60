import type { Database } from 'better-sqlite3';
import { PulseError } from '../errors.ts';

/**
 * Schema changes in order; PRAGMA user_version records how many have run. Never edit a
 * shipped migration: add the next one.
 */
const MIGRATIONS: readonly ((db: Database) => void)[] = [
  (db) => {
    db.exec(`
      CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        journey TEXT NOT NULL,
        location TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('success', 'failure', 'error')),
        reason TEXT,
        failed_step TEXT,
        error TEXT,
        attempts INTEGER NOT NULL,
        flaky INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        artifacts TEXT NOT NULL,
        artifact_bytes INTEGER NOT NULL DEFAULT 0,
        artifacts_pruned_at TEXT,
        attempt_results TEXT NOT NULL
      );
      CREATE INDEX runs_by_journey ON runs (journey, started_ms DESC);
      CREATE INDEX runs_by_time ON runs (started_ms);
      CREATE TABLE steps (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        PRIMARY KEY (run_id, position)
      );
    `);
  },
  // Runs in flight, so that one cut off by a killed process is recorded at the next start.
  (db) => {
    db.exec(`
      CREATE TABLE in_flight (
        run_id TEXT PRIMARY KEY,
        journey TEXT NOT NULL,
        location TEXT NOT NULL,
        started_at TEXT NOT NULL,
        started_ms INTEGER NOT NULL
      );
    `);
  },
  // Manual runs (run now) and pauses for maintenance.
  (db) => {
    db.exec(`
      ALTER TABLE runs ADD COLUMN trigger TEXT NOT NULL DEFAULT 'schedule';
      ALTER TABLE runs ADD COLUMN triggered_by TEXT;
      CREATE TABLE pauses (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scope TEXT NOT NULL CHECK (scope IN ('journey', 'tag', 'all')),
        target TEXT,
        until_ms INTEGER NOT NULL,
        reason TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        ended_at TEXT,
        ended_by TEXT
      );
    `);
  },
  // Whose fault a run that did not succeed is, the small summary of what its pages did, and the
  // W3C trace id its marked requests carried (PULSE_MARK_TRAFFIC).
  (db) => {
    db.exec(`
      ALTER TABLE runs ADD COLUMN cause TEXT;
      ALTER TABLE runs ADD COLUMN observed TEXT;
      ALTER TABLE runs ADD COLUMN trace_id TEXT;
    `);
  },
  // What each step felt like (its web vitals and its network) and the own origins' certificates, as JSON.
  (db) => {
    db.exec(`
      ALTER TABLE steps ADD COLUMN vitals TEXT;
      ALTER TABLE steps ADD COLUMN network TEXT;
      ALTER TABLE runs ADD COLUMN certificates TEXT;
    `);
  },
  // The thresholds a successful run broke (degraded), as JSON; NULL for a run that broke none.
  (db) => {
    db.exec(`
      ALTER TABLE runs ADD COLUMN degraded TEXT;
    `);
  },
  // What a run cost: CPU of its worker and browser, and their peak resident memory; NULL where not measured.
  (db) => {
    db.exec(`
      ALTER TABLE runs ADD COLUMN cpu_seconds REAL;
      ALTER TABLE runs ADD COLUMN peak_rss_bytes INTEGER;
    `);
  },
  // Which version of its journey each run ran (a hash of the journey file and its local modules,
  // and the git commit), and the source of each distinct version, kept while a run refers to it.
  (db) => {
    db.exec(`
      ALTER TABLE runs ADD COLUMN journey_version TEXT;
      ALTER TABLE runs ADD COLUMN journey_commit TEXT;
      CREATE INDEX runs_by_journey_version ON runs (journey_version);
      CREATE TABLE journey_versions (
        hash TEXT PRIMARY KEY,
        journey TEXT NOT NULL,
        files TEXT NOT NULL,
        unresolved TEXT,
        first_seen_ms INTEGER NOT NULL
      );
    `);
  },
];

export function migrate(db: Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > MIGRATIONS.length) {
    throw new PulseError({
      code: 'newer-schema',
      message: `run store schema version ${from} is newer than this pulse knows (${MIGRATIONS.length})`,
      fix: 'upgrade pulse or use another PULSE_DATA_DIR',
    });
  }
  for (let version = from; version < MIGRATIONS.length; version += 1) {
    db.transaction(() => {
      MIGRATIONS[version]!(db);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return { from, to: MIGRATIONS.length };
}
