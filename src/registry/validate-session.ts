import path from 'node:path';
import { parseDuration } from '../duration.ts';
import { isSession, type SessionDefinition } from '../session.ts';
import { NAME_PATTERN } from './name-pattern.ts';

/** A sign-in kept longer than a month is a credential left lying around, not a cache. */
const MAX_TTL_MS = 30 * 86_400_000;

type Report = (field: string, message: string, fix: string) => void;

/** Checks a journey's `session` option; its plain data, or undefined (with a problem reported) when it is wrong or absent. */
export function validateSession(value: unknown, problem: Report): SessionDefinition | undefined {
  if (value === undefined) return undefined;
  if (!isSession(value)) {
    problem(
      'session',
      'is not a session()',
      "declare it with session({ name: 'shop-user', ttl: '30m', signIn: async ({ page, params }) => { ... } }) from 'pulse' and pass that object",
    );
    return undefined;
  }
  const { options } = value;
  let wrong = false;
  const report: Report = (field, message, fix) => {
    wrong = true;
    problem(`session.${field}`, message, fix);
  };
  if (typeof options.name !== 'string' || !NAME_PATTERN.test(options.name)) {
    report('name', `${JSON.stringify(options.name)} is not a valid session name`, "use lower-case letters, digits and single dashes, e.g. 'shop-user'");
  }
  const parsed = typeof options.ttl === 'string' || typeof options.ttl === 'number' ? parseDuration(options.ttl) : undefined;
  if (parsed === undefined) {
    report('ttl', `${JSON.stringify(options.ttl)} is not a duration`, "write how long a sign-in is reused, like '30m' or '8h'");
  } else if (parsed > MAX_TTL_MS) {
    report('ttl', `${JSON.stringify(options.ttl)} is longer than 30 days`, "keep a session for at most '30d'; the target's own expiry is usually much shorter");
  }
  if (typeof options.signIn !== 'function') {
    report('signIn', 'is not a function', 'give an async function ({ page, params }) => { ... } that signs in on page');
  }
  if (options.isSignedIn !== undefined && typeof options.isSignedIn !== 'function') {
    report('isSignedIn', 'is not a function', 'give an async function ({ page }) => boolean, or leave it out');
  }
  if (wrong || parsed === undefined) return undefined;
  return {
    name: options.name,
    ttlMs: parsed,
    checked: options.isSignedIn !== undefined,
    declaredAt: shownLocation(value.declaredAt) ?? `session ${options.name}`,
  };
}

/** The session() call's file:line relative to the working folder, as problems show places. */
function shownLocation(declaredAt: string | undefined): string | undefined {
  if (!declaredAt) return undefined;
  const match = /^(.*):(\d+)$/.exec(declaredAt);
  return match ? `${path.relative(process.cwd(), match[1]!)}:${match[2]}` : declaredAt;
}
