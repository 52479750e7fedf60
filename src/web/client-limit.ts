import type { FastifyInstance } from 'fastify';

export interface ClientLimitOptions {
  /** Requests a client (by address) may make at once before it is slowed down. */
  burst: number;
  /** Requests per second it earns back. */
  perSecond: number;
  /** How long an over-limit request waits before its 429: one keep-alive connection then asks at most once per this. */
  tarpitMs: number;
  /** Paths never limited (health probes). */
  open: ReadonlySet<string>;
  /** Path prefixes never limited (pulse's own control page). */
  openPrefixes?: readonly string[];
  now?: () => number;
}

/**
 * Limits what one client can ask of the daemon's port. A client over its share gets its 429 late:
 * each of its connections is then held to one request per `tarpitMs`, so a flood costs the
 * daemon a timer per connection instead of a busy event loop that the runs would wait on.
 */
export function registerClientLimit(app: FastifyInstance, options: ClientLimitOptions): void {
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();
  // Forget quiet clients, so the map cannot grow with every address ever seen.
  const sweep = setInterval(() => {
    const cutoff = now() - 60_000;
    for (const [ip, bucket] of buckets) if (bucket.at < cutoff) buckets.delete(ip);
  }, 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  app.addHook('onRequest', (request, reply, done) => {
    // The route the router chose (unknown paths count against the client), not the URL's spelling.
    const route = request.routeOptions.url;
    if (route !== undefined && (options.open.has(route) || options.openPrefixes?.some((prefix) => route.startsWith(prefix)))) return done();
    const at = now();
    const bucket = buckets.get(request.ip) ?? { tokens: options.burst, at };
    bucket.tokens = Math.min(options.burst, bucket.tokens + ((at - bucket.at) / 1000) * options.perSecond);
    bucket.at = at;
    buckets.set(request.ip, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return done();
    }
    const timer = setTimeout(() => {
      void reply
        .code(429)
        .header('retry-after', String(Math.ceil(options.tarpitMs / 1000)))
        .type('text/plain')
        .send('too many requests from this client; slow down');
    }, options.tarpitMs);
    request.raw.once('close', () => clearTimeout(timer));
  });
}
