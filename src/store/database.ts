import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { PulseError, describeError } from '../errors.ts';
import type { StoreOperation, StoreProblem } from '../events.ts';
import { compactStamp } from '../run-id.ts';
import { diagnoseStoreError } from './data-folder.ts';
import { migrate } from './migrations.ts';

const STORE_FILE = 'runs.sqlite';
/** How often the store file is checked for having been deleted or replaced under pulse. */
const FILE_CHECK_MS = 1_000;

/** What on-call should know about the history itself: shown in the UI. */
export interface StoreHealth {
  failures: number;
  last: StoreProblem | undefined;
  /** Every time the store was started afresh, newest last. */
  resets: StoreProblem[];
  /** History is not being kept on disk (the data folder refuses a database). */
  inMemory: boolean;
  /** The last operation failed and none has succeeded since: the store is failing now, not only once. */
  failing: StoreProblem | undefined;
}

export interface StoreDatabaseOptions {
  dataDir: string;
  /** Told of every failure, so it can be logged and counted; the store itself carries on. */
  onProblem?: (problem: StoreProblem) => void;
}

/**
 * The run store's one SQLite connection (WAL) under the data folder, shared by its write side,
 * its read side, retention's ledger and the pauses. It heals instead of stopping the prober: a
 * file that cannot be opened, fails its integrity check or turns out damaged while running is
 * moved aside and a fresh one started; a file deleted under it is noticed and recreated; every
 * failure is reported, and the operation answers its fallback rather than throw.
 */
export class StoreDatabase {
  readonly file: string;
  readonly #dataDir: string;
  readonly #onProblem: (problem: StoreProblem) => void;
  #db!: Database.Database;
  /** Each side's statements, prepared again on every new connection (a fresh file after a reset). */
  readonly #preparers: ((db: Database.Database) => void)[] = [];
  /** Identity of the file the connection writes to, to notice it being deleted or replaced. */
  #inode: number | undefined;
  #checkedAt = 0;
  readonly #health: StoreHealth = { failures: 0, last: undefined, resets: [], inMemory: false, failing: undefined };

  constructor(options: StoreDatabaseOptions) {
    this.#dataDir = options.dataDir;
    this.file = path.join(options.dataDir, STORE_FILE);
    this.#onProblem = options.onProblem ?? (() => undefined);
    mkdirSync(options.dataDir, { recursive: true });
    this.#open();
  }

  health(): StoreHealth {
    return { ...this.#health, resets: [...this.#health.resets] };
  }

  /**
   * Prepares a side's statements now, and again only when the store starts afresh on a new
   * connection; the getter answers the set for the connection in use.
   */
  prepare<T>(build: (db: Database.Database) => T): () => T {
    let current = build(this.#db);
    this.#preparers.push((db) => {
      current = build(db);
    });
    return () => current;
  }

  /** Runs one store operation; a failure is reported, a damaged store replaced, and `fallback` answered. */
  guard<T>(operation: StoreOperation, fallback: T, body: () => T): T {
    this.#checkFile();
    try {
      const answer = body();
      // Only a write proves the folder takes writes again: reads go on from a full or read-only disk.
      if (operation === 'write') this.#health.failing = undefined;
      return answer;
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

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** Opens the file and checks it; a damaged one is moved aside and a fresh one started. */
  #open(): void {
    try {
      this.#connect(this.file);
      this.#checkIntegrity();
      return;
    } catch (error) {
      // A store written by a newer pulse is not damaged: refuse to start rather than discard it.
      if (error instanceof PulseError && error.code === 'newer-schema') throw error;
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
      this.#report('open', withCode(`${describeError(error).message}; run history is kept in memory only until pulse restarts`, error));
    }
  }

  #connect(file: string): void {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
    for (const prepare of this.#preparers) prepare(this.#db);
    this.#inode = file === ':memory:' ? undefined : statSync(file).ino;
    this.#checkedAt = performance.now();
  }

  #checkIntegrity(): void {
    const rows = this.#db.pragma('quick_check') as { quick_check: string }[];
    if (rows.length !== 1 || rows[0]?.quick_check !== 'ok') {
      throw new Error(
        `integrity check failed: ${rows
          .slice(0, 3)
          .map((r) => r.quick_check)
          .join('; ')}`,
      );
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
    const diagnosis = diagnoseStoreError(error, this.#dataDir, operation);
    const problem: StoreProblem = {
      operation,
      message: describeError(error).message,
      at: new Date().toISOString(),
      ...(reset ? { reset } : {}),
      ...(diagnosis ? { diagnosis } : {}),
    };
    this.#health.failures += 1;
    this.#health.last = problem;
    // A reset starts afresh; the fresh store is not failing until it fails itself.
    this.#health.failing = reset ? undefined : problem;
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
    this.#report(
      'missing',
      new Error(inode === undefined ? `${this.file} was deleted while pulse ran; history before now is lost` : `${this.file} was replaced while pulse ran`),
      { setAside: undefined },
    );
    this.#open();
  }
}

/** SQLite says the file itself is damaged (not full, not locked, not read-only). */
function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code);
}

/** A new message around an error, keeping its code and errno, which say what the folder refused. */
function withCode(message: string, error: unknown): Error {
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  return Object.assign(new Error(message), { code, errno });
}
