import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SkipReason } from '../../../src/events.ts';
import { jitterMs } from '../../../src/scheduler/jitter.ts';
import { Scheduler, type PlannedRun, type SchedulerClock, type SchedulerOptions } from '../../../src/scheduler/scheduler.ts';

type Journey = SchedulerOptions['journeys'][number];

const EVERY_MINUTE = '* * * * *';
const START = Date.parse('2026-01-01T00:00:00.000Z');

function journey(name: string): Journey {
  return { name, schedule: EVERY_MINUTE, timezone: 'UTC' } as Journey;
}

/** The test's time: ticks come when the test says, timers fire when it moves the clock on. */
class FakeClock implements SchedulerClock {
  nowMs = START;
  readonly tasks = new Map<string, { onTick: (tick: Date) => void; onMissed: () => void; stopped: boolean }>();
  readonly #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;

  every(_schedule: string, options: { name: string }, onTick: (tick: Date) => void, onMissed: () => void) {
    const task = { onTick, onMissed, stopped: false };
    this.tasks.set(options.name, task);
    return { stop: () => void (task.stopped = true) };
  }
  now(): number {
    return this.nowMs;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.nowMs + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  get pending(): number {
    return this.#timers.size;
  }
  tick(name: string): void {
    const task = this.tasks.get(name);
    assert.ok(task, `a cron task for ${name}`);
    task.onTick(new Date(this.nowMs));
  }
  advance(ms: number): void {
    this.nowMs += ms;
    for (const [id, timer] of [...this.#timers]) {
      if (timer.at > this.nowMs) continue;
      this.#timers.delete(id);
      timer.callback();
    }
  }
}

/** A scheduler on a fake clock whose runs stay in flight until the test finishes them. */
function harness(journeys: Journey[], extra: Partial<SchedulerOptions> = {}) {
  const clock = new FakeClock();
  const started: PlannedRun[] = [];
  const skipped: [string, SkipReason][] = [];
  const lags: number[] = [];
  const finishers: (() => void)[] = [];
  let onStart = () => {};
  const scheduler = new Scheduler({
    journeys,
    concurrency: 2,
    clock,
    events: {
      execute: (plan) => {
        started.push(plan);
        onStart();
        return new Promise<void>((resolve) => finishers.push(resolve));
      },
      skipped: (name, reason) => void skipped.push([name, reason]),
      lag: (seconds) => void lags.push(seconds),
    },
    ...extra,
  });
  /** Resolves once `count` runs have started. */
  const startedCount = (count: number) =>
    new Promise<void>((resolve) => {
      onStart = () => started.length >= count && resolve();
      onStart();
    });
  const finishAll = () => {
    for (const finish of finishers.splice(0)) finish();
  };
  return { clock, scheduler, started, skipped, lags, startedCount, finishAll };
}

describe('scheduler on an injected clock', () => {
  test("a tick waits for the journey's jitter on the clock, then runs once, planned at tick plus jitter, and reports its lag", async () => {
    const { clock, scheduler, started, lags, startedCount, finishAll } = harness([journey('checkout')]);
    const jitter = jitterMs('checkout', 60);
    assert.ok(jitter > 0, 'checkout has a jitter to wait for');
    scheduler.start();
    clock.tick('checkout');
    assert.equal(clock.pending, 1, 'the jitter wait is a timer of the clock');
    clock.advance(jitter - 1);
    await Promise.resolve();
    assert.equal(started.length, 0, 'not before its jitter');
    clock.advance(251);
    await startedCount(1);
    assert.equal(started[0]!.journey.name, 'checkout');
    assert.equal(started[0]!.plannedAt.getTime(), START + jitter);
    assert.equal(started[0]!.manual, undefined);
    assert.deepEqual(lags, [0.25], 'lag is clock time past the planned start');
    finishAll();
    assert.deepEqual(await scheduler.stop(1_000), { unfinished: 0 });
  });

  test('a tick while the journey is still running is skipped as overlap; after it ends the next tick runs', async () => {
    const { clock, scheduler, started, skipped, startedCount, finishAll } = harness([journey('checkout')]);
    scheduler.start();
    clock.tick('checkout');
    clock.advance(60_000);
    await startedCount(1);
    clock.tick('checkout');
    assert.deepEqual(skipped, [['checkout', 'overlap']]);
    finishAll();
    await new Promise((resolve) => setImmediate(resolve));
    clock.tick('checkout');
    clock.advance(60_000);
    await startedCount(2);
    assert.equal(started.length, 2);
    finishAll();
    await scheduler.stop(1_000);
  });

  test("a paused journey's tick is skipped as paused and starts nothing; a missed tick is skipped as missed", async () => {
    const { clock, scheduler, started, skipped } = harness([journey('checkout'), journey('search')], { isPaused: (j) => j.name === 'search' });
    scheduler.start();
    clock.tick('search');
    clock.tasks.get('checkout')!.onMissed();
    clock.advance(60_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(skipped, [
      ['search', 'paused'],
      ['checkout', 'missed'],
    ]);
    assert.equal(started.length, 0);
    await scheduler.stop(1_000);
  });

  test('stop: ticks end, a run still waiting for its jitter is skipped as shutdown, nothing starts later', async () => {
    const { clock, scheduler, started, skipped } = harness([journey('checkout')]);
    scheduler.start();
    clock.tick('checkout');
    assert.equal(clock.pending, 1);
    assert.deepEqual(await scheduler.stop(1_000), { unfinished: 0 });
    assert.equal(clock.tasks.get('checkout')!.stopped, true, 'the cron task is stopped');
    assert.equal(clock.pending, 0, 'the jitter wait is cleared');
    assert.deepEqual(skipped, [['checkout', 'shutdown']]);
    clock.advance(120_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started.length, 0);
  });

  test('trigger: runs now at clock time with who asked; busy, unknown and stopping are refused', async () => {
    const { clock, scheduler, started, lags, startedCount, finishAll } = harness([journey('checkout')]);
    const manual = { runId: 'r1', by: 'on-call' };
    assert.deepEqual(scheduler.trigger('checkout', manual), { started: true });
    await startedCount(1);
    assert.equal(started[0]!.plannedAt.getTime(), clock.nowMs);
    assert.deepEqual(started[0]!.manual, manual);
    assert.deepEqual(lags, [], 'a run asked for now reports no lag');
    assert.deepEqual(scheduler.trigger('checkout', manual), { started: false, reason: 'busy' });
    assert.deepEqual(scheduler.trigger('nope', manual), { started: false, reason: 'unknown' });
    assert.equal(scheduler.inFlight, 1);
    finishAll();
    await scheduler.stop(1_000);
    assert.deepEqual(scheduler.trigger('checkout', manual), { started: false, reason: 'stopping' });
  });
});
