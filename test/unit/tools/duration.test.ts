import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatMs, parseBytes, parseDuration } from '../../../src/duration.ts';

const data = <T>(name: string): T => JSON.parse(readFileSync(new URL(`data/${name}`, import.meta.url), 'utf8')) as T;

test('durations: every spelling in the good list is read, every bad one refused', () => {
  const { valid, invalid } = data<{ valid: [string | number, number][]; invalid: (string | number)[] }>('durations.json');
  assert.ok(valid.length > 0 && invalid.length > 0);
  for (const [given, ms] of valid) assert.equal(parseDuration(given), ms, JSON.stringify(given));
  for (const given of invalid) assert.equal(parseDuration(given), undefined, JSON.stringify(given));
});

test('sizes: decimal and binary units, any case; bad ones refused', () => {
  const { valid, invalid } = data<{ valid: [string, number][]; invalid: string[] }>('sizes.json');
  assert.ok(valid.length > 0 && invalid.length > 0);
  for (const [given, bytes] of valid) assert.equal(parseBytes(given), bytes, given);
  for (const given of invalid) assert.equal(parseBytes(given), undefined, given);
});

test('a duration is shown in ms under a second, seconds under a minute, then minutes', () => {
  assert.equal(formatMs(999.4), '999 ms');
  assert.equal(formatMs(1_000), '1.00 s');
  assert.equal(formatMs(59_990), '59.99 s');
  assert.equal(formatMs(90_000), '1.5 min');
});
