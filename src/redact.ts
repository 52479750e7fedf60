import escapeHtml from 'escape-html';

export interface Redactor {
  (text: string): string;
  /** False when there is nothing to hide, so that costly rewrites can be skipped. */
  readonly active?: boolean;
}

export const REDACTED = '[redacted]';

/**
 * Replaces every secret value in text, also in the forms it takes once written into JSON, HTML
 * or a URL; longest first, so that overlapping secrets are fully covered.
 */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 3) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(escapeHtml(secret));
    forms.add(encodeURIComponent(secret));
  }
  const values = [...forms].sort((a, b) => b.length - a.length);
  if (values.length === 0) return Object.assign((text: string) => text, { active: false });
  return Object.assign((text: string) => values.reduce((out, value) => out.split(value).join(REDACTED), text), { active: true });
}
