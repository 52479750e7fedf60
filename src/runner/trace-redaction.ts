import AdmZip from 'adm-zip';
import type { Redactor } from '../redact.ts';

const SNIFF_BYTES = 4096;

/**
 * A Playwright trace records fill() arguments, DOM snapshots and network bodies as they were,
 * secrets included; this rewrites every text entry of the zip through the redactor.
 */
export function redactTrace(file: string, redact: Redactor): void {
  if (redact.active === false) return;
  const zip = new AdmZip(file);
  let changed = false;
  for (const entry of zip.getEntries()) {
    if (entry.isDirectory) continue;
    const data = entry.getData();
    if (data.subarray(0, SNIFF_BYTES).includes(0)) continue; // images and other binary data
    const text = data.toString('utf8');
    const clean = redact(text);
    if (clean !== text) {
      zip.updateFile(entry, Buffer.from(clean, 'utf8'));
      changed = true;
    }
  }
  if (changed) zip.writeZip(file);
}
