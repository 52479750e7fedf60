import cron from 'node-cron';

/** The next `count` planned starts of a cron schedule, from node-cron's own reading of it. */
export function nextRuns(schedule: string, timezone: string, count: number): Date[] {
  const task = cron.createTask(schedule, () => undefined, { timezone });
  try {
    return task.getNextRuns(count);
  } finally {
    void task.destroy();
  }
}

/**
 * The expected interval between runs: the shortest gap over the next few planned starts,
 * so that alert rules can say "no heartbeat for N intervals" for every journey alike.
 */
export function intervalSeconds(schedule: string, timezone: string): number {
  const runs = nextRuns(schedule, timezone, 6);
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < runs.length; i += 1) shortest = Math.min(shortest, (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000);
  return Number.isFinite(shortest) ? shortest : 0;
}
