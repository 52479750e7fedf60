import fastifyAuth from '@fastify/auth';
import fastifyBasicAuth from '@fastify/basic-auth';
import fastifyBearerAuth from '@fastify/bearer-auth';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { CONTROL_PREFIX } from '../control/control-page.ts';

/** Paths that stay open so that probes and scrapers work without credentials (and the control journey, under CONTROL_PREFIX). */
const ALWAYS_OPEN = new Set(['/healthz', '/readyz']);

export interface AuthOptions {
  /** A request admitted without the credentials (the trace viewer's pass); checked before them. */
  admit?: (request: FastifyRequest) => boolean;
}

/** Whether the UI asks for credentials at all: a token, or a user with a password. */
export function authConfigured(auth: Config['auth']): boolean {
  return Boolean(auth.token) || Boolean(auth.user && auth.password);
}

/**
 * Optional auth for the UI, the API and the artifacts: a bearer token, basic credentials, or
 * either. /healthz and /readyz stay open; /metrics is protected only with PULSE_AUTH_METRICS=1.
 */
export async function registerAuth(app: FastifyInstance, auth: Config['auth'], options: AuthOptions = {}): Promise<void> {
  const methods: ((request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void)[] = [];
  if (auth.token) {
    await app.register(fastifyBearerAuth, { keys: [auth.token], addHook: false });
    methods.push(app.verifyBearerAuth!);
  }
  if (auth.user && auth.password) {
    const user = auth.user;
    const password = auth.password;
    await app.register(fastifyBasicAuth, {
      authenticate: { realm: 'pulse' },
      validate: async (givenUser, givenPassword) => {
        if (!(same(givenUser, user) && same(givenPassword, password))) return new Error('wrong user or password');
      },
    });
    methods.push(app.basicAuth);
  }
  if (methods.length === 0) return;
  await app.register(fastifyAuth);
  const check = app.auth(methods, { relation: 'or' });
  app.addHook('onRequest', (request, reply, done) => {
    // The route the router chose, not the URL's spelling: an encoded letter must not open or close a path.
    const route = request.routeOptions.url;
    if (route === undefined) return check.call(app, request, reply, done);
    if (ALWAYS_OPEN.has(route) || route.startsWith(CONTROL_PREFIX) || (route === '/metrics' && !auth.metrics)) return done();
    if (options.admit?.(request)) return done();
    return check.call(app, request, reply, done);
  });
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
