// A near miss: a step that passed but took more than this share of its timeout. Counted per step
// (pulse_step_near_misses_total), so that "the p95 of a step is past 80% of its timeout" is exact
// (more than 5% of its runs were near misses) rather than read between histogram buckets.

/** A passing step over this share of its timeout came close to failing. */
export const NEAR_MISS_SHARE = 0.8;

/** The percentile the journey page and the shipped alert judge a step by. */
export const NEAR_MISS_PERCENTILE = 0.95;

/** How much of its timeout a step took, 0.5 for half. */
export function timeoutShare(durationMs: number, timeoutMs: number): number {
  return timeoutMs > 0 ? durationMs / timeoutMs : 0;
}

export function isNearMiss(durationMs: number, timeoutMs: number): boolean {
  return timeoutShare(durationMs, timeoutMs) > NEAR_MISS_SHARE;
}
