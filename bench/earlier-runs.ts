// A verdict measured once may be the machine's luck: a whole bench run written to RESULTS.md keeps
// the Targets tables of the whole runs written there earlier the same (UTC) day, its own beside them.
// Read back from the RESULTS.md being replaced: the file is the only record of a run.
import { readFileSync } from 'node:fs';

/** One earlier whole run: when it was written, how long it took, and its Targets table as it stood. */
export interface EarlierRun {
  date: string;
  minutes: string;
  targets: string;
}

/** The Written-by line of a RESULTS.md: the command, the date, the length of the run. */
const WRITTEN_BY = /^Written by `([^`]*)` \(bench\/run\.ts\) on (\S+); the whole bench took (\S+) min\./m;
const CARRIED_HEADING = "### The day's earlier whole runs";
const RUN_HEADING = /^#### Written on (\S+), (\S+) min$/;
/** Earlier runs kept: with this one, the last three whole runs of a day. */
const KEEP = 2;

/** `npm run bench` with nothing that narrows what it runs (`--out` and `--no-elastic` do not). */
export function isWholeRun(command: string): boolean {
  const args = command.replace(/^npm run bench(?: --)?/, '').trim();
  if (command === args) return false;
  const words = args.split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '--out') i++;
    else if (words[i] !== '--no-elastic' && !words[i]!.startsWith('--out=')) return false;
  }
  return true;
}

/** The first markdown table after the heading at `heading`, before the next heading; undefined when there is none. */
function tableUnder(lines: string[], heading: number): string | undefined {
  let from = heading + 1;
  while (from < lines.length && !lines[from]!.startsWith('|')) {
    if (lines[from]!.startsWith('#')) return undefined;
    from++;
  }
  let end = from;
  while (end < lines.length && lines[end]!.startsWith('|')) end++;
  return end > from ? lines.slice(from, end).join('\n') : undefined;
}

/** The whole runs of `day` (YYYY-MM-DD) in a RESULTS.md: the one it is of, then those it carried; newest first. */
export function earlierRuns(previous: string, day: string): EarlierRun[] {
  const written = WRITTEN_BY.exec(previous);
  if (!written || !isWholeRun(written[1]!) || !written[2]!.startsWith(day)) return [];
  const lines = previous.split('\n');
  const targetsAt = lines.indexOf('## Targets');
  const own = targetsAt < 0 ? undefined : tableUnder(lines, targetsAt);
  if (own === undefined) return [];
  const runs: EarlierRun[] = [{ date: written[2]!, minutes: written[3]!, targets: own }];
  const carriedAt = lines.indexOf(CARRIED_HEADING);
  for (let i = carriedAt + 1; carriedAt >= 0 && i < lines.length && !lines[i]!.startsWith('## '); i++) {
    const heading = RUN_HEADING.exec(lines[i]!);
    const table = heading?.[1]!.startsWith(day) ? tableUnder(lines, i) : undefined;
    if (heading && table !== undefined) runs.push({ date: heading[1]!, minutes: heading[2]!, targets: table });
  }
  return runs.slice(0, KEEP);
}

/** The section that follows this run's Targets; empty when there is no earlier whole run that day. */
export function renderEarlierRuns(runs: readonly EarlierRun[]): string {
  if (runs.length === 0) return '';
  return [
    CARRIED_HEADING,
    '',
    `The same targets in the whole runs written to this file earlier the same day (UTC), newest first, as each stood: a verdict is worth what it is in ${runs.length + 1} runs, not one.`,
    '',
    ...runs.flatMap((run) => [`#### Written on ${run.date}, ${run.minutes} min`, '', run.targets, '']),
  ].join('\n');
}

/**
 * `earlierRuns` of the RESULTS.md at `file`, read when the run is over: a file that is missing,
 * unreadable or not a RESULTS.md carries nothing and costs the run nothing (it is told, not thrown).
 */
export function earlierRunsIn(file: string, day: string, warn: (line: string) => void): EarlierRun[] {
  let previous: string;
  try {
    previous = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') warn(`earlier runs: could not read ${file} (${(error as Error).message}); none carried`);
    return [];
  }
  return earlierRuns(previous, day);
}
