// RFC 4648 base32, as authenticator apps show secrets: read tolerantly (spaces, lower case, with or
// without `=` padding), since people copy them from a page that groups them in fours.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The bytes of a base32 text, or why it is not one (never quoting the text: it is a secret). */
export type Base32Reading = { ok: true; bytes: Buffer } | { ok: false; message: string };

/** The text as RFC 4648 writes it: upper case, no spaces, no padding. */
export function normalBase32(text: string): string {
  return text.replace(/\s+/g, '').replace(/=+$/, '').toUpperCase();
}

export function decodeBase32(text: string): Base32Reading {
  const clean = normalBase32(text);
  if (clean === '') return { ok: false, message: 'is empty' };
  const bad = [...clean].findIndex((char) => !ALPHABET.includes(char));
  if (bad >= 0) {
    const shown = clean[bad] === '=' ? '`=` inside it (padding only goes at the end)' : 'a character outside A-Z and 2-7';
    return { ok: false, message: `is not base32: ${shown} at position ${bad + 1}` };
  }
  // 8 characters carry 5 bytes; a last group of 1, 3 or 6 characters cannot end on a whole byte.
  if ([1, 3, 6].includes(clean.length % 8)) return { ok: false, message: `is not base32: ${clean.length} characters cannot hold whole bytes` };
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    buffer = ((buffer << 5) | ALPHABET.indexOf(char)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return { ok: true, bytes: Buffer.from(bytes) };
}
