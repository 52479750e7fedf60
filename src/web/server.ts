import negotiate from '@fastify/accept-negotiator';
import Fastify, { type FastifyInstance } from 'fastify';
import { CONTROL_PREFIX, registerControlPage } from '../control/control-page.ts';
import type { ProberStatus } from '../control/prober-health.ts';
import { registerClientLimit } from './client-limit.ts';
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
  /** pulse's own health, told beside liveness and readiness (it changes neither: restarting mends no full disk). */
  prober?: () => ProberStatus;
  /** Adds more routes (the on-call UI and API) before the server listens. */
  routes?: (app: FastifyInstance) => void | Promise<void>;
}

/** What one client (by address) may ask, on every path but the probes: a person clicking, a dashboard, a scraper. */
const CLIENT_BURST = 60;
const CLIENT_PER_SECOND = 20;
const TARPIT_MS = 1_000;
/** Beyond this many open connections new ones are refused, whoever opens them. */
const MAX_CONNECTIONS = 1_024;
const OPEN_PATHS = new Set(['/healthz', '/readyz']);
/** What /metrics can send, best first; without gzip in Accept-Encoding, or with it at q=0, the text as it is (codings are case-insensitive). */
const ENCODINGS = ['gzip', 'identity'];

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
  // The control journey's page is never limited: a flood from one address must not make pulse look sick.
  registerClientLimit(app, { burst: CLIENT_BURST, perSecond: CLIENT_PER_SECOND, tarpitMs: TARPIT_MS, open: OPEN_PATHS, openPrefixes: [CONTROL_PREFIX] });
  app.server.maxConnections = MAX_CONNECTIONS;

  app.get('/metrics', async (request, reply) => {
    const source = options.metrics;
    reply.header('content-type', source.contentType).header('cache-control', 'no-store').header('vary', 'accept-encoding');
    // Prometheus asks for gzip: far fewer bytes, and the body was compressed before the scrape came.
    if (source.gzipped && negotiate((request.headers['accept-encoding'] ?? '').toLowerCase(), ENCODINGS) === 'gzip')
      return reply.header('content-encoding', 'gzip').send(await source.gzipped());
    return reply.send(await source.metrics());
  });
  const prober = () => (options.prober ? proberSummary(options.prober()) : {});
  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok', ...prober() }));
  app.get('/readyz', async (_request, reply) => {
    const readiness = options.readiness();
    return reply
      .code(readiness.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks, ...prober() });
  });
  registerControlPage(app);
  await options.routes?.(app);
  return app;
}

/** The prober's state for the probes' answers: up, degraded or down, and while not up, what fails and why. */
function proberSummary(status: ProberStatus): { prober: ProberStatus['state']; problems?: { check: string; detail: string }[] } {
  if (status.state === 'up') return { prober: 'up' };
  return { prober: status.state, problems: status.failing.map(({ check, detail }) => ({ check, detail })) };
}
