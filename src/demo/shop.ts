import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CATEGORIES, FEATURED_SLUG, PRODUCTS, findCategory, findProduct, searchProducts, type Product } from './catalog.ts';
import { CATALOG_ASSET_PREFIX, catalogAsset, productImageUrl } from './catalog-assets.ts';
import { registerAccount } from './account.ts';
import { CartStore } from './cart-store.ts';
import { emptyCheckoutValues, readCheckoutValues, validateCheckout } from './checkout-form.ts';
import { FAULT_NAMES, NO_FAULTS, describeFaultIssues, faultsSchema, type Faults } from './faults.ts';
import { registerMfaSignIn } from './mfa-sign-in.ts';
import { OrderStore, ORDER_NUMBER_PATTERN } from './order-store.ts';
import { cartPage, catalogPage, checkoutPage, homePage, messagePage, orderPage, productPage, searchPage, sendPage, type PageContext } from './pages.ts';
import { newSessionId, readSessionId, sessionCookie } from './session.ts';

export interface ShopOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port, read it back from `url`. */
  port?: number;
  /** Faults switched on from the start. */
  faults?: Partial<Faults>;
}

export interface Shop {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:43121 */
  url: string;
  faults(): Faults;
  /** Merges and returns the new faults; throws on invalid values. */
  setFaults(f: Partial<Faults>): Faults;
  resetFaults(): Faults;
  /** Ends hung requests and open sockets at once, then stops listening. */
  close(): Promise<void>;
}

const addToCartBody = z.object({
  slug: z.string().min(1),
  quantity: z.number().int().min(1).max(10),
});

/** Paths that are never subject to faults. */
function isControlPath(path: string): boolean {
  return path === '/__faults' || path === '/healthz' || path === '/__account' || path.startsWith('/__account/');
}

/** Not counted by failOneIn: the favicon and the catalog page's files (the other pages inline theirs). */
function isStaticAsset(path: string): boolean {
  return path === '/favicon.ico' || path.startsWith(CATALOG_ASSET_PREFIX);
}

/** A product as the catalog API sends it. */
function productJson(product: Product) {
  const { slug, name, description, priceCents, category } = product;
  return { slug, name, description, priceCents, category, image: productImageUrl(slug) };
}

function isJsonPath(path: string): boolean {
  return path.startsWith('/api/') || isControlPath(path);
}

function pathOf(request: FastifyRequest): string {
  const q = request.url.indexOf('?');
  return q === -1 ? request.url : request.url.slice(0, q);
}

function firstString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return '';
}

