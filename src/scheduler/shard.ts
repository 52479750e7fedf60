import { createHash } from 'node:crypto';
import type { Shard } from '../config.ts';

function score(journey: string, shard: number): bigint {
  return createHash('sha256').update(`${journey}\u0000${shard}`).digest().readBigUInt64BE(0);
}

/**
 * Rendezvous (highest random weight) hashing: each journey goes to the shard with the highest
 * score for it, so going from n to n+1 shards moves only the journeys the new shard wins, about 1/(n+1).
 */
export function ownerOf(journey: string, total: number): number {
  let best = 1;
  let bestScore = -1n;
  for (let shard = 1; shard <= total; shard += 1) {
    const s = score(journey, shard);
    if (s > bestScore) {
      best = shard;
      bestScore = s;
    }
  }
  return best;
}

export function ownedBy<T extends { name: string }>(journeys: readonly T[], shard: Shard | undefined): T[] {
  if (!shard || shard.total === 1) return [...journeys];
  return journeys.filter((journey) => ownerOf(journey.name, shard.total) === shard.index);
}
