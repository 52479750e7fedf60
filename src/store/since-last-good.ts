// What a failed run did differently from the last good run of the same journey and location:
// the first question on-call ask ("what changed?"), answered from the small per-run summaries.
import type { JourneyVersion } from '../journey.ts';
import type { Observations, RunError, StepResult } from '../result.ts';
import { diffVersions, touchesStep, type VersionSources } from './journey-diff.ts';

export interface ComparedRun {
  runId: string;
  startedAt: string;
  steps: readonly StepResult[];
  observed?: Observations;
  error?: RunError;
  /** The version of its journey it ran, when recorded. */
  version?: Pick<JourneyVersion, 'hash' | 'commit'>;
}

/** The sources of the two runs' versions, where the store still keeps them. */
export interface ComparedSources {
  now?: VersionSources;
  then?: VersionSources;
}

/** The journey itself is not what the last good run ran. */
export interface JourneyChange {
  then: Pick<JourneyVersion, 'hash' | 'commit'>;
  now: Pick<JourneyVersion, 'hash' | 'commit'>;
  /** A unified diff of the sources, the good run's version to this one's; undefined when either source is no longer kept. */
  diff?: string;
  /** The diff covers less than the whole change (a source cut to its size limit, a very long diff). */
  partial?: true;
  /** The failed step is new, or the change touched it: its call or body, or a line naming it. */
  atFailedStep: boolean;
}

export interface SinceLastGood {
  /** The good run compared against. */
  runId: string;
  startedAt: string;
  /** Console errors, page errors and dialogs the good run did not have. */
  newConsole: string[];
  /** Requests that failed now and succeeded then. */
  newlyFailing: { key: string; now: string; then: string }[];
  /** Requests that failed now and were not made then. */
  failingUnseen: { key: string; now: string }[];
  /** Requests and steps that took at least twice as long, and half a second more. */
  slowerRequests: { key: string; nowMs: number; thenMs: number }[];
  slowerSteps: { name: string; nowMs: number; thenMs: number }[];
  /** The summaries needed were kept for both runs (runs before this pulse version have none). */
  complete: boolean;
  /** Set when the run ran another version of its journey than the good run; absent when the same, or unknown for either. */
  journeyChanged?: JourneyChange;
}

const SLOWER_FACTOR = 2;
const SLOWER_BY_MS = 500;
const MAX_LISTED = 20;

function isMuchSlower(nowMs: number, thenMs: number): boolean {
  return nowMs >= thenMs * SLOWER_FACTOR && nowMs - thenMs >= SLOWER_BY_MS;
}

export function compareWithLastGood(failed: ComparedRun, good: ComparedRun, sources: ComparedSources = {}): SinceLastGood {
  const now = failed.observed;
  const then = good.observed;
  const thenRequests = new Map((then?.requests ?? []).map((request) => [request.key, request]));
  const thenConsole = new Set(then?.console ?? []);
  const newlyFailing: SinceLastGood['newlyFailing'] = [];
  const failingUnseen: SinceLastGood['failingUnseen'] = [];
  const slowerRequests: SinceLastGood['slowerRequests'] = [];
  for (const request of now?.requests ?? []) {
    const before = thenRequests.get(request.key);
    if (request.failed > 0) {
      if (!before) failingUnseen.push({ key: request.key, now: request.outcome });
      else if (before.failed === 0) newlyFailing.push({ key: request.key, now: request.outcome, then: before.outcome });
    } else if (before && isMuchSlower(request.maxMs, before.maxMs)) {
      slowerRequests.push({ key: request.key, nowMs: request.maxMs, thenMs: before.maxMs });
    }
  }
  const thenSteps = new Map(good.steps.filter((step) => step.status === 'passed').map((step) => [step.name, step.durationMs]));
  const slowerSteps: SinceLastGood['slowerSteps'] = [];
  for (const step of failed.steps) {
    const before = thenSteps.get(step.name);
    if (step.status !== 'skipped' && before !== undefined && isMuchSlower(step.durationMs, before))
      slowerSteps.push({ name: step.name, nowMs: Math.round(step.durationMs), thenMs: Math.round(before) });
  }
  slowerRequests.sort((a, b) => b.nowMs - b.thenMs - (a.nowMs - a.thenMs));
  return {
    runId: good.runId,
    startedAt: good.startedAt,
    newConsole: (now?.console ?? []).filter((line) => !thenConsole.has(line)).slice(0, MAX_LISTED),
    newlyFailing: newlyFailing.slice(0, MAX_LISTED),
    failingUnseen: failingUnseen.slice(0, MAX_LISTED),
    slowerRequests: slowerRequests.slice(0, MAX_LISTED),
    slowerSteps,
    complete: now !== undefined && then !== undefined,
    ...journeyChange(failed, good, sources),
  };
}

/** The journey's change between the good run and the failed one, and whether it reached the step that failed. */
function journeyChange(failed: ComparedRun, good: ComparedRun, sources: ComparedSources): { journeyChanged?: JourneyChange } {
  if (!failed.version || !good.version || failed.version.hash === good.version.hash) return {};
  const diff = sources.now && sources.then ? diffVersions(sources.then, sources.now) : undefined;
  const step = failed.error?.step;
  const isNew = step !== undefined && !good.steps.some((s) => s.name === step);
  return {
    journeyChanged: {
      then: good.version,
      now: failed.version,
      ...(diff ? { diff: diff.text } : {}),
      ...(diff?.partial ? { partial: true as const } : {}),
      atFailedStep: step !== undefined && (isNew || (diff !== undefined && touchesStep(diff, step))),
    },
  };
}