function validFaults(f: Partial<Faults>): Partial<Faults> {
  const parsed = faultsSchema.safeParse(f);
  if (!parsed.success) throw new Error(`Invalid fault settings: ${describeFaultIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

function urlOf(address: AddressInfo): string {
  let host = address.address;
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  return `http://${address.family === 'IPv6' ? `[${host}]` : host}:${address.port}`;
}

export async function startShop(options: ShopOptions = {}): Promise<Shop> {
  let faults: Faults = { ...NO_FAULTS, ...validFaults(options.faults ?? {}) };
  let failCounter = 0;
  const carts = new CartStore();
  const orders = new OrderStore();
  const sessions = new WeakMap<FastifyRequest, string>();
  const heldSockets = new Set<Socket>();
  const closing = new AbortController();

  function setFaults(f: Partial<Faults>): Faults {
    const changes = validFaults(f);
    faults = { ...faults, ...changes };
    // Restart the count so "every Nth request" is predictable from the moment it is switched.
    if (changes.failOneIn !== undefined) failCounter = 0;
    return { ...faults };
  }

  function resetFaults(): Faults {
    faults = { ...NO_FAULTS };
    failCounter = 0;
    return { ...faults };
  }

  function sessionOf(request: FastifyRequest): string {
    const id = sessions.get(request);
    if (id === undefined) throw new Error(`no shop session for ${request.method} ${request.url}`);
    return id;
  }

  function ctx(request: FastifyRequest): PageContext {
    const id = sessions.get(request);
    return { cartCount: id === undefined ? 0 : carts.count(id) };
  }

  /** Drops the connection without an answer: the browser sees an empty response / reset. */
  /** A page that starts, then crawls: up to its heading at once, the rest one byte a second, until the shop closes. */
  function trickle(request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    const socket = request.raw.socket;
    heldSockets.add(socket);
    const body = Buffer.from(messagePage(ctx(request), 'A page that never finishes', 'This page arrives one byte a second. '.repeat(200)).value);
    socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
    // Everything up to the page's heading at once, so there is something to paint.
    let sent = body.indexOf('</h1>') + '</h1>'.length;
    socket.write(body.subarray(0, sent));
    const timer = setInterval(() => {
      if (sent >= body.length || socket.destroyed) return clearInterval(timer);
      socket.write(body.subarray(sent, sent + 1));
      sent += 1;
    }, 1000);
    socket.once('close', () => {
      clearInterval(timer);
      heldSockets.delete(socket);
    });
  }

  function dropConnection(request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    request.raw.socket.destroy();
  }

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 64 * 1024 });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    const path = pathOf(request);
    if (isControlPath(path)) return;

    let session = readSessionId(request.headers.cookie);
    if (session === undefined) {
      session = newSessionId();
      reply.header('set-cookie', sessionCookie(session));
    }
    sessions.set(request, session);

    if (faults.down) {
      dropConnection(request, reply);
      return;
    }
    if (faults.hangPath !== null && path.startsWith(faults.hangPath)) {
      reply.hijack();
      const socket = request.raw.socket;
      heldSockets.add(socket);
      socket.once('close', () => heldSockets.delete(socket));
      return;
    }
    if (faults.tricklePath !== null && path.startsWith(faults.tricklePath)) {
      trickle(request, reply);
      return;
    }
    if (faults.api500 && path.startsWith('/api/')) {
      return reply.code(500).send({ error: 'demo fault: the shop API is failing' });
    }
    if (faults.delayMs > 0) {
      try {
        await sleep(faults.delayMs, undefined, { signal: closing.signal });
      } catch {
        dropConnection(request, reply); // the shop is closing
        return;
      }
    }
    if (faults.failOneIn > 0 && !isStaticAsset(path)) {
      failCounter += 1;
      if (failCounter % faults.failOneIn === 0) {
        reply.header('retry-after', '1');
        return sendPage(reply, 503, messagePage(ctx(request), 'Service temporarily unavailable', 'The shop is busy right now. Please try again in a moment.'));
      }
    }
  });

  // Faults of what the user feels rather than what fails: applied to every HTML page on its way out.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (typeof payload !== 'string' || !String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload;
    let page = payload;
    if (faults.slowPaintMs > 0) {
      page = page
        .replace('</head>', '<style>main{visibility:hidden}</style></head>')
        .replace(
          '</body>',
          `<script>setTimeout(() => { document.querySelector('main').style.visibility = 'visible'; }, ${faults.slowPaintMs});</script></body>`,
        );
    }
    if (faults.layoutShift) {
      page = page.replace(
        '</body>',
        "<script>setTimeout(() => { const banner = document.createElement('p'); banner.setAttribute('role', 'note'); banner.textContent = 'Free shipping today only'; banner.style.cssText = 'height:240px;margin:0;background:#fde68a'; document.querySelector('main').prepend(banner); }, 300);</script></body>",
      );
    }
    return page;
  });

  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    const message = status >= 500 ? 'Internal server error' : (error.message ?? 'Bad request');
    if (isJsonPath(pathOf(request))) return reply.code(status).send({ error: message });
    return sendPage(
      reply,
      status,
      status >= 500
        ? messagePage(ctx(request), 'Something went wrong', 'Sorry, something went wrong on our side. Please try again.')
        : messagePage(ctx(request), 'Bad request', message),
    );
  });

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request);
    if (isJsonPath(path)) return reply.code(404).send({ error: `Not found: ${request.method} ${path}` });
    return sendPage(reply, 404, messagePage(ctx(request), 'Page not found', 'There is no page at this address.'));
  });

  // Fault switch and health: never subject to faults.
  app.get('/healthz', (_request, reply) => reply.type('text/plain; charset=utf-8').send('ok'));
  app.get('/__faults', () => ({ ...faults }));
  app.put('/__faults', (request, reply) => {
    const parsed = faultsSchema.safeParse(request.body);
    if (!parsed.success) {
      const issues = describeFaultIssues(parsed.error);
      return reply.code(400).send({ error: `Invalid fault settings: ${issues.join('; ')}`, issues, validNames: FAULT_NAMES });
    }
    return setFaults(parsed.data);
  });
  app.delete('/__faults', () => resetFaults());

  app.get('/favicon.ico', (_request, reply) => reply.code(204).send());
  registerAccount(app, { pageContext: ctx });

  app.get('/', (request, reply) => sendPage(reply, 200, homePage(ctx(request), PRODUCTS)));

  app.get<{ Querystring: Record<string, unknown> }>('/search', (request, reply) => {
    const query = firstString(request.query.q).slice(0, 200);
    return sendPage(reply, 200, searchPage(ctx(request), query, searchProducts(query)));
  });

  app.get('/catalog', (request, reply) => sendPage(reply, 200, catalogPage(ctx(request))));

  // Files a real shop would let browsers keep; a fresh browser context still fetches each once.
  app.get<{ Params: { '*': string } }>(`${CATALOG_ASSET_PREFIX}*`, (request, reply) => {
    const asset = catalogAsset(request.params['*']);
    if (!asset) return reply.callNotFound();
    return reply.header('cache-control', 'public, max-age=86400').type(asset.contentType).send(asset.body);
  });

  app.get('/api/catalog/categories', () => ({
    categories: CATEGORIES.map((c) => ({ ...c, count: PRODUCTS.filter((p) => p.category === c.slug).length })),
  }));

  app.get<{ Querystring: Record<string, unknown> }>('/api/catalog/products', (request, reply) => {
    const slug = firstString(request.query.category);
    if (slug === '') return { products: PRODUCTS.map(productJson) };
    const category = findCategory(slug);
    if (!category) return reply.code(404).send({ error: `Unknown category "${slug.slice(0, 100)}"` });
    return { products: PRODUCTS.filter((p) => p.category === category.slug).map(productJson) };
  });

  app.get<{ Querystring: Record<string, unknown> }>('/api/catalog/stock', (request, reply) => {
    const slugs = firstString(request.query.slugs)
      .split(',')
      .filter((slug) => slug !== '');
    const unknown = slugs.find((slug) => !findProduct(slug));
    if (unknown !== undefined) return reply.code(404).send({ error: `Unknown product "${unknown.slice(0, 100)}"` });
    return { stock: Object.fromEntries(slugs.map((slug) => [slug, findProduct(slug)!.stock])) };
  });

  app.get('/api/catalog/featured', () => ({ product: productJson(findProduct(FEATURED_SLUG)!) }));

  app.get<{ Params: { slug: string } }>('/products/:slug', (request, reply) => {
    const product = findProduct(request.params.slug);
    if (!product) {
      return sendPage(reply, 404, messagePage(ctx(request), 'Product not found', 'We do not sell that product (any more).'));
    }
    return sendPage(
      reply,
      200,
      productPage(ctx(request), { product, hideAddToCart: faults.hideAddToCart, jsError: faults.jsError, thirdPartyScript: faults.thirdPartyScript }),
    );
  });

  app.post('/api/cart', (request, reply) => {
    const parsed = addToCartBody.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({ error: 'Expected JSON {"slug": string, "quantity": integer 1-10}' });
    }
    const { slug, quantity } = parsed.data;
    if (!findProduct(slug)) return reply.code(404).send({ error: `Unknown product "${slug}"` });
    return { count: carts.add(sessionOf(request), slug, quantity) };
  });

  app.get('/cart', (request, reply) => sendPage(reply, 200, cartPage(ctx(request), carts.lines(sessionOf(request)))));

  app.post('/cart/update', (request, reply) => {
    const session = sessionOf(request);
    const inCart = new Set(carts.lines(session).map((line) => line.product.slug));
    const body = (request.body ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(body)) {
      if (!key.startsWith('qty.') || typeof value !== 'string') continue;
      const slug = key.slice('qty.'.length);
      const quantity = value.trim();
      // A blank or malformed quantity leaves the line as it was.
      if (inCart.has(slug) && /^\d{1,3}$/.test(quantity)) carts.set(session, slug, Number(quantity));
    }
    return reply.redirect('/cart', 303);
  });

  app.post('/cart/remove', (request, reply) => {
    const slug = firstString((request.body as Record<string, unknown> | undefined)?.slug);
    if (slug !== '') carts.remove(sessionOf(request), slug);
    return reply.redirect('/cart', 303);
  });

  app.get('/checkout', (request, reply) => {
    const lines = carts.lines(sessionOf(request));
    if (lines.length === 0) return reply.redirect('/cart', 303);
    return sendPage(reply, 200, checkoutPage(ctx(request), { lines, values: emptyCheckoutValues(), errors: {} }));
  });

  app.post('/checkout', (request, reply) => {
    if (faults.checkout500) {
      return sendPage(reply, 500, messagePage(ctx(request), 'Something went wrong', 'We could not place your order. Please try again later.'));
    }
    const session = sessionOf(request);
    const lines = carts.lines(session);
    if (lines.length === 0) return reply.redirect('/cart', 303);
    const values = readCheckoutValues(request.body);
    const errors = validateCheckout(values);
    if (Object.keys(errors).length > 0) {
      return sendPage(reply, 422, checkoutPage(ctx(request), { lines, values, errors }));
    }
    const order = orders.place(lines);
    carts.clear(session);
    return reply.redirect(`/orders/${order.number}`, 303);
  });

  app.get<{ Params: { number: string } }>('/orders/:number', (request, reply) => {
    const { number } = request.params;
    const order = ORDER_NUMBER_PATTERN.test(number) ? orders.get(number) : undefined;
    if (!order) {
      return sendPage(reply, 404, messagePage(ctx(request), 'Order not found', 'We could not find an order with that number.'));
    }
    return sendPage(reply, 200, orderPage(ctx(request), order));
  });

  registerMfaSignIn(app, { sessionOf, ctx });

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const url = urlOf(app.server.address() as AddressInfo);

  let closed: Promise<void> | undefined;
  return {
    url,
    faults: () => ({ ...faults }),
    setFaults,
    resetFaults,
    close() {
      closed ??= (async () => {
        closing.abort();
        for (const socket of heldSockets) socket.destroy();
        heldSockets.clear();
        await app.close();
      })();
      return closed;
    },
  };
}
