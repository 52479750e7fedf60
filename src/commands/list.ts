import type { Config } from '../config.ts';
import type { JourneyDefinition } from '../journey.ts';
import { nextRuns } from '../scheduler/schedule.ts';
import { loadRegistry, printProblems } from './shared.ts';

export interface ListOptions {
  config: Config;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Which replica owns a journey, when sharding is on. */
  ownerOf?: (journey: string) => string | undefined;
}

/** Prints name, schedule, next run and file of each journey; problems go to stderr. */
export async function list(options: ListOptions): Promise<boolean> {
  const registry = await loadRegistry(options.config);
  printProblems(registry, options.err);
  const rows = registry.journeys.map((journey) => [
    journey.name,
    journey.schedule,
    nextRun(journey),
    journey.declaredAt,
    options.ownerOf?.(journey.name) ?? '',
  ]);
  const header = ['NAME', 'SCHEDULE', 'NEXT RUN (UTC)', 'FILE', options.ownerOf ? 'SHARD' : ''];
  options.out.write(table([header, ...rows]));
  if (registry.unscheduled.length > 0) {
    options.out.write('\nNot journeys (tests of spec files):\n');
    options.out.write(
      table([['TEST', 'PROJECT', 'FILE', 'WHY'], ...registry.unscheduled.map((test) => [test.title, test.project || '-', test.where, test.why])]),
    );
  }
  return registry.problems.length === 0;
}

function nextRun(journey: Pick<JourneyDefinition, 'schedule' | 'timezone'>): string {
  return (
    nextRuns(journey.schedule, journey.timezone, 1)[0]
      ?.toISOString()
      .replace(/\.\d+Z$/, 'Z') ?? '-'
  );
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => cell.padEnd(widths[column]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
