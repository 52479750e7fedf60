import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { runArtifactsDir } from '../artifacts.ts';
import { stampTime } from '../run-id.ts';
import type { EvidenceLedger } from './evidence-ledger.ts';
import { folderBytes } from './folder-bytes.ts';

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
  /** Evidence folders no stored run points to (a killed process, a failed store write), and stray links. */
  prunedOrphans: number;
  freedBytes: number;
  deletedRuns: number;
  /** Journey versions whose source was dropped: no stored run ran them any more. */
  deletedVersions: number;
}

interface Evidence {
  journey: string;
  runId: string;
  startedMs: number;
  bytes: number;
  /** A run in the store links to it; otherwise an orphan. */
  known: boolean;
  /** A symbolic link, never pulse's own: removed, never followed. */
  link: boolean;
}

/**
 * Retention owns the evidence folder, not just the store's rows: every `<journey>/<runId>`
 * folder counts, those of stored runs and orphans alike. Evidence past the age limit goes, then
 * the oldest until the total is under the byte limit; stored runs stay and say that their
 * evidence was pruned. Runs in flight are left alone.
 */
export async function pruneArtifacts(options: { ledger: EvidenceLedger; artifactsRoot: string; policy: RetentionPolicy; now?: number }): Promise<PruneOutcome> {
  const { ledger, artifactsRoot, policy } = options;
  const now = options.now ?? Date.now();
  const evidence = await collect(artifactsRoot, ledger);
  let total = evidence.reduce((sum, item) => sum + item.bytes, 0);
  const doomed: Evidence[] = [];
  for (const item of evidence) {
    if (item.link || now - item.startedMs > policy.maxAgeMs || total > policy.maxBytes) {
      doomed.push(item);
      total -= item.bytes;
    }
  }
  let freedBytes = 0;
  const pruned: string[] = [];
  let prunedOrphans = 0;
  for (const item of doomed) {
    const target = item.runId ? runArtifactsDir(artifactsRoot, item.journey, item.runId) : path.join(artifactsRoot, item.journey);
    // Every artifact of a run lives in its own folder, which never reaches outside the root.
    if (path.relative(artifactsRoot, target).startsWith('..')) continue;
    // A link is removed itself (rm does not follow it); a folder with all it holds.
    await rm(target, { recursive: !item.link, force: true });
    freedBytes += item.bytes;
    if (item.known) pruned.push(item.runId);
    else prunedOrphans += 1;
  }
  ledger.markPruned(pruned, new Date(now));
  const deletedRuns = ledger.deleteRunsBefore(now - policy.historyMaxAgeMs);
  // A version's source lives as long as a run that ran it.
  const deletedVersions = ledger.deleteUnusedVersions();
  return { prunedRuns: pruned.length, prunedOrphans, freedBytes, deletedRuns, deletedVersions };
}

/** Every evidence folder under the root, oldest first: stored runs by their row, orphans by their run id's time (or mtime). */
async function collect(root: string, ledger: EvidenceLedger): Promise<Evidence[]> {
  const known = new Map(ledger.runsWithArtifacts().map((run) => [`${run.journey}/${run.runId}`, run]));
  const inFlight = new Set(ledger.inFlightRunIds());
  const found: Evidence[] = [];
  const seen = new Set<string>();
  for (const journey of await entries(root)) {
    const journeyPath = path.join(root, journey);
    const journeyStat = await lstat(journeyPath).catch(() => undefined);
    if (!journeyStat) continue;
    if (!journeyStat.isDirectory()) {
      found.push({ journey, runId: '', startedMs: journeyStat.mtimeMs, bytes: 0, known: false, link: journeyStat.isSymbolicLink() });
      continue;
    }
    for (const runId of await entries(journeyPath)) {
      const key = `${journey}/${runId}`;
      if (inFlight.has(runId)) continue;
      const runPath = runArtifactsDir(root, journey, runId);
      const stat = await lstat(runPath).catch(() => undefined);
      if (!stat) continue;
      const row = known.get(key);
      seen.add(key);
      if (row && stat.isDirectory()) {
        found.push({ journey, runId, startedMs: row.startedMs, bytes: row.bytes, known: true, link: false });
        continue;
      }
      const startedMs = stampTime(runId) ?? stat.mtimeMs;
      found.push({ journey, runId, startedMs, bytes: stat.isDirectory() ? await folderBytes(runPath) : 0, known: false, link: stat.isSymbolicLink() });
    }
  }
  // Stored runs whose folder is already gone: marked pruned, nothing to delete.
  for (const [key, run] of known) {
    if (!seen.has(key)) found.push({ journey: run.journey, runId: run.runId, startedMs: run.startedMs, bytes: 0, known: true, link: false });
  }
  return found.sort((a, b) => a.startedMs - b.startedMs);
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Prunes now and then every `everyMs` in the background; a failed pass is logged, never fatal. */
export function startRetention(options: {
  ledger: EvidenceLedger;
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
          if (outcome.prunedRuns > 0 || outcome.prunedOrphans > 0 || outcome.deletedRuns > 0 || outcome.deletedVersions > 0) options.onPruned(outcome);
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
