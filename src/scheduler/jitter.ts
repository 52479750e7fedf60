import { createHash } from 'node:crypto';

/**
 * At most this share of a journey's interval. Spreading wider was measured (bench/RESULTS.md):
 * it helps journeys that all share one schedule, but places the others at hash-random offsets
 * that queue up at high load (lag p99 0.8 s -> 1.9 s at 80% of capacity), so it stays small.
 */
const MAX_SHARE = 0.1;
const MAX_JITTER_MS = 30_000;

/**
 * A delay after each tick that is the same for a journey on every run and every replica,
 * so many journeys on one schedule do not all start in the same second.
 */
export function jitterMs(journey: string, intervalSeconds: number): number {
  const span = Math.min(MAX_JITTER_MS, intervalSeconds * 1000 * MAX_SHARE);
  if (span < 1) return 0;
  const hash = createHash('sha256').update(journey).digest().readUInt32BE(0);
  return Math.floor((hash / 0x1_0000_0000) * span);
}
