// Which code of a journey runs: its file and the local modules it imports, hashed. The imports are
// found by esbuild, the parser tsx compiles journeys with, so comments, strings and type-only
// imports are told apart as when the file runs; where an import leads, and whether it stays inside
// the journeys folder, is decided here.
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { build, type Loader, type Plugin } from 'esbuild';
import type { JourneySource, JourneyVersion } from '../journey.ts';
import { gitCommitOf } from './git-commit.ts';

/** What one file keeps of its text, and a version of all its files: the hash always covers everything. */
const MAX_FILE_CHARS = 256 * 1024;
const MAX_VERSION_CHARS = 1024 * 1024;

const SCRIPT_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
/** What a compiled import names (`./helper.js`) and the source beside it (`./helper.ts`). */
const SOURCE_FOR: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };
const LOADERS: Record<string, Loader> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx' };

/**
 * Versions of journey files, as this process imports them. Node keeps the first import of a module
 * for the life of the process, so the text of each file is kept as first read: a worker that
 * imported a journey before its file changed on disk still runs, and reports, the code it imported.
 * A fresh instance reads afresh.
 */
export class JourneyVersions {
  readonly #texts = new Map<string, Promise<Buffer | undefined>>();
  readonly #versions = new Map<string, Promise<JourneyVersion | undefined>>();

  /** The version of the journey file `file` (absolute), its local modules taken from inside `folder`; undefined when the file cannot be read. */
  of(file: string, folder: string): Promise<JourneyVersion | undefined> {
    let version = this.#versions.get(file);
    if (!version) this.#versions.set(file, (version = this.#compute(file, folder)));
    return version;
  }

  #read(file: string): Promise<Buffer | undefined> {
    let text = this.#texts.get(file);
    if (!text) this.#texts.set(file, (text = readFile(file).catch(() => undefined)));
    return text;
  }

  async #compute(file: string, folder: string): Promise<JourneyVersion | undefined> {
    if ((await this.#read(file)) === undefined) return undefined;
    const graph = await this.#graph(file, folder);
    const [commit, files] = await Promise.all([gitCommitOf(folder), this.#contents(graph.files, folder)]);
    const entry = relativePath(folder, file);
    const ordered = [...files].sort((a, b) => (a.path === entry ? -1 : b.path === entry ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const unresolved = [...new Set(graph.unresolved)].sort();
    return {
      hash: hashOf(ordered, unresolved),
      ...(commit ? { commit } : {}),
      files: keepSmall(ordered),
      ...(unresolved.length ? { unresolved } : {}),
    };
  }

  async #contents(files: readonly string[], folder: string): Promise<(JourneySource & { bytes: Buffer })[]> {
    const read = await Promise.all(files.map(async (file) => ({ file, bytes: await this.#read(file) })));
    return read.flatMap(({ file, bytes }) => (bytes === undefined ? [] : [{ path: relativePath(folder, file), text: textOf(bytes), bytes }]));
  }

  /** The journey file and every local module reachable from it; imports that lead nowhere or out of the folder, each with why. */
  async #graph(file: string, folder: string): Promise<{ files: string[]; unresolved: string[] }> {
    const files = new Set<string>([file]);
    const unresolved: string[] = [];
    const root = await realpath(folder).catch(() => path.resolve(folder));
    const plugin: Plugin = {
      name: 'pulse-local-modules',
      setup: (on) => {
        on.onResolve({ filter: /.*/ }, async (args) => {
          if (args.kind === 'entry-point') return { path: file };
          if (!isLocal(args.path)) return { path: args.path, external: true };
          const importer = relativePath(folder, args.importer);
          const found = await resolveLocal(args.resolveDir, args.path);
          if (!found) {
            unresolved.push(`${args.path} (imported by ${importer}): no such file`);
            return { path: args.path, external: true };
          }
          if (found.split(path.sep).includes('node_modules')) return { path: args.path, external: true };
          const real = await realpath(found).catch(() => found);
          if (!isInside(root, real)) {
            unresolved.push(`${args.path} (imported by ${importer}): outside the journeys folder`);
            return { path: args.path, external: true };
          }
          files.add(found);
          return { path: found };
        });
        on.onLoad({ filter: /.*/ }, async (args) => {
          const bytes = await this.#read(args.path);
          const loader = LOADERS[path.extname(args.path).toLowerCase()];
          // Only scripts are parsed for imports; data (JSON, text) is hashed as it is.
          return loader && bytes ? { contents: bytes, loader, resolveDir: path.dirname(args.path) } : { contents: '', loader: 'empty' };
        });
      },
    };
    try {
      await build({
        entryPoints: [file],
        bundle: true,
        write: false,
        platform: 'node',
        format: 'esm',
        logLevel: 'silent',
        tsconfigRaw: {},
        plugins: [plugin],
      });
    } catch {
      // A file that does not parse cannot be followed further; the files read so far still count.
      // No message here: it names absolute paths, and this text is part of the hash.
      unresolved.push('some imports were not followed: a file does not parse');
    }
    return { files: [...files], unresolved };
  }
}

/** A path the journey wrote to a file of its own: relative, absolute or a file: URL; not a package. */
function isLocal(specifier: string): boolean {
  return (
    specifier.startsWith('./') ||
    specifier.startsWith('../') ||
    specifier === '.' ||
    specifier === '..' ||
    path.isAbsolute(specifier) ||
    specifier.startsWith('file:')
  );
}

/** Where Node with tsx finds a local import: the file, its TypeScript source for a .js name, an added extension, or an index. */
async function resolveLocal(fromDir: string, specifier: string): Promise<string | undefined> {
  const bare = specifier.replace(/[?#].*$/, '');
  const base = bare.startsWith('file:') ? new URL(bare).pathname : path.resolve(fromDir, bare);
  const extension = path.extname(base);
  const candidates = [
    base,
    ...(SOURCE_FOR[extension] ?? []).map((source) => base.slice(0, -extension.length) + source),
    ...SCRIPT_EXTENSIONS.map((added) => base + added),
    ...SCRIPT_EXTENSIONS.map((added) => path.join(base, `index${added}`)),
  ];
  for (const candidate of candidates) {
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile()) return candidate;
  }
  return undefined;
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function relativePath(folder: string, file: string): string {
  return path.relative(folder, file).split(path.sep).join('/');
}

/** The bytes of each file with its path and length, so that moving text between files changes the hash. */
function hashOf(files: readonly { path: string; bytes: Buffer }[], unresolved: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file.path}\0${file.bytes.length}\0`);
    hash.update(file.bytes);
  }
  for (const line of unresolved) hash.update(`\0unresolved\0${line}`);
  return hash.digest('hex');
}

function textOf(bytes: Buffer): string {
  return bytes.includes(0) ? `(a binary file of ${bytes.length} bytes)` : bytes.toString('utf8');
}

/** Each file's text up to its share; the hash already covers the whole. */
function keepSmall(files: readonly (JourneySource & { bytes: Buffer })[]): JourneySource[] {
  let left = MAX_VERSION_CHARS;
  return files.map(({ path: file, text }) => {
    const kept = text.slice(0, Math.max(0, Math.min(MAX_FILE_CHARS, left)));
    left -= kept.length;
    return kept.length < text.length ? { path: file, text: kept, truncated: true as const } : { path: file, text };
  });
}
