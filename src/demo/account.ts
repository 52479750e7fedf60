// The shop's customer accounts: a sign-in that issues a session cookie, a page behind it, and the
// switches a test needs: how many sign-ins there were, and revoking every session at once (a
// password reset or a security incident on the shop's side).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.ts';
import { layout } from './layout.ts';
import type { PageContext } from './pages.ts';

/** The shop's one customer account, published on its sign-in page as the checkout's test card is. */
export const DEMO_ACCOUNT = Object.freeze({ email: 'shopper@demo.test', password: 'demo-shopper-password' });

const ACCOUNT_COOKIE = 'shop_account';
const TOKEN = /^[A-Za-z0-9_-]{32}$/;
/** Signed-in sessions the shop remembers at most; the oldest go first. */
const MAX_SESSIONS = 10_000;

export interface AccountOptions {
  pageContext: (request: FastifyRequest) => PageContext;
}

/** What the shop's account side has seen, for tests: GET /__account. */
export interface AccountStats {
  signIns: number;
  failedSignIns: number;
  active: number;
  revoked: number;
}

/** Adds /account/sign-in, /account, /account/sign-out and the /__account switches to the shop. */
export function registerAccount(app: FastifyInstance, { pageContext }: AccountOptions): void {
  const sessions = new Map<string, string>();
  const stats = { signIns: 0, failedSignIns: 0, revoked: 0 };
  const signedIn = (request: FastifyRequest): string | undefined => {
    const token = readAccountToken(request.headers.cookie);
    return token === undefined ? undefined : sessions.get(token);
  };

  app.get('/account/sign-in', (request, reply) => sendPage(reply, 200, signInPage(pageContext(request), undefined)));

  app.post('/account/sign-in', (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    if (!sameText(email.toLowerCase(), DEMO_ACCOUNT.email) || !sameText(password, DEMO_ACCOUNT.password)) {
      stats.failedSignIns += 1;
      return sendPage(reply, 401, signInPage(pageContext(request), 'The email or the password is wrong.'));
    }
    stats.signIns += 1;
    const token = randomBytes(24).toString('base64url');
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    sessions.set(token, DEMO_ACCOUNT.email);
    return reply.header('set-cookie', `${ACCOUNT_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax`).redirect('/account', 303);
  });

  app.get('/account', (request, reply) => {
    const email = signedIn(request);
    if (email === undefined) return reply.redirect('/account/sign-in', 303);
    return sendPage(reply, 200, accountPage(pageContext(request), email));
  });

  app.post('/account/sign-out', (request, reply) => {
    const token = readAccountToken(request.headers.cookie);
    if (token !== undefined) sessions.delete(token);
    return reply.header('set-cookie', `${ACCOUNT_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`).redirect('/account/sign-in', 303);
  });

  // Switches for tests, never subject to faults.
  app.get('/__account', (): AccountStats => ({ ...stats, active: sessions.size }));
  // The tokens it issued and still honours, so a test can look for them where they must not be.
  app.get('/__account/tokens', () => ({ tokens: [...sessions.keys()] }));
  app.post('/__account/revoke', () => {
    const revoked = sessions.size;
    stats.revoked += revoked;
    sessions.clear();
    return { revoked };
  });
}

/** The account token from a Cookie header, if it holds a well-formed shop_account. */
function readAccountToken(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== ACCOUNT_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (TOKEN.test(value)) return value;
  }
  return undefined;
}

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendPage(reply: FastifyReply, status: number, page: SafeHtml): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(page.value);
}

function signInPage(ctx: PageContext, error: string | undefined): SafeHtml {
  return layout({
    title: 'Sign in',
    cartCount: ctx.cartCount,
    body: html`<h1>Sign in</h1>
${error ? html`<div class="error-summary" role="alert"><p>${error}</p></div>` : ''}
<p class="hint">Demo account: ${DEMO_ACCOUNT.email}, password ${DEMO_ACCOUNT.password}.</p>
<form method="post" action="/account/sign-in">
<div class="field">
<label for="account-email">Email</label>
<input id="account-email" name="email" type="email" autocomplete="username" required>
</div>
<div class="field">
<label for="account-password">Password</label>
<input id="account-password" name="password" type="password" autocomplete="current-password" required>
</div>
<button type="submit">Sign in</button>
</form>`,
  });
}

function accountPage(ctx: PageContext, email: string): SafeHtml {
  return layout({
    title: 'Your account',
    cartCount: ctx.cartCount,
    body: html`<h1>Your account</h1>
<p>Signed in as <strong data-account-email>${email}</strong>.</p>
<h2>Your orders</h2>
<p>No orders yet. <a href="/">Browse the shop</a></p>
<form method="post" action="/account/sign-out"><button type="submit" class="secondary">Sign out</button></form>`,
  });
}
