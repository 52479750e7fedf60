/**
 * One gzip stream (RFC 1952) made of a large part compressed once and a small part compressed at
 * each request: /metrics sends the pulse_* series, rebuilt at most once a second, followed by the
 * process metrics, fresh at every scrape. Two gzip members back to back would be simpler, but
 * curl and others read the first member only; so the large part is kept as raw deflate blocks
 * ended by a full flush (no final block, nothing after it refers back into it), and each request
 * appends the small part's blocks, the final one among them, and the trailer for the whole.
 */
import { constants, crc32, deflateRaw, deflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';

const deflateRawAsync = promisify(deflateRaw);

/** Magic, deflate, no flags, no modification time, no extra flags, operating system unknown. */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);

/** The large part: its deflate blocks (not final), its CRC-32 and its length in bytes. */
export interface DeflatedHead {
  readonly blocks: Buffer;
  readonly crc: number;
  readonly length: number;
}

/** Compresses the head on the thread pool (the event loop stays free); the level trades CPU for bytes. */
export async function deflateHead(head: Buffer, level: number): Promise<DeflatedHead> {
  const blocks = await deflateRawAsync(head, { level, finishFlush: constants.Z_FULL_FLUSH });
  return { blocks, crc: crc32(head), length: head.length };
}

/** The whole gzip stream: header, the head's blocks, the tail compressed now, and the trailer for both. */
export function gzipWith(head: DeflatedHead, tail: Buffer): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(tail, head.crc), 0);
  // ISIZE is the length modulo 2^32.
  trailer.writeUInt32LE((head.length + tail.length) % 2 ** 32, 4);
  return Buffer.concat([HEADER, head.blocks, deflateRawSync(tail), trailer]);
}
