import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.ts';
import type { Problem } from '../problem.ts';
import type { JourneyDefinition } from '../journey.ts';
import { defaultOf } from '../settings/table.ts';

const JOURNEY_SUFFIX = '.journey.ts';

export interface Registry {
  /** Valid journeys, sorted by name. */
  journeys: JourneyDefinition[];
  /** Every problem found while loading, in file order. */
  problems: Problem[];
  /** The folder searched, absolute. */
  dir: string;
}

export interface LoadOptions {
  /** Folder to search, absolute or relative to cwd. */
  dir: string;
  cwd?: string;
  /** Deadline for importing one file; PULSE_LOAD_TIMEOUT's default when not given. */
  timeoutMs?: number;
  /** Workers to load in: the prober's pool, so its workers start warm, or one of the command's own. */
  workers: JourneyLoader;
}

/** What importing one journey file in a worker came to. */
export type LoadOutcome = { definition?: JourneyDefinition; problems: Problem[] } | { timedOut: true } | { died: string };

/** Where journey files are imported: never the calling process. */
export interface JourneyLoader {
  /** `folder` is the journeys folder: the local modules of the file's version are those inside it. */
  load(file: string, shown: string, deadlineMs: number, folder: string): Promise<LoadOutcome>;
}

/** Finds `*.journey.ts` files below dir, sorted, so helpers and page objects beside them are never run. */
export async function findJourneyFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  // Dirent.path is the older name of parentPath (Node before 20.12).
  const parentOf = (entry: (typeof entries)[number]) => entry.parentPath ?? (entry as unknown as { path: string }).path;
  // Hidden `..` folders are a ConfigMap mount's own copies, reached through its symlinks.
  const skipped = (entry: (typeof entries)[number]) =>
    path
      .relative(dir, parentOf(entry))
      .split(path.sep)
      .some((part) => part === 'node_modules' || part.startsWith('..'));
  return entries
    .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && entry.name.endsWith(JOURNEY_SUFFIX) && !skipped(entry))
    .map((entry) => path.join(parentOf(entry), entry.name))
    .sort();
}

/**
 * Imports every journey file in a worker process (TypeScript, through tsx) and validates it, so
 * no journey code runs here. A file that fails to import, to validate or to finish loading within
 * its deadline is reported and does not stop the others.
 */
export async function loadJourneys(options: LoadOptions): Promise<Registry> {
  const cwd = options.cwd ?? process.cwd();
  const dir = path.resolve(cwd, options.dir);
  const timeoutMs = options.timeoutMs ?? defaultOf('loadTimeoutMs');
  const problems: Problem[] = [];
  const byName = new Map<string, JourneyDefinition>();

  let files: string[];
  try {
    files = await findJourneyFiles(dir);
  } catch (error) {
    const message = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'folder does not exist' : describeError(error).message;
    problems.push({
      where: path.relative(cwd, dir) || '.',
      message,
      fix: 'point PULSE_JOURNEYS or --journeys at the folder that holds your *.journey.ts files',
    });
    return { journeys: [], problems, dir };
  }
  if (files.length === 0) {
    problems.push({
      where: path.relative(cwd, dir) || '.',
      message: `no *${JOURNEY_SUFFIX} files found`,
      fix: `add a journey file such as checkout${JOURNEY_SUFFIX}, or point --journeys at the right folder`,
    });
  }

  const loader = options.workers;
  for (const file of files) {
    const shown = path.relative(cwd, file);
    const outcome = await loader.load(file, shown, timeoutMs, dir);
    if ('timedOut' in outcome || 'died' in outcome) {
      problems.push(
        'timedOut' in outcome
          ? {
              where: shown,
              message: `did not finish loading within ${timeoutMs} ms (a top-level await that never settles, or a loop at import?)`,
              fix: "make the file's top level quick: move waiting and work into steps",
            }
          : {
              where: shown,
              message: `ended the process that loaded it (${outcome.died})`,
              fix: 'remove process.exit() and other process-wide calls from the top level of the file',
            },
      );
      continue;
    }
    problems.push(...outcome.problems);
    const definition = outcome.definition;
    if (!definition) continue;
    const existing = byName.get(definition.name);
    if (existing) {
      problems.push({
        where: definition.declaredAt,
        field: 'name',
        message: `'${definition.name}' is already used by ${existing.declaredAt}`,
        fix: 'give every journey a unique name; it is a metric label',
      });
      continue;
    }
    const sameSession = definition.session && [...byName.values()].find((other) => other.session?.name === definition.session!.name);
    if (sameSession && sameSession.session!.declaredAt !== definition.session!.declaredAt) {
      problems.push({
        where: definition.declaredAt,
        field: 'session.name',
        message: `'${definition.session!.name}' is the name of another session, declared at ${sameSession.session!.declaredAt} (used by ${sameSession.name}); this one is declared at ${definition.session!.declaredAt}`,
        fix: 'import the one session() both journeys need from its file, or give this one a name of its own',
      });
      continue;
    }
    byName.set(definition.name, definition);
  }
  const journeys = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { journeys, problems, dir };
}
