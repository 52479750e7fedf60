export type Redactor = (text: string) => string;

export const REDACTED = '[redacted]';

/** Replaces every secret value (longest first, so overlapping secrets are fully covered) in text. */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const values = [...new Set(secrets)].filter((value) => value.length >= 3).sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  return (text) => values.reduce((out, value) => out.split(value).join(REDACTED), text);
}
