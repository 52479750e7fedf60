// What the data folder itself says when the run store or the lock cannot write: read-only, full,
// not this user's, a failing device. Told in plain words naming the folder, with the fix, so that
// a log line or an alert says "no space left on the device holding /var/lib/pulse" rather than
// an SQLite code or a lock "taken over" that did not happen.
import { accessSync, closeSync, constants, openSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { constants as os } from 'node:os';
import path from 'node:path';
import type { StoreCondition, StoreDiagnosis, StoreOperation } from '../events.ts';

/** Errors of the system that name a condition of the folder. */
const BY_ERRNO: Readonly<Record<string, StoreCondition>> = {
  EROFS: 'read_only',
  ENOSPC: 'full',
  EDQUOT: 'full',
  EACCES: 'not_permitted',
  EPERM: 'not_permitted',
  EIO: 'io_error',
};

/** The operations that write to the folder: only their failures are worth a write of ours to tell why. */
const WRITES: ReadonlySet<StoreOperation> = new Set(['open', 'write', 'retention']);

/** SQLite's own codes for the same (better-sqlite3 gives SQLite's extended code, not the errno). */
const BY_SQLITE: readonly (readonly [RegExp, StoreCondition])[] = [
  [/^SQLITE_FULL/, 'full'],
  [/^SQLITE_READONLY$|^SQLITE_READONLY_(RECOVERY|CANTINIT|DIRECTORY)$/, 'read_only'],
  [/^SQLITE_PERM/, 'not_permitted'],
  [/^SQLITE_IOERR/, 'io_error'],
];

/** The condition in plain words for the folder `dataDir`, with what mends it. */
export function describeCondition(condition: StoreCondition, dataDir: string): StoreDiagnosis {
  const uid = process.getuid?.();
  switch (condition) {
    case 'read_only':
      return {
        condition,
        message: `the data folder ${dataDir} is read-only`,
        fix: 'its file system was mounted or turned read-only (Linux does so after disk errors: see dmesg); mount it read-write again or point PULSE_DATA_DIR at a writable folder, then restart pulse',
      };
    case 'full':
      return {
        condition,
        message: `no space left on the device holding the data folder ${dataDir}`,
        fix: 'free space on it or give the data folder a bigger volume; PULSE_ARTIFACT_MAX_BYTES and PULSE_ARTIFACT_MAX_AGE keep the evidence smaller',
      };
    case 'not_permitted':
      return {
        condition,
        message: `this user${uid === undefined ? '' : ` (uid ${uid})`} may not write to the data folder ${dataDir}`,
        fix: 'give the user the folder (chown) or point PULSE_DATA_DIR at a folder it may write',
      };
    case 'io_error':
      return {
        condition,
        message: `the device holding the data folder ${dataDir} reports input/output errors`,
        fix: 'check the disk (dmesg, the health of the volume) and move the data folder to a sound one',
      };
    case 'in_memory':
      return {
        condition,
        message: `the run store in the data folder ${dataDir} could not be opened; run history is kept in memory only until pulse restarts`,
        fix: 'mend the data folder (the store_failed line in the log says why it was refused), then restart pulse',
      };
    case 'lock_lost':
      return {
        condition,
        message: `the data folder lock on ${dataDir} is no longer held (taken over by another process, or not refreshed while the folder refused writes)`,
        fix: 'restart pulse: it takes the lock again, or names the process that holds it',
      };
    case 'failing':
      return {
        condition,
        message: `the run store in the data folder ${dataDir} keeps failing`,
        fix: 'the store_failed lines in the log say at what and why',
      };
  }
}

/**
 * Asks the folder itself, without writing to it: may this user write there (a read-only file
 * system answers EROFS even to root), and is any space or inode left. Undefined when it looks
 * writable; a folder that cannot even be asked is left to the errors of the writes.
 */
export function probeDataFolder(dataDir: string): StoreDiagnosis | undefined {
  try {
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    const condition = conditionOfErrno(error);
    return condition ? describeCondition(condition, dataDir) : undefined;
  }
  try {
    const space = statfsSync(dataDir);
    // File systems that do not count (blocks or files 0, as btrfs does for inodes) are not full.
    const noBlocks = space.blocks > 0 && space.bavail <= 0;
    const noInodes = space.files > 0 && space.ffree <= 0;
    if (noBlocks || noInodes) return describeCondition('full', dataDir);
  } catch {
    // No statfs here: the writes will tell.
  }
  return undefined;
}

/**
 * Why a store operation failed, in the folder's terms. The error's own errno or SQLite code first:
 * a full, read-only or refused write says so itself, and a read never touches the folder. Only an
 * ambiguous code (SQLite's I/O error, cannot open) on a write or an open asks the folder and tries a
 * write of a few bytes: SQLite reports a write refused by a read-only file system as an I/O error,
 * and ext4 turned read-only after an error still calls itself writable to access(2).
 */
export function diagnoseStoreError(error: unknown, dataDir: string, operation: StoreOperation): StoreDiagnosis | undefined {
  const own = conditionOfErrno(error) ?? conditionOfSqlite(error);
  const folder = isAmbiguous(error) && WRITES.has(operation) ? (probeDataFolder(dataDir)?.condition ?? tryWrite(dataDir)) : undefined;
  const condition = folder ?? own;
  return condition ? describeCondition(condition, dataDir) : undefined;
}

/** Writes and removes a small file in the folder; the condition its refusal names, if it is refused. */
export function tryWrite(dataDir: string): StoreCondition | undefined {
  const file = path.join(dataDir, `.pulse-write-check-${process.pid}`);
  try {
    const fd = openSync(file, 'w');
    try {
      writeSync(fd, 'pulse checks that this folder takes writes\n');
    } finally {
      closeSync(fd);
    }
    removeFile(file);
    return undefined;
  } catch (error) {
    try {
      removeFile(file);
    } catch {
      // A folder that refused the write may refuse the removal too; the file was never made then.
    }
    return conditionOfErrno(error);
  }
}

/**
 * Removes a file that may already be gone. unlink(2), not rmSync: Node.js 24's rmSync reports a
 * refused removal as an unknown error (errno -4094, no code), which hides a read-only folder.
 */
export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** The condition an error of the system names, by its code or (when a library replaced the code) its errno. */
export function conditionOfErrno(error: unknown): StoreCondition | undefined {
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  if (typeof code === 'string' && code in BY_ERRNO) return BY_ERRNO[code];
  if (typeof errno === 'number') {
    const name = Object.entries(os.errno).find(([, value]) => value === Math.abs(errno))?.[0];
    if (name && name in BY_ERRNO) return BY_ERRNO[name];
  }
  return undefined;
}

/** SQLite codes that may hide a folder refusing writes (an I/O error, a file it cannot open). */
function isAmbiguous(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(IOERR|CANTOPEN)/.test(code);
}

function conditionOfSqlite(error: unknown): StoreCondition | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  return BY_SQLITE.find(([pattern]) => pattern.test(code))?.[1];
}
