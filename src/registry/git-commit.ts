// The commit a folder's git checkout has out, read from .git itself: no git process per journey
// import, and no git needed in the image. A layout this does not know (a reftable store, a ref
// name it will not follow) falls back to `git rev-parse` with a short deadline.
import { execFile } from 'node:child_process';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A ref HEAD may name: below refs/, no step up, no odd characters. */
const REF_NAME = /^refs\/(?:[A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]+$/;
const MAX_SYMBOLIC_HOPS = 5;
const GIT_DEADLINE_MS = 2_000;

/** The commit checked out in the git repository `dir` is in (or below), or undefined where there is none or it cannot be told. */
export async function gitCommitOf(dir: string): Promise<string | undefined> {
  const found = await findGitDir(dir).catch(() => undefined);
  if (!found) return undefined;
  const read = await readHead(found).catch(() => undefined);
  return read ?? (await revParse(dir));
}

interface GitDir {
  /** The repository's (or the worktree's) own folder: HEAD lives here. */
  gitDir: string;
  /** Where the shared refs live: the main repository's folder for a linked worktree. */
  commonDir: string;
}

/** Walks up from dir to the first `.git`: a folder, or a file pointing at one (a linked worktree, a submodule). */
async function findGitDir(dir: string): Promise<GitDir | undefined> {
  let current = await realpath(dir);
  for (;;) {
    const candidate = path.join(current, '.git');
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isDirectory()) return withCommonDir(candidate);
    if (info?.isFile()) {
      const pointer = /^gitdir:\s*(.+)$/m.exec(await readFile(candidate, 'utf8'));
      if (!pointer) return undefined;
      return withCommonDir(path.resolve(current, pointer[1]!.trim()));
    }
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

async function withCommonDir(gitDir: string): Promise<GitDir> {
  const common = await readFile(path.join(gitDir, 'commondir'), 'utf8').catch(() => undefined);
  return { gitDir, commonDir: common ? path.resolve(gitDir, common.trim()) : gitDir };
}

/** HEAD: a detached commit, or a ref followed through loose refs and packed-refs. */
async function readHead({ gitDir, commonDir }: GitDir): Promise<string | undefined> {
  let value = (await readFile(path.join(gitDir, 'HEAD'), 'utf8')).trim();
  for (let hop = 0; hop < MAX_SYMBOLIC_HOPS; hop += 1) {
    if (OBJECT_ID.test(value)) return value;
    const ref = /^ref:\s*(.+)$/.exec(value)?.[1]?.trim();
    if (!ref || !REF_NAME.test(ref)) return undefined;
    const loose =
      (await readFile(path.join(gitDir, ref), 'utf8').catch(() => undefined)) ?? (await readFile(path.join(commonDir, ref), 'utf8').catch(() => undefined));
    if (loose === undefined) return packedRef(commonDir, ref);
    value = loose.trim();
  }
  return undefined;
}

async function packedRef(commonDir: string, ref: string): Promise<string | undefined> {
  const packed = await readFile(path.join(commonDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [id, name] = line.trim().split(' ');
    if (name === ref && id && OBJECT_ID.test(id)) return id;
  }
  return undefined;
}

/** git itself, for what .git alone did not tell; no git, or no answer within the deadline, is no commit. */
function revParse(dir: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-c', 'core.fsmonitor=false', '-C', dir, 'rev-parse', '--verify', '--quiet', 'HEAD'],
      { timeout: GIT_DEADLINE_MS, encoding: 'utf8' },
      (error, stdout) => {
        const id = stdout?.trim();
        resolve(!error && id && OBJECT_ID.test(id) ? id : undefined);
      },
    );
  });
}
