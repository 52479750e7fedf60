// Inside a worker: import one journey file and check what it exports. Journey code runs here,
// never in the daemon, so an import that throws, exits or hangs costs only the worker.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isJourney, type Journey, type JourneyDefinition, type JourneyVersion, type SpecLoad, type Unscheduled } from '../journey.ts';
import type { Problem } from '../problem.ts';
import { importSpecFile } from './import-spec.ts';
import type { JourneyVersions } from './journey-version.ts';
import { importFailure } from './import-failure.ts';
import { validateJourney } from './validate.ts';

/** What one file gave: a journey file its journey, a spec file one per test and project. */
export interface ImportedFile {
  journeys: ReadonlyMap<string, Journey>;
  definitions: JourneyDefinition[];
  unscheduled: Unscheduled[];
  problems: Problem[];
  /** The version imported, whether or not it loaded; absent when the file could not be read. */
  version?: JourneyVersion;
}

/** Imports a journey file, or a spec file when `spec` says how to collect it. */
export async function importFile(file: string, shown: string, options: ImportOptions & { spec?: SpecLoad }): Promise<ImportedFile> {
  if (!options.spec) {
    const imported = await importJourneyFile(file, shown, options);
    const { journey, definition, problems, version } = imported;
    return {
      journeys: new Map(journey && definition ? [[definition.name, journey]] : []),
      definitions: definition ? [definition] : [],
      unscheduled: [],
      problems,
      ...(version ? { version } : {}),
    };
  }
  const folder = options.folder ?? path.dirname(file);
  const version = await options.versions.of(file, folder);
  const versioned = version ? { version } : {};
  const imported = await importSpecFile(file, shown, options.spec, folder);
  return { ...imported, definitions: imported.definitions.map((definition) => ({ ...definition, folder, ...versioned })), ...versioned };
}

export interface ImportedJourney {
  journey?: Journey;
  definition?: JourneyDefinition;
  problems: Problem[];
  /** The version imported, whether or not it loaded; absent when the file could not be read. */
  version?: JourneyVersion;
}

export interface ImportOptions {
  /** The versions of this process's imports: told before the import, so the version is the code that loads. */
  versions: JourneyVersions;
  /** The journeys folder (absolute); the file's own folder when not given. */
  folder?: string;
}

/** Imports `file` (absolute); `shown` is how problems name it. */
export async function importJourneyFile(file: string, shown: string, options: ImportOptions): Promise<ImportedJourney> {
  const folder = options.folder ?? path.dirname(file);
  const version = await options.versions.of(file, folder);
  const versioned = version ? { version } : {};
  let exported: unknown;
  try {
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    exported = module.default;
  } catch (error) {
    return {
      problems: [
        { where: shown, message: `cannot be loaded: ${importFailure(error, file)}`, fix: 'correct the file at that spot, then run `pulse validate` again' },
      ],
      ...versioned,
    };
  }
  if (!isJourney(exported)) return { problems: [notAJourney(shown)], ...versioned };
  const { definition, problems } = validateJourney(exported, shown, file);
  return { journey: exported, definition: definition && { ...definition, folder, ...versioned }, problems, ...versioned };
}

/** A file whose default export is no journey(): the loader and Playwright Test report it alike. */
export function notAJourney(shown: string): Problem {
  return {
    where: shown,
    message: 'does not default-export a journey',
    fix: 'end the file with `export default journey({ name, schedule }, async ({ page, step, params }) => { ... })`',
  };
}
