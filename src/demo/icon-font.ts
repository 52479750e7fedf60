/**
 * A small TrueType font made in code, so the catalog page loads a real web font without a binary
 * in the tree: one glyph, a five-pointed star at U+2605 (★), and the empty .notdef every font needs.
 * Just the tables Chromium's font sanitizer (OTS) wants: head, hhea, maxp, OS/2, hmtx, cmap, loca,
 * glyf, name, post.
 */

export const ICON_FONT_FAMILY = 'Pulse Icons';
export const STAR = '\u2605';

const UNITS_PER_EM = 1000;
const ASCENT = 800;
const DESCENT = 200;

class Bytes {
  readonly #parts: Buffer[] = [];
  u8(value: number): this {
    return this.#push(1, (b) => b.writeUInt8(value));
  }
  u16(value: number): this {
    return this.#push(2, (b) => b.writeUInt16BE(value & 0xffff));
  }
  i16(value: number): this {
    return this.#push(2, (b) => b.writeInt16BE(value));
  }
  u32(value: number): this {
    return this.#push(4, (b) => b.writeUInt32BE(value >>> 0));
  }
  raw(bytes: Buffer): this {
    this.#parts.push(bytes);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.#parts);
  }
  #push(size: number, write: (b: Buffer) => void): this {
    const b = Buffer.alloc(size);
    write(b);
    this.#parts.push(b);
    return this;
  }
}

/** The ten corners of a star, outer and inner by turns, clockwise from the top. */
function starPoints(): { x: number; y: number }[] {
  const [cx, cy, outer, inner] = [500, 330, 460, 190];
  return Array.from({ length: 10 }, (_, i) => {
    const radius = i % 2 === 0 ? outer : inner;
    const angle = Math.PI / 2 - (i * Math.PI) / 5;
    return { x: Math.round(cx + radius * Math.cos(angle)), y: Math.round(cy + radius * Math.sin(angle)) };
  });
}

function bounds(points: { x: number; y: number }[]) {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  return { xMin: Math.min(...xs), yMin: Math.min(...ys), xMax: Math.max(...xs), yMax: Math.max(...ys) };
}

/** A simple glyph of one closed contour, every point on the curve, coordinates as 16-bit deltas. */
function simpleGlyph(points: { x: number; y: number }[]): Buffer {
  const box = bounds(points);
  const glyph = new Bytes().i16(1).i16(box.xMin).i16(box.yMin).i16(box.xMax).i16(box.yMax);
  glyph.u16(points.length - 1).u16(0);
  for (let i = 0; i < points.length; i += 1) glyph.u8(0x01);
  points.forEach((p, i) => glyph.i16(p.x - (points[i - 1]?.x ?? 0)));
  points.forEach((p, i) => glyph.i16(p.y - (points[i - 1]?.y ?? 0)));
  return glyph.done();
}

