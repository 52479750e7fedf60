// The demo shop's sign-in with a second factor, under /mfa/: email and password, then the code
// of an authenticator app, then the account page. Kept apart from the shop's other pages.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEMO_MFA_ACCOUNT, codeVerifier } from './mfa-account.ts';
import { accountPage, codePage, sendPage, signInPage, type PageContext } from './pages.ts';
import { rememberSession, sameCredentials } from './session.ts';

export interface MfaSignInOptions {
  /** The visitor's shop session (its cookie). */
  sessionOf(request: FastifyRequest): string;
  ctx(request: FastifyRequest): PageContext;
}

/** Refused codes before the password is asked for again, so that six digits cannot be guessed. */
const MAX_REFUSED = 5;

const SIGN_IN = { action: '/mfa/sign-in', submit: 'Continue' };

type Stage = { kind: 'password-ok'; refused: number } | { kind: 'signed-in' };

const CODE_REFUSED = 'That code was refused. Enter the current code from your authenticator app; check that its clock is right.';

export function registerMfaSignIn(app: FastifyInstance, options: MfaSignInOptions): void {
  const verifyCode = codeVerifier(DEMO_MFA_ACCOUNT.secret);
  const stages = new Map<string, Stage>();
  const field = (request: FastifyRequest, name: string) => {
    const value = (request.body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value : '';
  };

  app.get('/mfa/sign-in', (request, reply) => sendPage(reply, 200, signInPage(options.ctx(request), SIGN_IN)));

  app.post('/mfa/sign-in', (request, reply) => {
    const email = field(request, 'email').trim();
    if (!sameCredentials({ email, password: field(request, 'password') }, DEMO_MFA_ACCOUNT)) {
      return sendPage(reply, 401, signInPage(options.ctx(request), { ...SIGN_IN, email, error: 'Wrong email or password.' }));
    }
    rememberSession(stages, options.sessionOf(request), { kind: 'password-ok', refused: 0 });
    return reply.redirect('/mfa/code', 303);
  });

  app.get('/mfa/code', (request, reply) => {
    if (stages.get(options.sessionOf(request))?.kind !== 'password-ok') return reply.redirect('/mfa/sign-in', 303);
    return sendPage(reply, 200, codePage(options.ctx(request), {}));
  });

  app.post('/mfa/code', (request, reply) => {
    const session = options.sessionOf(request);
    const stage = stages.get(session);
    if (stage?.kind !== 'password-ok') return reply.redirect('/mfa/sign-in', 303);
    if (verifyCode(field(request, 'code').replace(/\s+/g, ''), Date.now(), session)) {
      stages.set(session, { kind: 'signed-in' });
      return reply.redirect('/mfa/account', 303);
    }
    const refused = stage.refused + 1;
    if (refused >= MAX_REFUSED) {
      stages.delete(session);
      return sendPage(reply, 401, signInPage(options.ctx(request), { ...SIGN_IN, error: `${CODE_REFUSED} Too many tries: sign in again.` }));
    }
    stages.set(session, { kind: 'password-ok', refused });
    return sendPage(reply, 401, codePage(options.ctx(request), { error: CODE_REFUSED }));
  });

  app.get('/mfa/account', (request, reply) => {
    if (stages.get(options.sessionOf(request))?.kind !== 'signed-in') return reply.redirect('/mfa/sign-in', 303);
    return sendPage(
      reply,
      200,
      accountPage(options.ctx(request), {
        email: DEMO_MFA_ACCOUNT.email,
        note: 'with a password and a one-time code',
        signOutAction: '/mfa/sign-out',
      }),
    );
  });

  app.post('/mfa/sign-out', (request, reply) => {
    stages.delete(options.sessionOf(request));
    return reply.redirect('/mfa/sign-in', 303);
  });
}
