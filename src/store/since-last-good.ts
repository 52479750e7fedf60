// What a failed run did differently from the last good run of the same journey and location:
// the first question on-call ask ("what changed?"), answered from the small per-run summaries.
import type { Observations, StepResult } from '../result.ts';

export interface ComparedRun {
  runId: string;
  startedAt: string;
  steps: readonly StepResult[];
  observed?: Observations;
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
}

const SLOWER_FACTOR = 2;
const SLOWER_BY_MS = 500;
const MAX_LISTED = 20;

function isMuchSlower(nowMs: number, thenMs: number): boolean {
  return nowMs >= thenMs * SLOWER_FACTOR && nowMs - thenMs >= SLOWER_BY_MS;
}

export function compareWithLastGood(failed: ComparedRun, good: ComparedRun): SinceLastGood {
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
  };
}
