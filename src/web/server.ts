import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { MetricsSource } from './exposition.ts';

export interface Readiness {
  ready: boolean;
  /** What is missing, for people reading /readyz. */
  checks: Record<string, boolean>;
}

export interface WebServerOptions {
  /** A prom-client Registry, or the daemon's cached exposition. */
  metrics: MetricsSource;
  readiness: () => Readiness;
  /** Adds more routes (the on-call UI and API) before the server listens. */
  routes?: (app: FastifyInstance) => void | Promise<void>;
}

/** Requests one client (by address) may make per window, on every path but the probes. */
const REQUESTS_PER_CLIENT = 100;
const RATE_WINDOW_MS = 2_000;
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

/** One port: /metrics, /healthz (alive), /readyz (journeys loaded, browser launched), plus whatever routes adds. */
export async function createWebServer(options: WebServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    return503OnClosing: true,
    // A client may keep connections open, not hold them forever or trickle a request in.
    keepAliveTimeout: 5_000,
    requestTimeout: 30_000,
    bodyLimit: 64 * 1024,
  });
  // One client cannot ask for more than a person or a scraper needs; probes are never limited.
  await app.register(fastifyRateLimit, {
    max: REQUESTS_PER_CLIENT,
    timeWindow: RATE_WINDOW_MS,
    allowList: (request) => OPEN_PATHS.has(request.url.split('?')[0] ?? ''),
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.metrics();
    return reply.header('content-type', options.metrics.contentType).header('cache-control', 'no-store').send(body);
  });
  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const readiness = options.readiness();
    return reply
      .code(readiness.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks });
  });
  await options.routes?.(app);
  return app;
}
