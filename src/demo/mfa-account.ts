// The demo shop's account behind a second factor: a sign-in with a password, then a one-time code
// from an authenticator app (TOTP). A demo's credentials, published on purpose: `pulse demo` hands
// them to the bundled mfa-sign-in journey as params, the secret one redacted like any other.
import { decodeBase32 } from '../base32.ts';
import { paramVariable } from '../settings/table.ts';
import { TOTP_DEFAULTS, hotp, timeStep } from '../totp.ts';
import { rememberSession, sameText } from './session.ts';

export interface MfaAccount {
  email: string;
  password: string;
  /** Base32, as an authenticator app is set up with it. */
  secret: string;
}

export const DEMO_MFA_ACCOUNT: MfaAccount = Object.freeze({
  email: 'mfa.prober@example.com',
  password: 'demo-shop-pass-2fa',
  secret: 'OAKH3BGW6LHFM3G63BSKMGDPTWHHAGF4',
});

/** The params the mfa-sign-in journey reads, by the names journeys see them. */
export const DEMO_MFA_PARAMS: Readonly<Record<string, string>> = Object.freeze({
  mfaEmail: DEMO_MFA_ACCOUNT.email,
  mfaPassword: DEMO_MFA_ACCOUNT.password,
  mfaSecret: DEMO_MFA_ACCOUNT.secret,
});

/** The same as PULSE_PARAM_* variables (PULSE_PARAM_MFA_SECRET...), for what runs the journeys in a process of its own. */
export function demoMfaEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(DEMO_MFA_PARAMS).map(([name, value]) => [paramVariable(name), value]));
}

/**
 * For what runs the bundled journeys against the bundled shop (`pulse demo`, a Playwright config):
 * the demo account as the params the mfa-sign-in journey reads, each variable unless set already.
 * Call it before the settings are read; a --param still wins, as over any PULSE_PARAM_ variable.
 */
export function useDemoShopAccount(env: NodeJS.ProcessEnv = process.env): void {
  for (const [variable, value] of Object.entries(demoMfaEnv())) env[variable] ??= value;
}

/**
 * The check of the codes of a base32 secret, decoded once. A code is taken when it is the code of
 * the current window or of one either side (the network delay RFC 6238 5.2 allows), compared in
 * constant time, and of a later window than the code that last signed in the same shop session:
 * a code replayed in that session is refused. A real verifier refuses a code used once already in
 * any session; the demo takes it in another one, since `pulse demo` signs in every 5 s, in a fresh
 * browser context each time. Sessions are remembered as sign-ins are (MAX_SESSIONS, the oldest go).
 */
export function codeVerifier(secret: string): (code: string, nowMs: number, session: string) => boolean {
  const key = decodeBase32(secret);
  if (!key.ok) throw new Error(`the demo account's secret ${key.message}`);
  const { digits, period } = TOTP_DEFAULTS;
  /** Per shop session, the time step of the code it last signed in with. */
  const lastUsed = new Map<string, number>();
  return (code, nowMs, session) => {
    if (code.length !== digits || !/^[0-9]+$/.test(code)) return false;
    const step = timeStep(nowMs, period);
    // Each window is compared, so the time taken does not tell which one matched, if any.
    const matching = [step - 1, step, step + 1].filter((counter) => counter >= 0 && sameText(code, hotp(key.bytes, counter, TOTP_DEFAULTS)));
    const used = lastUsed.get(session) ?? -1;
    const taken = matching.find((counter) => counter > used);
    if (taken === undefined) return false;
    rememberSession(lastUsed, session, taken);
    return true;
  };
}
