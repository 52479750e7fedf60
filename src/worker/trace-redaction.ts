import AdmZip from 'adm-zip';
import { REDACTED, type Redactor } from '../redact.ts';

const SNIFF_BYTES = 4096;
/** Headers that carry credentials: their values never stay in kept evidence, secret params or not. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/**
 * A Playwright trace records fill() arguments, DOM snapshots, request and response headers and
 * bodies as they were. This rewrites the zip: the values of credential headers go whatever they
 * hold, and every text entry is passed through the redactor (every encoding of every secret).
 */
export function redactTrace(file: string, redact: Redactor): void {
  const zip = new AdmZip(file);
  let changed = false;
  for (const entry of zip.getEntries()) {
    if (entry.isDirectory) continue;
    const data = entry.getData();
    if (data.subarray(0, SNIFF_BYTES).includes(0)) continue; // images and other binary data
    const text = data.toString('utf8');
    const clean = redact(stripCredentialHeaders(text));
    if (clean !== text) {
      zip.updateFile(entry, Buffer.from(clean, 'utf8'));
      changed = true;
    }
  }
  if (changed) zip.writeZip(file);
}

/** Trace entries are JSON lines (trace.trace, trace.network): credential header values are replaced in each. */
function stripCredentialHeaders(text: string): string {
  if (!/authorization|cookie/i.test(text)) return text;
  return text
    .split('\n')
    .map((line) => {
      if (!/authorization|cookie/i.test(line) || !line.startsWith('{')) return line;
      try {
        const parsed: unknown = JSON.parse(line);
        return scrub(parsed) ? JSON.stringify(parsed) : line;
      } catch {
        return line;
      }
    })
    .join('\n');
}

/** Replaces credential header values in place, in `[{ name, value }]` lists and in `{ name: value }` maps; true when any was found. */
function scrub(value: unknown): boolean {
  if (Array.isArray(value)) return value.map(scrub).some(Boolean);
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  let found = false;
  if (typeof record.name === 'string' && CREDENTIAL_HEADERS.has(record.name.toLowerCase()) && typeof record.value === 'string') {
    record.value = REDACTED;
    found = true;
  }
  for (const [key, inner] of Object.entries(record)) {
    if (/^headers$|Headers$/.test(key) && typeof inner === 'object' && inner !== null && !Array.isArray(inner)) {
      for (const name of Object.keys(inner)) {
        if (CREDENTIAL_HEADERS.has(name.toLowerCase())) {
          (inner as Record<string, unknown>)[name] = REDACTED;
          found = true;
        }
      }
    }
    if (scrub(inner)) found = true;
  }
  return found;
}
