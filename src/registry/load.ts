import { readdir } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { Config } from '../config.ts';
import { describeError } from '../errors.ts';
import { formatProblem, type Problem } from '../problem.ts';
import type { JourneyDefinition, SpecLoad, Unscheduled } from '../journey.ts';
import { defaultOf } from '../settings/table.ts';

const JOURNEY_SUFFIX = '.journey.ts';

export interface Registry {
  /** Valid journeys, sorted by name. */
  journeys: JourneyDefinition[];
  /** Every problem found while loading, in file order. */
  problems: Problem[];
  /** Tests of spec files that are no journeys, with why. */
  unscheduled: Unscheduled[];
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
  /** Playwright Test spec files to load as well; none when absent. */
  specs?: SpecFiles;
}

/** Which spec files are journeys, and how they are collected. */
export interface SpecFiles {
  /** A glob relative to the journeys folder. */
  match: string;
  load: SpecLoad;
}

/** The spec files of the settings: PULSE_SPECS, PULSE_PROJECTS and the Playwright config. */
export function specFilesOf(config: Pick<Config, 'specs' | 'projects' | 'playwrightConfig'>): SpecFiles | undefined {
  if (config.specs === undefined) return undefined;
  return {
    match: config.specs,
    load: { ...(config.playwrightConfig ? { config: config.playwrightConfig } : {}), ...(config.projects ? { projects: config.projects } : {}) },
  };
}

/** What importing one journey file in a worker came to: a journey file's one journey, a spec file's one per test and project. */
export type LoadOutcome = { definitions: JourneyDefinition[]; unscheduled?: Unscheduled[]; problems: Problem[] } | { timedOut: true } | { died: string };

/** Where journey files are imported: never the calling process. */
export interface JourneyLoader {
  /** `folder` is the journeys folder: the local modules of the file's version are those inside it. `spec`: the file is a spec file. */
  load(file: string, shown: string, deadlineMs: number, folder: string, spec?: SpecLoad): Promise<LoadOutcome>;
}

/** Whether a file is a spec file (not a journey file), by the glob of the settings. */
function specMatcher(dir: string, specs: SpecFiles | undefined): (file: string) => boolean {
  if (!specs) return () => false;
  const isMatch = picomatch(specs.match, { dot: false });
  return (file) => !file.endsWith(JOURNEY_SUFFIX) && isMatch(path.relative(dir, file).split(path.sep).join('/'));
}

/** Finds `*.journey.ts` files (and spec files, when `isSpec` says so) below dir, sorted, so helpers and page objects beside them are never run. */
export async function findJourneyFiles(dir: string, isSpec: (file: string) => boolean = () => false): Promise<string[]> {
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
    .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && !skipped(entry))
    .map((entry) => path.join(parentOf(entry), entry.name))
    .filter((file) => file.endsWith(JOURNEY_SUFFIX) || isSpec(file))
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
  const unscheduled: Unscheduled[] = [];
  const byName = new Map<string, JourneyDefinition>();
  const isSpec = specMatcher(dir, options.specs);

  let files: string[];
  try {
    files = await findJourneyFiles(dir, isSpec);
  } catch (error) {
    const message = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'folder does not exist' : describeError(error).message;
    problems.push({
      where: path.relative(cwd, dir) || '.',
      message,
      fix: 'point PULSE_JOURNEYS or --journeys at the folder that holds your *.journey.ts files',
    });
    return { journeys: [], problems, unscheduled, dir };
  }
  if (files.length === 0) {
    problems.push({
      where: path.relative(cwd, dir) || '.',
      message: `no *${JOURNEY_SUFFIX}${options.specs ? ` or ${options.specs.match}` : ''} files found`,
      fix: `add a journey file such as checkout${JOURNEY_SUFFIX}, or point --journeys at the right folder`,
    });
  }

  const loader = options.workers;
  for (const file of files) {
    const shown = path.relative(cwd, file);
    const outcome = await loader.load(file, shown, timeoutMs, dir, isSpec(file) ? options.specs!.load : undefined);
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
    // What concerns every spec file (the config, PULSE_PROJECTS) is said once.
    for (const problem of outcome.problems) if (!problems.some((known) => formatProblem(known) === formatProblem(problem))) problems.push(problem);
    unscheduled.push(...(outcome.unscheduled ?? []));
    for (const definition of outcome.definitions) add(definition);
  }
  const journeys = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { journeys, problems, unscheduled, dir };

  function add(definition: JourneyDefinition): void {
    const existing = byName.get(definition.name);
    if (existing) {
      problems.push({
        where: definition.declaredAt,
        field: 'name',
        message: `'${definition.name}' is already used by ${existing.declaredAt}`,
        fix: definition.spec
          ? 'give the test a title of its own in its describe (the journey name is made from the file, the titles and the project)'
          : 'give every journey a unique name; it is a metric label',
      });
      return;
    }
    const sameSession = definition.session && [...byName.values()].find((other) => other.session?.name === definition.session!.name);
    if (sameSession && sameSession.session!.declaredAt !== definition.session!.declaredAt) {
      problems.push({
        where: definition.declaredAt,
        field: 'session.name',
        message: `'${definition.session!.name}' is the name of another session, declared at ${sameSession.session!.declaredAt} (used by ${sameSession.name}); this one is declared at ${definition.session!.declaredAt}`,
        fix: 'import the one session() both journeys need from its file, or give this one a name of its own',
      });
      return;
    }
    byName.set(definition.name, definition);
  }
}
