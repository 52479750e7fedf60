// The projects of playwright.config.ts, as spec files run under them: each project's `use` over
// the config's, the files it takes (testDir, testMatch, testIgnore), its dependencies (a setup
// project signs in for the others) and its budgets. Read in the worker that loads the specs.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import picomatch from 'picomatch';

type Matcher = string | RegExp | readonly (string | RegExp)[];

interface ProjectShape {
  name?: string;
  use?: Record<string, unknown>;
  testDir?: string;
  testMatch?: Matcher;
  testIgnore?: Matcher;
  dependencies?: string[];
  retries?: number;
  timeout?: number;
  metadata?: Record<string, unknown>;
}

interface ConfigShape extends ProjectShape {
  projects?: ProjectShape[];
}

export interface SpecProject {
  /** '' when the config declares no projects. */
  name: string;
  /** The config's `use` with the project's over it. */
  use: Record<string, unknown>;
  dependencies: string[];
  retries: number | undefined;
  timeoutMs: number | undefined;
  metadata: Record<string, unknown>;
  /** Where its files are looked for, absolute. */
  testDir: string;
  /** Whether a spec file is one of this project's. */
  takes(file: string): boolean;
}

export interface SpecConfig {
  /** The config file, absolute; undefined when there is none. */
  file: string | undefined;
  projects: SpecProject[];
}

/** Playwright Test's own default: every *.spec.* and *.test.* file. */
const DEFAULT_TEST_MATCH = '**/*.@(spec|test).?(c|m)[jt]s?(x)';

/** Reads the config (undefined: none, every spec runs with Playwright's defaults). */
export async function loadSpecConfig(file: string | undefined, folder: string): Promise<SpecConfig> {
  if (!file) return { file: undefined, projects: [project({}, {}, folder)] };
  const module = (await import(pathToFileURL(file).href)) as { default?: ConfigShape };
  const config = module.default ?? {};
  const dir = path.dirname(file);
  const projects = config.projects?.length ? config.projects : [{}];
  return { file, projects: projects.map((entry) => project(config, entry, dir)) };
}

function project(config: ConfigShape, entry: ProjectShape, dir: string): SpecProject {
  const testDir = path.resolve(dir, entry.testDir ?? config.testDir ?? '.');
  const match = matcher(entry.testMatch ?? config.testMatch ?? DEFAULT_TEST_MATCH);
  const ignore = entry.testIgnore ?? config.testIgnore;
  const ignored = ignore === undefined ? () => false : matcher(ignore);
  return {
    name: entry.name ?? '',
    use: { ...config.use, ...entry.use },
    dependencies: entry.dependencies ?? [],
    retries: entry.retries ?? config.retries,
    timeoutMs: entry.timeout ?? config.timeout,
    metadata: { ...config.metadata, ...entry.metadata },
    testDir,
    takes: (file) => {
      const relative = path.relative(testDir, file);
      if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return false;
      return match(file) && !ignored(file);
    },
  };
}

/** Every file of a project (a setup project's sign-in tests), sorted. */
export async function projectFiles(project: SpecProject): Promise<string[]> {
  const entries = await readdir(project.testDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.split(path.sep).includes('node_modules') && project.takes(file))
    .sort();
}

/** A testMatch or testIgnore as Playwright reads it: a regular expression tests the absolute path, a glob matches it anywhere below. */
function matcher(given: Matcher): (file: string) => boolean {
  const entries = (Array.isArray(given) ? given : [given]) as (string | RegExp)[];
  const tests = entries.map((entry) => {
    if (entry instanceof RegExp) return (file: string) => new RegExp(entry.source, entry.flags.replace('g', '')).test(file);
    const glob = path.isAbsolute(entry) || entry.startsWith('**/') ? entry : `**/${entry}`;
    const isMatch = picomatch(glob, { dot: true });
    return (file: string) => isMatch(file.split(path.sep).join('/'));
  });
  return (file) => tests.some((test) => test(file));
}

/** The browser a project's `use` asks for: `browserName`, else the device's default, else Chromium. */
export function browserOf(use: Record<string, unknown>): string {
  const named = use.browserName ?? use.defaultBrowserType;
  return typeof named === 'string' ? named : 'chromium';
}
