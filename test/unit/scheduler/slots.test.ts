import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Slots } from '../../../src/scheduler/slots.ts';

/** Lets every promise that is ready settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Asks for a slot and notes the key in `granted` when it comes. */
function ask(slots: Slots, key: string, granted: string[], options: { deadlineMs?: number; asked?: boolean } = {}): Promise<boolean> {
  return slots.acquire(key, options).then((held) => {
    if (held) granted.push(key);
    return held;
  });
}

describe('slots', () => {
  test('free slots are taken at once; a freed slot goes to a key never served before one served, then in arrival order', async () => {
    const slots = new Slots(2);
    const granted: string[] = [];
    void ask(slots, 'a', granted);
    void ask(slots, 'b', granted);
    void ask(slots, 'c', granted);
    void ask(slots, 'd', granted);
    await settle();
    assert.deepEqual(granted, ['a', 'b']);
    slots.release();
    await settle();
    assert.deepEqual(granted, ['a', 'b', 'c']);
    // a asks again before e: e was never served, so it goes first; d was waiting before both.
    void ask(slots, 'a', granted);
    void ask(slots, 'e', granted);
    slots.release();
    slots.release();
    slots.release();
    await settle();
    assert.deepEqual(granted, ['a', 'b', 'c', 'd', 'e', 'a']);
  });

  test('a key served long ago goes before one served lately, although it asked later', async () => {
    const slots = new Slots(1);
    const granted: string[] = [];
    void ask(slots, 'old', granted);
    await settle();
    slots.release();
    void ask(slots, 'recent', granted);
    await settle();
    void ask(slots, 'recent', granted);
    void ask(slots, 'old', granted);
    slots.release();
    await settle();
    assert.deepEqual(granted, ['old', 'recent', 'old']);
  });

  test('a run a person asked for goes before every waiting journey, however long they waited', async () => {
    const slots = new Slots(1);
    const granted: string[] = [];
    void ask(slots, 'held', granted);
    void ask(slots, 'never-served', granted);
    void ask(slots, 'held', granted, { asked: true });
    void ask(slots, 'another', granted, { asked: true });
    for (let i = 0; i < 3; i += 1) slots.release();
    await settle();
    assert.deepEqual(granted, ['held', 'held', 'another', 'never-served']);
  });

  test('saturated: five keys asking on every round for two slots each get their share, none starved', async () => {
    const slots = new Slots(2);
    const granted: string[] = [];
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5'];
    const waiting = new Set<string>();
    const holding: string[] = [];
    for (let round = 0; round < 25; round += 1) {
      // Every key not already waiting or holding asks, always in the same order, as ticks with a fixed jitter do.
      for (const key of keys) {
        if (waiting.has(key) || holding.includes(key)) continue;
        waiting.add(key);
        void slots.acquire(key).then(() => {
          waiting.delete(key);
          holding.push(key);
          granted.push(key);
        });
      }
      await settle();
      // Both runs end; the slots go to the next.
      for (const _ of holding.splice(0)) slots.release();
      await settle();
    }
    const counts = keys.map((key) => granted.filter((k) => k === key).length);
    assert.ok(Math.min(...counts) >= 9, `each key served at least 9 times of 50: ${counts.join(', ')}`);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `shares even: ${counts.join(', ')}`);
  });

  test('a waiter past its deadline gives up and is never granted later; cancelAll gives up the rest', async () => {
    const slots = new Slots(1);
    const granted: string[] = [];
    void ask(slots, 'holder', granted);
    const late = ask(slots, 'late', granted, { deadlineMs: 20 });
    const patient = ask(slots, 'patient', granted);
    assert.equal(await late, false);
    const other = ask(slots, 'other', granted);
    slots.cancelAll();
    assert.equal(await patient, false);
    assert.equal(await other, false);
    slots.release();
    await settle();
    assert.deepEqual(granted, ['holder']);
    // The freed slot is there for the next to ask.
    assert.equal(await ask(slots, 'next', granted), true);
  });
});
