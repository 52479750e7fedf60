// Playwright's own trace viewer, from the playwright-core that pulse's playwright runs (no CDN, no
// second copy), served under a path of its own so that its service worker's scope holds nothing
// else. Its files are served by name from that folder only, each opened as the evidence is (no
// link followed, the real path checked); the trace it loads is an evidence file, checked the same way.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RunQueries, RunRecord } from '../store/run-queries.ts';
import { openEvidence, openUnderRealFolder, sendEvidence } from './evidence-files.ts';
import { httpsPublicHost, reachOf, type Reach, type Reached } from './secure-context.ts';
import { TRACE_VIEWER_PREFIX, TRACES_PREFIX, viewerUrl } from './trace-links.ts';
import type { TracePass } from './trace-pass.ts';
import { traceUnavailablePage } from './views/trace-page.ts';

/** The types of the files in the viewer's folder; a file of any other type there is not served. */
const VIEWER_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json; charset=utf-8',
};

// The viewer runs its own scripts (and the one inline in its page, by hash) and a service worker,
// frames its snapshots (served by that worker, which strips the target's scripts and sets their own
// policy; a data: page while none is chosen), and reaches nothing but pulse. The policy sent with the
// service worker's script binds the worker too, so it cannot fetch a trace from another origin.
const viewerCsp = (inlineScripts: readonly string[]) =>
  [
    "default-src 'none'",
    `script-src 'self'${inlineScripts.map((hash) => ` '${hash}'`).join('')}`,
    "worker-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' blob:",
    // Not data:: a link whose ?trace= carries a whole trace inline must not load one made elsewhere.
    "connect-src 'self' blob:",
    "frame-src 'self' data:",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
  ].join('; ');

/** The hashes of the inline scripts in the viewer's page, read from the file pulse serves. */
function inlineScriptHashes(folder: string): string[] {
  let page: string;
  try {
    page = readFileSync(path.join(folder, 'index.html'), 'utf8');
  } catch {
    return [];
  }
  return [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => `sha256-${createHash('sha256').update(match[1]!).digest('base64')}`);
}

/** The viewer's folder inside the playwright-core that pulse's own playwright loads. */
export function traceViewerFolder(): string {
  const require = createRequire(import.meta.url);
  const playwright = require.resolve('playwright/package.json');
  const core = createRequire(playwright).resolve('playwright-core/package.json');
  return path.join(path.dirname(core), 'lib', 'vite', 'traceViewer');
}

/** How the browser that sent this request reached pulse. */
function reachedBy(request: FastifyRequest, httpsHost: string | undefined): Reached {
  const forwarded = request.headers['x-forwarded-proto'];
  return {
    protocol: request.protocol,
    host: request.headers.host,
    forwardedProto: Array.isArray(forwarded) ? forwarded[0] : forwarded,
    httpsPublicHost: httpsHost,
  };
}

/** How each request reached pulse (see secure-context.ts), the public URL's https host worked out once. */
export function requestReach(publicUrl: string | undefined): (request: FastifyRequest) => Reach {
  const httpsHost = httpsPublicHost(publicUrl);
  return (request) => reachOf(reachedBy(request, httpsHost));
}

/** For the auth: a request for the viewer or a trace under it that carries a valid pass. */
export function admittedByPass(pass: TracePass): (request: FastifyRequest) => boolean {
  return (request) => (request.routeOptions.url ?? '').startsWith(TRACE_VIEWER_PREFIX) && pass.admits(request.headers.cookie);
}

export interface TraceViewerOptions {
  store: Pick<RunQueries, 'getRun'>;
  artifactsRoot: string;
  /** The pass Open trace hands out; undefined without auth, where the viewer needs none. */
  pass: TracePass | undefined;
  location: string;
  publicUrl: string | undefined;
  /** How a request reached pulse: requestReach(publicUrl). */
  reach: (request: FastifyRequest) => Reach;
}

/** GET /runs/:id/trace (opens the viewer on it), the viewer's files, and the traces it loads. */
export function registerTraceViewer(app: FastifyInstance, options: TraceViewerOptions): void {
  const folder = realFolder(traceViewerFolder());
  const csp = viewerCsp(folder ? inlineScriptHashes(folder) : []);

  app.get<{ Params: { id: string }; Querystring: { attempt?: string } }>('/runs/:id/trace', async (request, reply) => {
    const run = options.store.getRun(request.params.id);
    const attempt = request.query.attempt === undefined ? undefined : Number(request.query.attempt);
    const file = run ? traceOf(run, attempt) : undefined;
    if (!run || !file) return reply.code(404).type('text/plain').send('no trace kept for this run or attempt');
    const reach = options.reach(request);
    if (!reach.secure) {
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(traceUnavailablePage(run, file, options.location, options.publicUrl).value);
    }
    if (options.pass) reply.header('set-cookie', options.pass.issue(reach.https));
    return reply.header('cache-control', 'no-store').redirect(viewerUrl(file), 303);
  });

  app.get<{ Params: { '*': string } }>(`${TRACES_PREFIX}*`, async (request, reply) => {
    const relative = request.params['*'];
    const trace = relative.endsWith('.zip') ? await openEvidence(options.artifactsRoot, relative) : undefined;
    if (!trace) return reply.code(404).type('text/plain').send('no such trace');
    noReferrer(reply);
    return sendEvidence(request, reply, trace, { type: 'application/zip', cacheControl: 'private, max-age=3600', csp });
  });

  app.get<{ Params: { '*': string } }>(`${TRACE_VIEWER_PREFIX}*`, async (request, reply) => {
    const relative = request.params['*'];
    const type = VIEWER_TYPES[path.extname(relative).toLowerCase()];
    const file = type && folder ? await openUnderRealFolder(folder, relative) : undefined;
    if (!type || !file) return reply.code(404).type('text/plain').send('no such file in the trace viewer');
    // Hashed file names never change; the page and the service worker are checked at every load.
    const hashed = /\.[A-Za-z0-9_-]{8}\.(js|css|ttf)$/.test(relative) || relative.startsWith('assets/');
    noReferrer(reply);
    return sendEvidence(request, reply, file, { type, cacheControl: hashed ? 'private, max-age=86400' : 'no-cache', csp });
  });
}

/** The trace of one attempt, or of the run; undefined once retention took the evidence. */
function traceOf(run: RunRecord, attempt: number | undefined): string | undefined {
  if (run.artifactsPrunedAt !== undefined) return undefined;
  if (attempt === undefined) return run.artifacts.trace;
  return run.attemptResults.find((each) => each.attempt === attempt)?.artifacts.trace;
}

/** The viewer's folder as it really is, resolved once: it lives inside playwright-core and does not move; undefined when absent. */
function realFolder(folder: string): string | undefined {
  try {
    return realpathSync(folder);
  } catch {
    return undefined;
  }
}

/** Links out of the viewer must not carry the trace's address. */
function noReferrer(reply: FastifyReply): void {
  reply.header('referrer-policy', 'no-referrer');
}
