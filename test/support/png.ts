import { readFileSync } from 'node:fs';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Reads a PNG's header: throws unless the signature and IHDR chunk are right. */
export function pngSize(file: string): { width: number; height: number; bytes: number } {
  const data = readFileSync(file);
  if (data.length < 33 || !data.subarray(0, 8).equals(SIGNATURE)) throw new Error(`${file} is not a PNG`);
  if (data.subarray(12, 16).toString('ascii') !== 'IHDR') throw new Error(`${file} has no IHDR chunk`);
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), bytes: data.length };
}
