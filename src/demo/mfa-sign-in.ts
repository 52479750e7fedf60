// The demo shop's sign-in with a second factor, under /mfa/: email and password, then the code
// of an authenticator app, then the account page. Kept apart from the shop's other pages.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.ts';
import { layout } from './layout.ts';
import { DEMO_MFA_ACCOUNT, verifyCode, type MfaAccount } from './mfa-account.ts';
import type { PageContext } from './pages.ts';

export interface MfaSignInOptions {
  /** The visitor's shop session (its cookie). */
  sessionOf(request: FastifyRequest): string;
  ctx(request: FastifyRequest): PageContext;
  account?: MfaAccount;
  /** ms since the epoch; Date.now by default. */
  now?: () => number;
}

/** Refused codes before the password is asked for again, so that six digits cannot be guessed. */
const MAX_REFUSED = 5;

type Stage = { kind: 'password-ok'; refused: number } | { kind: 'signed-in' };

export const CODE_REFUSED = 'That code was refused. Enter the current code from your authenticator app; check that its clock is right.';

export function registerMfaSignIn(app: FastifyInstance, options: MfaSignInOptions): void {
  const account = options.account ?? DEMO_MFA_ACCOUNT;
  const now = options.now ?? Date.now;
  const stages = new Map<string, Stage>();
  const send = (reply: FastifyReply, status: number, page: SafeHtml) => reply.code(status).type('text/html; charset=utf-8').send(page.value);
  const field = (request: FastifyRequest, name: string) => {
    const value = (request.body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value : '';
  };

  app.get('/mfa/sign-in', (request, reply) => send(reply, 200, signInPage(options.ctx(request), { email: '' })));

  app.post('/mfa/sign-in', (request, reply) => {
    const email = field(request, 'email').trim();
    if (email.toLowerCase() !== account.email || field(request, 'password') !== account.password) {
      return send(reply, 401, signInPage(options.ctx(request), { email, error: 'Wrong email or password.' }));
    }
    stages.set(options.sessionOf(request), { kind: 'password-ok', refused: 0 });
    return reply.redirect('/mfa/code', 303);
  });

  app.get('/mfa/code', (request, reply) => {
    if (stages.get(options.sessionOf(request))?.kind !== 'password-ok') return reply.redirect('/mfa/sign-in', 303);
    return send(reply, 200, codePage(options.ctx(request), {}));
  });

  app.post('/mfa/code', (request, reply) => {
    const session = options.sessionOf(request);
    const stage = stages.get(session);
    if (stage?.kind !== 'password-ok') return reply.redirect('/mfa/sign-in', 303);
    if (verifyCode(account, field(request, 'code').replace(/\s+/g, ''), now())) {
      stages.set(session, { kind: 'signed-in' });
      return reply.redirect('/mfa/account', 303);
    }
    const refused = stage.refused + 1;
    if (refused >= MAX_REFUSED) {
      stages.delete(session);
      return send(reply, 401, signInPage(options.ctx(request), { email: '', error: `${CODE_REFUSED} Too many tries: sign in again.` }));
    }
    stages.set(session, { kind: 'password-ok', refused });
    return send(reply, 401, codePage(options.ctx(request), { error: CODE_REFUSED }));
  });

  app.get('/mfa/account', (request, reply) => {
    if (stages.get(options.sessionOf(request))?.kind !== 'signed-in') return reply.redirect('/mfa/sign-in', 303);
    return send(reply, 200, accountPage(options.ctx(request), account.email));
  });

  app.post('/mfa/sign-out', (request, reply) => {
    stages.delete(options.sessionOf(request));
    return reply.redirect('/mfa/sign-in', 303);
  });
}

function errorBox(error: string | undefined): SafeHtml | '' {
  return error ? html`<p class="error-summary" role="alert">${error}</p>` : '';
}

function signInPage(ctx: PageContext, values: { email: string; error?: string }): SafeHtml {
  return layout({
    title: 'Sign in',
    cartCount: ctx.cartCount,
    body: html`<h1>Sign in</h1>
${errorBox(values.error)}
<form method="post" action="/mfa/sign-in">
<div class="field"><label for="mfa-email">Email</label><input id="mfa-email" name="email" type="email" autocomplete="username" value="${values.email}"></div>
<div class="field"><label for="mfa-password">Password</label><input id="mfa-password" name="password" type="password" autocomplete="current-password"></div>
<button type="submit">Continue</button>
</form>`,
  });
}

function codePage(ctx: PageContext, values: { error?: string }): SafeHtml {
  return layout({
    title: 'Enter your code',
    cartCount: ctx.cartCount,
    body: html`<h1>Enter your code</h1>
${errorBox(values.error)}
<p class="hint" id="mfa-code-hint">The 6-digit code your authenticator app shows for Pulse Demo Shop.</p>
<form method="post" action="/mfa/code">
<div class="field"><label for="mfa-code">One-time code</label><input id="mfa-code" name="code" inputmode="numeric" autocomplete="one-time-code" aria-describedby="mfa-code-hint" maxlength="8"></div>
<button type="submit">Verify</button>
</form>`,
  });
}

function accountPage(ctx: PageContext, email: string): SafeHtml {
  return layout({
    title: 'Your account',
    cartCount: ctx.cartCount,
    body: html`<h1>Your account</h1>
<p>Signed in as <strong>${email}</strong> with a password and a one-time code.</p>
<form method="post" action="/mfa/sign-out"><button type="submit" class="secondary">Sign out</button></form>`,
  });
}
