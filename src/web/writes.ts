import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';

/** How a write reached pulse: a JSON API call (tools, `pulse trigger`) or a form of the UI. */
export type WriteKind = 'api' | 'form';

/**
 * Every request that changes something: it needs the configured auth (or, on a trusted network,
 * PULSE_ALLOW_OPEN_WRITES=1), must not come from another site's page, and is done in the name of
 * the identity it authenticated as. Reads are guarded by the auth hook alone.
 */
export class WriteGuard {
  /** Put into the UI's forms; another site's page cannot read it, so it cannot forge a form post. */
  readonly csrfToken: string;
  readonly #auth: Config['auth'];
  readonly #allowOpen: boolean;

  constructor(config: Pick<Config, 'auth' | 'allowOpenWrites'>) {
    this.#auth = config.auth;
    this.#allowOpen = config.allowOpenWrites;
    this.csrfToken = createHmac('sha256', randomBytes(32)).update('pulse-ui-forms').digest('base64url');
  }

  get authConfigured(): boolean {
    return Boolean(this.#auth.token || (this.#auth.user && this.#auth.password));
  }

  /** Whether writes are possible at all on this daemon. */
  get enabled(): boolean {
    return this.authConfigured || this.#allowOpen;
  }

  /** Who is asking: the basic-auth user, "token" for the bearer token, or the address when writes are open. */
  identity(request: FastifyRequest): string {
    const header = request.headers.authorization ?? '';
    if (this.authConfigured && /^basic /i.test(header)) {
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      return decoded.slice(0, Math.max(0, decoded.indexOf(':'))) || 'basic';
    }
    if (this.authConfigured && /^bearer /i.test(header)) return 'token';
    return `anonymous@${request.ip}`;
  }

  /** Refuses the write (and answers) unless it may go ahead; the auth hook has already checked credentials. */
  allow(request: FastifyRequest, reply: FastifyReply, kind: WriteKind): boolean {
    if (!this.enabled) {
      void reply.code(403).send({
        error: 'writes need auth: set PULSE_AUTH_TOKEN or PULSE_AUTH_USER and PULSE_AUTH_PASSWORD (or, on a trusted network only, PULSE_ALLOW_OPEN_WRITES=1)',
      });
      return false;
    }
    // A browser says where a request comes from; another site's page may not write here. An opaque
    // origin ("null": a sandboxed page, or a no-referrer policy) says nothing; the checks below decide.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== 'null' && !sameOrigin(origin, request)) {
      void reply.code(403).send({ error: `cross-site write from ${origin} refused` });
      return false;
    }
    if (kind === 'api') {
      // A cross-site page cannot send application/json without a preflight, which pulse never grants.
      if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
        void reply.code(415).send({ error: 'send the request as application/json' });
        return false;
      }
      return true;
    }
    const token = (request.body as Record<string, unknown> | undefined)?.csrf;
    if (typeof token !== 'string' || !same(token, this.csrfToken)) {
      void reply.code(403).type('text/plain').send('this form has expired or did not come from this pulse; reload the page and try again');
      return false;
    }
    return true;
  }
}

function sameOrigin(origin: string, request: FastifyRequest): boolean {
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
