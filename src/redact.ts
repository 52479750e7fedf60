import escapeHtml from 'escape-html';

export interface Redactor {
  (text: string): string;
  /** False when there is nothing to hide, so that costly rewrites can be skipped. */
  readonly active?: boolean;
}

export const REDACTED = '[redacted]';

/**
 * Replaces every secret value in text, also in the forms it takes once written into JSON, HTML,
 * a URL, a form body or base64, and as the password half of `user:password` in base64 (the
 * basic-auth header) for each of `partners` (the other param values, such as the test user);
 * longest first, so that overlapping secrets are fully covered.
 */
export function createRedactor(secrets: Iterable<string>, partners: Iterable<string> = []): Redactor {
  const others = [...new Set(partners)];
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 3) continue;
    for (const form of encodingsOf(secret)) forms.add(form);
    for (const partner of others) {
      const pair = Buffer.from(`${partner}:${secret}`, 'utf8');
      forms.add(pair.toString('base64'));
      forms.add(pair.toString('base64url'));
    }
  }
  const values = [...forms].filter((form) => form.length >= 3).sort((a, b) => b.length - a.length);
  if (values.length === 0) return Object.assign((text: string) => text, { active: false });
  return Object.assign((text: string) => values.reduce((out, value) => (out.includes(value) ? out.split(value).join(REDACTED) : out), text), { active: true });
}

/** The ways a value is written where evidence keeps it. */
export function encodingsOf(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  // application/x-www-form-urlencoded: what a browser POSTs for a form; `+` for space, %21 for `!`, %27 for `'`, ...
  const form = new URLSearchParams({ v: secret }).toString().slice(2);
  const bytes = Buffer.from(secret, 'utf8');
  const base64 = bytes.toString('base64');
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    escapeHtml(secret),
    // Numeric character references other serialisers use for quotes.
    escapeHtml(secret).replaceAll('&#39;', '&#x27;').replaceAll('&quot;', '&#34;'),
    // How a browser serialises the DOM (page.content()): attribute values escape & and ", text escapes &, < and >.
    secret.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('\u00a0', '&nbsp;'),
    secret.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('\u00a0', '&nbsp;'),
    uri,
    lowerHex(uri),
    encodeURI(secret),
    form,
    lowerHex(form),
    // Form bodies written by hand, or by older encoders, leave !'()~* as they are.
    uri.replaceAll('%20', '+'),
    base64,
    base64.replace(/=+$/, ''),
    bytes.toString('base64url'),
  ];
}

function lowerHex(encoded: string): string {
  return encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
}

/** A redactor that takes more values as a run learns them, such as the cookies a sign-in sets. */
export interface GrowingRedactor extends Redactor {
  add(values: Iterable<string>): void;
}

/**
 * `base` first, then the values added so far, in every form `createRedactor` knows: the last
 * `keep` of them, so that one living as long as the daemon (a new session cookie every TTL) stays small.
 */
export function growingRedactor(base: Redactor, partners: Iterable<string> = [], keep = Number.POSITIVE_INFINITY): GrowingRedactor {
  const others = [...partners];
  const added = new Set<string>();
  let more: Redactor = createRedactor([]);
  const redact = (text: string) => more(base(text));
  return Object.defineProperties(redact, {
    active: { get: () => base.active !== false || more.active === true },
    add: {
      value: (values: Iterable<string>) => {
        let changed = false;
        for (const value of values) {
          // Seen again: it moves to the newest end.
          added.delete(value);
          added.add(value);
          changed = true;
        }
        for (const oldest of added) {
          if (added.size <= keep) break;
          added.delete(oldest);
        }
        if (changed) more = createRedactor(added, others);
      },
    },
  }) as GrowingRedactor;
}

/**
 * The values of a signed-in state worth hiding: every cookie value and local-storage value of
 * 8 characters or more. Shorter ones (`1`, `dark`, `true`) are flags, not credentials, and hiding
 * them would blank the same word all over the evidence.
 */
export function sessionSecrets(state: { cookies: readonly { value: string }[]; origins: readonly { localStorage: readonly { value: string }[] }[] }): string[] {
  const values = [...state.cookies.map((cookie) => cookie.value), ...state.origins.flatMap((origin) => origin.localStorage.map((item) => item.value))];
  return [...new Set(values.filter((value) => value.length >= SESSION_SECRET_MIN_LENGTH))];
}

const SESSION_SECRET_MIN_LENGTH = 8;
