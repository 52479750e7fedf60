import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Deadline, DeadlineError, withDeadline } from '../../../src/worker/deadline.ts';

describe('Deadline', () => {
  test('fires after its time with the error built then, and says it fired', async () => {
    let built = 0;
    const deadline = new Deadline(10, () => new Error(`late, built ${(built += 1)} time`));
    assert.equal(built, 0, 'the error is built when the timer fires, not before');
    assert.equal(deadline.fired, false);
    await assert.rejects(deadline.expired, { message: 'late, built 1 time' });
    assert.equal(deadline.fired, true);
  });

  test('cancelled in time, it never fires and never builds its error', async () => {
    let built = false;
    const deadline = new Deadline(10, () => {
      built = true;
      return new Error('late');
    });
    deadline.cancel();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(deadline.fired, false);
    assert.equal(built, false);
  });

  test('one that fires with nobody racing it is no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const deadline = new Deadline(1, () => new Error('late'));
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(deadline.fired, true);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });
});

describe('withDeadline', () => {
  test('passes the answer through when it comes in time', async () => {
    assert.equal(await withDeadline(Promise.resolve(42), 1_000, 'answer'), 42);
  });

  test('rejects with a DeadlineError naming the call when it does not', async () => {
    await assert.rejects(withDeadline(new Promise(() => undefined), 10, 'browser.newContext'), (error: unknown) => {
      assert.ok(error instanceof DeadlineError);
      assert.equal(error.message, 'browser.newContext did not answer within 10 ms');
      return true;
    });
  });
});
