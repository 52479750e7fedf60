import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jitterMs } from '../../../src/scheduler/jitter.ts';
import { intervalSeconds, nextRuns } from '../../../src/scheduler/schedule.ts';
import { ownedBy, ownerOf } from '../../../src/scheduler/shard.ts';

const names = Array.from({ length: 400 }, (_, i) => `journey-${i}`);

test('jitter: the same for a journey every time, within a tenth of the interval and at most 30 s', () => {
  assert.equal(jitterMs('checkout', 60), jitterMs('checkout', 60));
  for (const name of names) {
    const ms = jitterMs(name, 60);
    assert.ok(ms >= 0 && ms < 6_000, `${name}: ${ms}`);
    assert.ok(jitterMs(name, 3_600) < 30_000);
  }
  assert.equal(jitterMs('checkout', 0), 0);
  assert.ok(new Set(names.map((name) => jitterMs(name, 60))).size > 300, 'spread, not bunched');
});

test('the interval of a schedule is its shortest gap; the next runs follow the timezone', () => {
  assert.equal(intervalSeconds('*/5 * * * *', 'UTC'), 300);
  assert.equal(intervalSeconds('*/10 * * * * *', 'UTC'), 10);
  assert.equal(intervalSeconds('0 9,17 * * *', 'UTC'), 8 * 3_600);
  const [first] = nextRuns('0 9 * * *', 'Europe/Berlin', 1);
  assert.ok(first && [7, 8].includes(first.getUTCHours()), `09:00 in Berlin is 07:00 or 08:00 UTC, got ${first?.toISOString()}`);
});

test('shards: every journey has exactly one owner; a fourth shard takes about a quarter and moves nothing else', () => {
  const shards = (total: number) =>
    Array.from({ length: total }, (_, i) =>
      ownedBy(
        names.map((name) => ({ name })),
        { index: i + 1, total },
      ),
    );
  const three = shards(3);
  assert.equal(three.flat().length, names.length);
  assert.equal(new Set(three.flat().map((j) => j.name)).size, names.length);
  for (const owned of three) assert.ok(owned.length > 100 && owned.length < 170, `balanced: ${owned.length}`);
  const moved = names.filter((name) => ownerOf(name, 3) !== ownerOf(name, 4));
  assert.ok(
    moved.every((name) => ownerOf(name, 4) === 4),
    'only the new shard takes journeys',
  );
  assert.ok(moved.length > 60 && moved.length < 140, `about a quarter moved: ${moved.length}`);
  assert.deepEqual(ownedBy([{ name: 'a' }], undefined), [{ name: 'a' }]);
});
