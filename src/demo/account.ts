// The shop's customer accounts: a sign-in that issues a session cookie, a page behind it, and the
// switches a test needs: how many sign-ins there were, and revoking every session at once (a
// password reset or a security incident on the shop's side).
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { accountPage, sendPage, signInPage, type PageContext } from './pages.ts';
import { readCookie, rememberSession, sameCredentials } from './session.ts';

/** The shop's one customer account, published on its sign-in page as the checkout's test card is. */
export const DEMO_ACCOUNT = Object.freeze({ email: 'shopper@demo.test', password: 'demo-shopper-password' });

const ACCOUNT_COOKIE = 'shop_account';
const TOKEN = /^[A-Za-z0-9_-]{32}$/;
const SIGN_IN = { action: '/account/sign-in', hint: `Demo account: ${DEMO_ACCOUNT.email}, password ${DEMO_ACCOUNT.password}.` };

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
  const tokenOf = (request: FastifyRequest) => readCookie(request.headers.cookie, ACCOUNT_COOKIE, TOKEN);
  const signedIn = (request: FastifyRequest): string | undefined => {
    const token = tokenOf(request);
    return token === undefined ? undefined : sessions.get(token);
  };

  app.get('/account/sign-in', (request, reply) => sendPage(reply, 200, signInPage(pageContext(request), SIGN_IN)));

  app.post('/account/sign-in', (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    if (!sameCredentials({ email, password }, DEMO_ACCOUNT)) {
      stats.failedSignIns += 1;
      return sendPage(reply, 401, signInPage(pageContext(request), { ...SIGN_IN, error: 'The email or the password is wrong.' }));
    }
    stats.signIns += 1;
    const token = randomBytes(24).toString('base64url');
    rememberSession(sessions, token, DEMO_ACCOUNT.email);
    return reply.header('set-cookie', `${ACCOUNT_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax`).redirect('/account', 303);
  });

  app.get('/account', (request, reply) => {
    const email = signedIn(request);
    if (email === undefined) return reply.redirect('/account/sign-in', 303);
    return sendPage(reply, 200, accountPage(pageContext(request), { email, signOutAction: '/account/sign-out' }));
  });

  app.post('/account/sign-out', (request, reply) => {
    const token = tokenOf(request);
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
