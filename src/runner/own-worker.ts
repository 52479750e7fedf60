import { loadJourneys, type JourneyLoader, type LoadOptions, type Registry } from '../registry/load.ts';
import { defaultOf } from '../settings/table.ts';
import { JourneyWorker } from './journey-worker.ts';

/**
 * Loads the journeys in a journey worker of the caller's own, for the commands that have no
 * prober (validate, list): no journey code runs in the calling process either way.
 */
export async function loadInOwnWorker(options: Omit<LoadOptions, 'workers'> & { memoryLimitBytes?: number }): Promise<Registry> {
  const cwd = options.cwd ?? process.cwd();
  let own: JourneyWorker | undefined;
  const workers: JourneyLoader = {
    load: async (file, shown, deadlineMs, folder, spec) => {
      own ??= await JourneyWorker.start({ memoryLimitBytes: options.memoryLimitBytes ?? defaultOf('workerMemoryBytes'), cwd });
      const outcome = await own.load(file, shown, deadlineMs, folder, spec);
      // A worker that timed out was ended, one that died is gone, one a file's import left unfit was ended: the next file gets a fresh one.
      if ('timedOut' in outcome || 'died' in outcome || !own.alive) own = undefined;
      return outcome;
    },
  };
  try {
    return await loadJourneys({ ...options, workers });
  } finally {
    await own?.close();
  }
}
