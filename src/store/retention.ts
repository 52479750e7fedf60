import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunStore } from './run-store.ts';

export interface RetentionPolicy {
  /** Evidence older than this is deleted. */
  maxAgeMs: number;
  /** Beyond this many bytes of evidence, the oldest goes first. */
  maxBytes: number;
  /** Runs themselves are forgotten after this long. */
  historyMaxAgeMs: number;
}

export interface PruneOutcome {
  prunedRuns: number;
  freedBytes: number;
  deletedRuns: number;
}

/**
 * Deletes the evidence of runs past the age limit, then the oldest evidence until the total is
 * under the byte limit; the runs stay and say that their evidence was pruned.
 */
export async function pruneArtifacts(options: { store: RunStore; artifactsRoot: string; policy: RetentionPolicy; now?: number }): Promise<PruneOutcome> {
  const { store, artifactsRoot, policy } = options;
  const now = options.now ?? Date.now();
  const runs = store.runsWithArtifacts();
  let total = runs.reduce((sum, run) => sum + run.bytes, 0);
  const doomed: typeof runs = [];
  for (const run of runs) {
    if (now - run.startedMs > policy.maxAgeMs || total > policy.maxBytes) {
      doomed.push(run);
      total -= run.bytes;
    }
  }
  let freedBytes = 0;
  const pruned: string[] = [];
  for (const run of doomed) {
    const dir = path.join(artifactsRoot, run.journey, run.runId);
    // Every artifact of a run lives in its own folder, which never reaches outside the root.
    if (path.relative(artifactsRoot, dir).startsWith('..')) continue;
    await rm(dir, { recursive: true, force: true });
    freedBytes += run.bytes;
    pruned.push(run.runId);
  }
  store.markPruned(pruned, new Date(now));
  const deletedRuns = store.deleteRunsBefore(now - policy.historyMaxAgeMs);
  return { prunedRuns: pruned.length, freedBytes, deletedRuns };
}

/** Prunes now and then every `everyMs` in the background; a failed pass is logged, never fatal. */
export function startRetention(options: {
  store: RunStore;
  artifactsRoot: string;
  policy: RetentionPolicy;
  everyMs: number;
  onPruned: (outcome: PruneOutcome) => void;
  onError: (error: unknown) => void;
}): { stop: () => Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const pass = () => {
    running = running
      .then(() => pruneArtifacts(options))
      .then(
        (outcome) => {
          if (outcome.prunedRuns > 0 || outcome.deletedRuns > 0) options.onPruned(outcome);
        },
        (error: unknown) => options.onError(error),
      );
  };
  pass();
  const timer = setInterval(pass, options.everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
