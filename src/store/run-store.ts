import { artifactsDir } from '../artifacts.ts';
import { StoreDatabase, type StoreDatabaseOptions } from './database.ts';
import { EvidenceLedger } from './evidence-ledger.ts';
import { PauseStore } from './pause-store.ts';
import { RunQueries } from './run-queries.ts';
import { RunWriter } from './run-writer.ts';

/**
 * Run history in SQLite under the data folder, surviving restarts, handed out in narrow parts
 * over one connection: the sink writes and cannot query, the UI queries and cannot write,
 * retention keeps its ledger, operations keep their pauses.
 */
export interface RunStore {
  /** The sink that records each result, and the runs in flight. */
  readonly writer: RunWriter;
  /** What the UI, the JSON API and the comparison with the last good run read. */
  readonly queries: RunQueries;
  /** What retention reads and marks. */
  readonly ledger: EvidenceLedger;
  readonly pauses: PauseStore;
  /** Closes the connection; close the writer (a sink) first, so that no evidence size is still on its way. */
  close(): void;
}

/** Opens (or heals) `<dataDir>/runs.sqlite` and prepares every part's statements once. */
export function openRunStore(options: StoreDatabaseOptions): RunStore {
  const database = new StoreDatabase(options);
  return {
    writer: new RunWriter({ database, artifactsRoot: artifactsDir(options.dataDir) }),
    queries: new RunQueries({ database }),
    ledger: new EvidenceLedger({ database }),
    pauses: new PauseStore({ database }),
    close: () => database.close(),
  };
}
