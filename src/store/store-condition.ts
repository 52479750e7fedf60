import type { StoreDiagnosis } from '../events.ts';
import { lostLockNow, type LockLoss } from './data-lock.ts';
import type { StoreHealth } from './database.ts';
import { describeCondition, probeDataFolder } from './data-folder.ts';

export interface StoreConditionSources {
  dataDir: string;
  /** The run store's own account: in memory, failing now. */
  store: () => StoreHealth;
  /** The data folder lock, when it was lost. */
  lock: () => LockLoss | undefined;
}

/**
 * Whether the run store keeps history as it should right now, and if not, the one reason to tell:
 * what the data folder says first (read-only, full, not permitted: the root of the rest), then a
 * store kept in memory, a lost lock (as it is now: its holder file is read again, so a mended
 * folder no longer reads as refusing), and writes failing for a reason the folder does not show:
 * failing now, or `failingOften` (the prober counted too many failures lately, writes passing between).
 * Undefined while all is well. Cheap enough for every health evaluation: a few system calls.
 */
export function storeCondition(sources: StoreConditionSources): (failingOften?: boolean) => StoreDiagnosis | undefined {
  return (failingOften = false) => {
    const folder = probeDataFolder(sources.dataDir);
    if (folder) return folder;
    const store = sources.store();
    if (store.inMemory) return describeCondition('in_memory', sources.dataDir);
    const lock = sources.lock();
    if (lock) {
      // Lost to a folder refusing writes: while the store's writes still fail, that refusal is the news.
      const refusal = store.failing?.diagnosis;
      if (refusal && lock.diagnosis.condition !== 'lock_lost') return refusal;
      return lostLockNow(sources.dataDir);
    }
    if (store.failing?.diagnosis) return store.failing.diagnosis;
    if (store.failing || failingOften) return describeCondition('failing', sources.dataDir);
    return undefined;
  };
}
