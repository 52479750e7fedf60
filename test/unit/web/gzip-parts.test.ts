import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { deflateHead, gzipWith } from '../../../src/web/gzip-parts.ts';

/** The series lines a /metrics body is made of, many of them. */
function seriesText(lines: number): string {
  return Array.from({ length: lines }, (_, i) => `pulse_step_duration_seconds_bucket{journey="j${i % 200}",step="s${i % 10}",le="${i % 9}"} ${i}\n`).join('');
}

const cases: { name: string; head: string; tail: string }[] = [
  { name: 'a large head and a small tail', head: seriesText(20_000), tail: 'process_cpu_seconds_total 1.5\n' },
  { name: 'an empty tail', head: seriesText(10), tail: '' },
  { name: 'an empty head', head: '', tail: 'process_resident_memory_bytes 1e8\n' },
  { name: 'both empty', head: '', tail: '' },
  { name: 'text beyond ASCII', head: 'pulse_journey_info{title="Café ☕ 注文"} 1\n', tail: '# HELP x ünïcode\n' },
];

for (const { name, head, tail } of cases) {
  test(`${name}: one gzip stream that reads back as head then tail`, async () => {
    const whole = Buffer.from(head + tail);
    const gzip = gzipWith(await deflateHead(Buffer.from(head), 1), Buffer.from(tail));
    assert.equal(gunzipSync(gzip).toString(), head + tail);
    // One member, not two glued together (curl reads only the first): a 10-byte header, one
    // deflate stream ending in its final block, and the trailer of the whole body.
    assert.deepEqual([...gzip.subarray(0, 4)], [0x1f, 0x8b, 0x08, 0x00]);
    assert.equal(inflateRawSync(gzip.subarray(10, -8)).toString(), head + tail);
    assert.equal(gzip.readUInt32LE(gzip.length - 8), crc32(whole));
    assert.equal(gzip.readUInt32LE(gzip.length - 4), whole.length);
  });
}

test('the head is compressed once and reused: two tails after the same head each read back whole', async () => {
  const head = await deflateHead(Buffer.from(seriesText(1_000)), 6);
  assert.equal(gunzipSync(gzipWith(head, Buffer.from('a 1\n'))).toString(), `${seriesText(1_000)}a 1\n`);
  assert.equal(gunzipSync(gzipWith(head, Buffer.from('a 2\n'))).toString(), `${seriesText(1_000)}a 2\n`);
  assert.ok(head.blocks.length < seriesText(1_000).length / 10, `metrics text compresses well: ${head.blocks.length} bytes`);
});
