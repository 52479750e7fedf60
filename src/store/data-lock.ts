import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { PulseError, describeError } from '../errors.ts';
import type { StoreDiagnosis } from '../events.ts';
import { conditionOfErrno, describeCondition, probeDataFolder, removeFile, tryWrite } from './data-folder.ts';

/** Who holds a data folder: written beside the lock so that the one refused can be told. */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

const LOCK = 'pulse.lock';
const HOLDER = 'pulse.lock.json';
/** The lock's mtime is refreshed this often; one not refreshed for STALE_MS belongs to a process that is gone. */
const UPDATE_MS = 10_000;
const STALE_MS = 30_000;

/** The lock could not be kept: why, in plain words. */
export interface LockLoss {
  /** Why, when it was lost (for the log): taken over, or not refreshed because the folder refused writes (read-only, full, ...). lostLockNow says what it is now. */
  diagnosis: StoreDiagnosis;
  /** What the lock library said. */
  error: string;
}

/** The held lock: released at stop, never failing the stop (a read-only folder keeps its lock, which the next start takes over). */
export interface DataLock {
  /** Undefined when released; else what was left behind and why. */
  release(): Promise<string | undefined>;
}

/**
 * One writer per data folder: two daemons on one folder would interleave their history. Taken
 * at start, released at stop; a lock left by a process that died is taken over (at once on the
 * same host when its pid is gone, after STALE_MS from another host sharing the volume).
 */
export async function lockDataFolder(dataDir: string, options: { onLost?: (loss: LockLoss) => void } = {}): Promise<DataLock> {
  const lockPath = path.join(dataDir, LOCK);
  const holderPath = path.join(dataDir, HOLDER);
  const take = () =>
    lockfile.lock(dataDir, {
      lockfilePath: lockPath,
      realpath: false,
      stale: STALE_MS,
      update: UPDATE_MS,
      retries: 0,
      // Default is to throw from a timer; a daemon whose lock was lost says why and carries on probing.
      onCompromised: (error) => options.onLost?.({ diagnosis: whyLost(error, dataDir), error: describeError(error).message }),
    });
  let release: () => Promise<void>;
  try {
    release = await take();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    const holder = readHolder(holderPath);
    if (!holder || !isGone(holder)) {
      const who = holder ? `pulse pid ${holder.pid} on ${holder.host} since ${holder.since}` : 'another pulse';
      throw new PulseError({
        message: `PULSE_DATA_DIR '${dataDir}' is in use by ${who}`,
        fix: 'stop that one, or give this one a data folder of its own (PULSE_DATA_DIR / --data-dir)',
      });
    }
    // Left behind by a process that died on this host: take it over.
    rmSync(lockPath, { recursive: true, force: true });
    release = await take();
  }
  const holder: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  writeFileSync(holderPath, `${JSON.stringify(holder)}\n`);
  return {
    release: async () => {
      let left: string | undefined;
      try {
        removeFile(holderPath);
      } catch (error) {
        const condition = probeDataFolder(dataDir)?.condition ?? conditionOfErrno(error);
        const why = condition ? describeCondition(condition, dataDir).message : `${holderPath} cannot be removed: ${describeError(error).message}`;
        left = `the lock ${lockPath} stays behind (${why}); the next pulse on this host takes it over`;
      }
      await release().catch(() => undefined);
      return left;
    },
  };
}

/**
 * A lock is lost when its refresh fails past the stale limit or its time is no longer ours. When
 * the folder refuses writes (read-only, full, not permitted), that is what to tell, not a takeover.
 */
function whyLost(error: Error, dataDir: string): StoreDiagnosis {
  const condition = conditionOfErrno(error) ?? probeDataFolder(dataDir)?.condition ?? tryWrite(dataDir);
  return condition ? describeCondition(condition, dataDir) : lostLockNow(dataDir);
}

/**
 * What a lost lock is now, asked of its holder file: taken over when it names another process
 * (which says so), else no longer held, for a reason past (a takeover since ended, or refreshes
 * refused by a folder that may take writes again).
 */
export function lostLockNow(dataDir: string): StoreDiagnosis {
  const holder = readHolder(path.join(dataDir, HOLDER));
  if (!holder || (holder.pid === process.pid && holder.host === hostname())) return describeCondition('lock_lost', dataDir);
  return {
    condition: 'lock_lost',
    message: `the lock on the data folder ${dataDir} was taken over by pulse pid ${holder.pid} on ${holder.host} since ${holder.since}; two writers may now share it`,
    fix: 'let one pulse only use this data folder (PULSE_DATA_DIR / --data-dir), then restart this one',
  };
}

/** The holder file's account, when it is one (a file written by hand or cut short names no one). */
function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder> | null;
    if (typeof holder?.pid !== 'number' || typeof holder.host !== 'string' || typeof holder.since !== 'string') return undefined;
    return { pid: holder.pid, host: holder.host, since: holder.since };
  } catch {
    return undefined;
  }
}

/** On this host, a holder whose process is gone (or whose pid is now ours, after a restart) left a stale lock. */
function isGone(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
