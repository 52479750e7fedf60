import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { PulseError } from '../errors.ts';

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

/**
 * One writer per data folder: two daemons on one folder would interleave their history. Taken
 * at start, released at stop; a lock left by a process that died is taken over (at once on the
 * same host when its pid is gone, after STALE_MS from another host sharing the volume).
 */
export async function lockDataFolder(dataDir: string, options: { onCompromised?: (error: Error) => void } = {}): Promise<{ release: () => Promise<void> }> {
  const lockPath = path.join(dataDir, LOCK);
  const holderPath = path.join(dataDir, HOLDER);
  const take = () =>
    lockfile.lock(dataDir, {
      lockfilePath: lockPath,
      realpath: false,
      stale: STALE_MS,
      update: UPDATE_MS,
      retries: 0,
      // Default is to throw from a timer; a daemon whose lock was taken over says so and carries on probing.
      onCompromised: options.onCompromised ?? (() => undefined),
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
      rmSync(holderPath, { force: true });
      await release().catch(() => undefined);
    },
  };
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
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
