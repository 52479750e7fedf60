import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isJourney } from '../journey.ts';
import type { Problem } from './problem.ts';
import { validateJourney, type JourneyDefinition } from './validate.ts';

export const JOURNEY_SUFFIX = '.journey.ts';

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
}

/** Finds `*.journey.ts` files below dir, sorted, so helpers and page objects beside them are never run. */
export async function findJourneyFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  // Dirent.path is the older name of parentPath (Node before 20.12).
  const parentOf = (entry: (typeof entries)[number]) => entry.parentPath ?? (entry as unknown as { path: string }).path;
  // Hidden `..` folders are a ConfigMap mount's own copies, reached through its symlinks.
  const skipped = (entry: (typeof entries)[number]) =>
    path.relative(dir, parentOf(entry)).split(path.sep).some((part) => part === 'node_modules' || part.startsWith('..'));
  return entries
    .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && entry.name.endsWith(JOURNEY_SUFFIX) && !skipped(entry))
    .map((entry) => path.join(parentOf(entry), entry.name))
    .sort();
}

/**
 * Imports every journey file (TypeScript, through the tsx loader the CLI registers) and validates it.
 * A file that fails to import or to validate is reported and does not stop the others.
 */
export async function loadJourneys(options: LoadOptions): Promise<Registry> {
  const cwd = options.cwd ?? process.cwd();
  const dir = path.resolve(cwd, options.dir);
  const problems: Problem[] = [];
  const byName = new Map<string, JourneyDefinition>();

  let files: string[];
  try {
    files = await findJourneyFiles(dir);
  } catch (error) {
    const message = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'folder does not exist' : errorMessage(error);
    problems.push({ where: path.relative(cwd, dir) || '.', message, fix: 'point PULSE_JOURNEYS or --journeys at the folder that holds your *.journey.ts files' });
    return { journeys: [], problems, dir };
  }
  if (files.length === 0) {
    problems.push({ where: path.relative(cwd, dir) || '.', message: `no *${JOURNEY_SUFFIX} files found`, fix: `add a journey file such as checkout${JOURNEY_SUFFIX}, or point --journeys at the right folder` });
  }

  for (const file of files) {
    const shown = path.relative(cwd, file);
    let exported: unknown;
    try {
      const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
      exported = module.default;
    } catch (error) {
      problems.push({ where: shown, message: `cannot be loaded: ${importFailure(error, file)}`, fix: 'correct the file at that spot, then run `pulse validate` again' });
      continue;
    }
    if (!isJourney(exported)) {
      problems.push({ where: shown, message: 'does not default-export a journey', fix: "end the file with `export default journey({ name, schedule }, async ({ page, step, params }) => { ... })`" });
      continue;
    }
    const { definition, problems: found } = validateJourney(exported, shown);
    problems.push(...found);
    if (!definition) continue;
    const existing = byName.get(definition.name);
    if (existing) {
      problems.push({ where: definition.location, field: 'name', message: `'${definition.name}' is already used by ${existing.location}`, fix: 'give every journey a unique name; it is a metric label' });
      continue;
    }
    byName.set(definition.name, definition);
  }
  const journeys = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { journeys, problems, dir };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One line saying what broke and where: esbuild's syntax error, or the throw site of an import-time error. */
function importFailure(error: unknown, file: string): string {
  const lines = errorMessage(error).split('\n').map((line) => line.trim()).filter(Boolean);
  // esbuild: "Transform failed with 1 error:" then "/abs/file.ts:4:42: ERROR: Expected ...".
  const syntax = lines.find((line) => line.startsWith(file));
  if (syntax) return `syntax error at line ${syntax.slice(file.length + 1).replace(/: ERROR: /, ': ')}`;
  const message = lines[0] ?? 'unknown error';
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const at = new RegExp(`${escapeRegExp(file)}:(\\d+):\\d+`).exec(stack);
  return at ? `${message} (thrown at line ${at[1]})` : message;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