function utf16be(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

function nameTable(names: Record<number, string>): Buffer {
  const ids = Object.keys(names)
    .map(Number)
    .sort((a, b) => a - b);
  const strings = ids.map((id) => utf16be(names[id]!));
  const table = new Bytes()
    .u16(0)
    .u16(ids.length)
    .u16(6 + 12 * ids.length);
  let offset = 0;
  ids.forEach((id, i) => {
    table.u16(3).u16(1).u16(0x0409).u16(id).u16(strings[i]!.length).u16(offset);
    offset += strings[i]!.length;
  });
  for (const s of strings) table.raw(s);
  return table.done();
}

function checksum(data: Buffer): number {
  const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
  let sum = 0;
  for (let i = 0; i < padded.length; i += 4) sum = (sum + padded.readUInt32BE(i)) >>> 0;
  return sum;
}

/** The font file, as served at the catalog page's `icons.ttf`. */
export function iconFont(): Buffer {
  const star = starPoints();
  const box = bounds(star);
  const glyf = simpleGlyph(star); // .notdef has no outline: zero bytes of its own
  const advance = UNITS_PER_EM;
  const codepoint = STAR.codePointAt(0)!;

  const head = new Bytes()
    .u32(0x00010000)
    .u32(0x00010000)
    .u32(0)
    .u32(0x5f0f3cf5)
    .u16(0x0003)
    .u16(UNITS_PER_EM)
    .u32(0)
    .u32(0)
    .u32(0)
    .u32(0) // created, modified
    .i16(box.xMin)
    .i16(box.yMin)
    .i16(box.xMax)
    .i16(box.yMax)
    .u16(0)
    .u16(8)
    .i16(2)
    .i16(0)
    .i16(0) // macStyle, lowestRecPPEM, direction hint, short loca, glyph format
    .done();
  const hhea = new Bytes()
    .u32(0x00010000)
    .i16(ASCENT)
    .i16(-DESCENT)
    .i16(0)
    .u16(advance)
    .i16(box.xMin)
    .i16(advance - box.xMax)
    .i16(box.xMax) // least left and right side bearing, extent
    .i16(1)
    .i16(0)
    .i16(0)
    .i16(0)
    .i16(0)
    .i16(0)
    .i16(0)
    .i16(0)
    .u16(2)
    .done();
  const maxp = new Bytes().u32(0x00010000).u16(2).u16(star.length).u16(1).u16(0).u16(0).u16(2);
  for (let i = 0; i < 8; i += 1) maxp.u16(0);
  const os2 = new Bytes()
    .u16(4)
    .i16(advance)
    .u16(400)
    .u16(5)
    .u16(0)
    .i16(650)
    .i16(600)
    .i16(0)
    .i16(75)
    .i16(650)
    .i16(600)
    .i16(0)
    .i16(350)
    .i16(50)
    .i16(300)
    .i16(0)
    .raw(Buffer.alloc(10)) // family class, PANOSE
    .u32(0)
    .u32(0)
    .u32(0)
    .u32(0)
    .raw(Buffer.from('PLSE'))
    .u16(0x0040)
    .u16(codepoint)
    .u16(codepoint)
    .i16(ASCENT)
    .i16(-DESCENT)
    .i16(0)
    .u16(ASCENT)
    .u16(DESCENT)
    .u32(1)
    .u32(0)
    .i16(500)
    .i16(700)
    .u16(0)
    .u16(32)
    .u16(1)
    .done();
  const hmtx = new Bytes()
    .u16(advance / 2)
    .i16(0)
    .u16(advance)
    .i16(box.xMin)
    .done();
  // Format 4: one segment for the star (glyph 1) and the closing 0xFFFF segment.
  const cmap = new Bytes()
    .u16(0)
    .u16(1)
    .u16(3)
    .u16(1)
    .u32(12)
    .u16(4)
    .u16(32)
    .u16(0)
    .u16(4)
    .u16(4)
    .u16(1)
    .u16(0)
    .u16(codepoint)
    .u16(0xffff)
    .u16(0)
    .u16(codepoint)
    .u16(0xffff)
    .u16(1 - codepoint)
    .u16(1)
    .u16(0)
    .u16(0)
    .done();
  const loca = new Bytes()
    .u16(0)
    .u16(0)
    .u16(glyf.length / 2)
    .done();
  const name = nameTable({
    1: ICON_FONT_FAMILY,
    2: 'Regular',
    3: 'Pulse Icons Regular 1.0',
    4: 'Pulse Icons Regular',
    5: 'Version 1.0',
    6: 'PulseIcons-Regular',
  });
  const post = new Bytes().u32(0x00030000).u32(0).i16(-100).i16(50).u32(0).u32(0).u32(0).u32(0).u32(0).done();

  const tables = Object.entries({ 'OS/2': os2, cmap, glyf, head, hhea, hmtx, loca, maxp: maxp.done(), name, post }).sort(([a], [b]) => (a < b ? -1 : 1));
  const count = tables.length;
  const power = 2 ** Math.floor(Math.log2(count));
  const directory = new Bytes()
    .u32(0x00010000)
    .u16(count)
    .u16(power * 16)
    .u16(Math.log2(power))
    .u16(count * 16 - power * 16);
  const bodies: Buffer[] = [];
  let offset = 12 + 16 * count;
  let headOffset = 0;
  for (const [tag, data] of tables) {
    if (tag === 'head') headOffset = offset;
    directory.raw(Buffer.from(tag, 'latin1')).u32(checksum(data)).u32(offset).u32(data.length);
    const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
    bodies.push(padded);
    offset += padded.length;
  }
  const font = Buffer.concat([directory.done(), ...bodies]);
  // head.checkSumAdjustment makes the whole file sum to 0xB1B0AFBA.
  font.writeUInt32BE((0xb1b0afba - checksum(font)) >>> 0, headOffset + 8);
  return font;
}
