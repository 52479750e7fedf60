import type Database from 'better-sqlite3';
import type { StoreDatabase } from './database.ts';

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

function preparePauses(db: Database.Database) {
  const end = db.prepare<[string, string, number]>('UPDATE pauses SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL');
  return {
    add: db.prepare<[Omit<PauseRow, 'id' | 'ended_at' | 'ended_by'>]>(
      'INSERT INTO pauses (scope, target, until_ms, reason, created_by, created_at) VALUES (@scope, @target, @until_ms, @reason, @created_by, @created_at)',
    ),
    end: db.transaction((ids: readonly number[], by: string, at: string) => ids.reduce((sum, id) => sum + end.run(at, by, id).changes, 0)),
    active: db.prepare<[number], PauseRow>('SELECT * FROM pauses WHERE ended_at IS NULL AND until_ms > ? ORDER BY id'),
  };
}

/** Pauses for maintenance kept beside the run history, so that they survive a restart. */
export class PauseStore {
  readonly #database: StoreDatabase;
  readonly #sql: () => ReturnType<typeof preparePauses>;

  constructor(options: { database: StoreDatabase }) {
    this.#database = options.database;
    this.#sql = options.database.prepare(preparePauses);
  }

  /** Keeps a pause; returns its id. */
  addPause(pause: Omit<PauseRow, 'id' | 'ended_at' | 'ended_by'>): number | undefined {
    return this.#database.guard('write', undefined, () => Number(this.#sql().add.run(pause).lastInsertRowid));
  }

  /** Ends pauses early (resume); returns how many were in force. */
  endPauses(ids: readonly number[], by: string, at = new Date()): number {
    return this.#database.guard('write', 0, () => this.#sql().end(ids, by, at.toISOString()));
  }

  /** Pauses neither ended nor expired at `nowMs`. */
  activePauses(nowMs = Date.now()): PauseRow[] {
    return this.#database.guard('read', [], () => this.#sql().active.all(nowMs));
  }
}
