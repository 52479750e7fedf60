// Evidence files are served from what was actually opened, not from how the URL spelled it: the
// router decodes a path however it likes (a percent-encoded letter of the prefix included), and a
// link planted anywhere under the folder would otherwise lead out of it. So the file is opened
// without following a final link, and the path the kernel says it opened must be the one asked
// for, inside the real artifacts folder, and a regular file.
import type { Stats } from 'node:fs';
import { readlink, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ARTIFACTS_URL_PREFIX } from '../artifacts.ts';
import { openRegularFile } from '../regular-file.ts';

export interface OpenedEvidence {
  handle: FileHandle;
  stat: Stats;
  /** The real path that was opened. */
  file: string;
}

/** The types pulse writes as evidence; anything else goes out as bytes to download. */
const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpeg': 'image/jpeg',
  '.jpg': 'image/jpeg',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.zip': 'application/zip',
  '.webm': 'video/webm',
};

/**
 * Opens `relative` (already decoded once, as the router hands it over) under `root`, or answers
 * undefined: outside the folder, through a link anywhere on the way, not a regular file, or absent.
 * A FIFO or device is never waited on (O_NONBLOCK) and never served.
 */
export async function openEvidence(root: string, relative: string): Promise<OpenedEvidence | undefined> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return undefined;
  }
  return openUnderRealFolder(realRoot, relative);
}

/** As openEvidence, under a folder whose real path is known already (one that does not move, resolved once). */
export async function openUnderRealFolder(realRoot: string, relative: string): Promise<OpenedEvidence | undefined> {
  if (relative === '' || relative.includes('\0')) return undefined;
  const inside = path.relative(realRoot, path.resolve(realRoot, relative));
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return undefined;
  // Nothing pulse writes starts with a dot; a hidden file there was put by someone else.
  if (inside.split(path.sep).some((segment) => segment.startsWith('.'))) return undefined;
  const wanted = path.join(realRoot, inside);
  // No final link followed, no FIFO waited on, a regular file only; and the path the kernel opened is the one asked for.
  const opened = await openRegularFile(wanted).catch(() => undefined);
  if (!opened) return undefined;
  try {
    const file = await openedPath(opened.handle, wanted);
    if (file !== wanted) throw new Error('not evidence');
    return { handle: opened.handle, stat: opened.stat, file };
  } catch {
    await opened.handle.close().catch(() => undefined);
    return undefined;
  }
}

/** The path the kernel opened (Linux tells through /proc); elsewhere the path resolved now. */
async function openedPath(handle: FileHandle, wanted: string): Promise<string> {
  try {
    return await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return realpath(wanted);
  }
}

export interface EvidenceHeaders {
  type: string;
  cacheControl: string;
  csp?: string;
  disposition?: 'attachment';
}

/** Sends an opened file (headers only for HEAD), closing it either way. */
export async function sendEvidence(request: FastifyRequest, reply: FastifyReply, opened: OpenedEvidence, headers: EvidenceHeaders): Promise<FastifyReply> {
  reply
    .header('content-type', headers.type)
    .header('content-length', opened.stat.size)
    .header('last-modified', opened.stat.mtime.toUTCString())
    .header('cache-control', headers.cacheControl);
  if (headers.csp) reply.header('content-security-policy', headers.csp);
  if (headers.disposition) reply.header('content-disposition', headers.disposition);
  if (request.method === 'HEAD') {
    await opened.handle.close();
    return reply.send();
  }
  return reply.send(opened.handle.createReadStream());
}

/** GET (and HEAD) /artifacts/*: the evidence files, each checked by openEvidence. */
export function registerEvidenceFiles(app: FastifyInstance, root: string): void {
  app.get<{ Params: { '*': string } }>(`${ARTIFACTS_URL_PREFIX}*`, async (request, reply) => {
    const evidence = await openEvidence(root, request.params['*']);
    if (!evidence) return reply.code(404).type('text/plain').send('no such evidence');
    const extension = path.extname(evidence.file).toLowerCase();
    return sendEvidence(request, reply, evidence, {
      type: CONTENT_TYPES[extension] ?? 'application/octet-stream',
      cacheControl: 'private, max-age=3600',
      // A captured page's HTML is the target's markup: shown sandboxed, scripts off.
      ...(extension === '.html' ? { csp: "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'" } : {}),
      ...(extension === '.zip' ? { disposition: 'attachment' as const } : {}),
    });
  });
}
