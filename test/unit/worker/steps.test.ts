import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StepResult } from '../../../src/result.ts';
import { BodyClock } from '../../../src/worker/body.ts';
import { BudgetExceededError, StepSkippedError } from '../../../src/worker/classify.ts';
import { StepLog, stepFunction, type StepOptions } from '../../../src/worker/steps.ts';

/** A step function over a fresh log, with a network that counts the steps it was told about and no vitals. */
function steps(stepTimeoutMs = 1_000) {
  const events: string[] = [];
  const ended: StepResult[] = [];
  const log = new StepLog({
    stepStarted: (name) => events.push(`started ${name}`),
    stepEnded: (step) => {
      events.push(`ended ${step.name} ${step.status}`);
      ended.push(step);
    },
  });
  let begun = 0;
  const network: StepOptions['network'] = {
    beginStep: () => {
      begun += 1;
    },
    stepNetwork: () => ({ requests: begun, failed: 0 }),
  };
  const clock = new BodyClock(60_000);
  clock.start();
  const step = stepFunction({
    log,
    stepTimeoutMs,
    clock,
    redact: (text) => text.replaceAll('secret', '***'),
    network,
    vitals: undefined,
    callsInFlight: () => [],
  });
  return { log, step, events, ended };
}

describe('stepFunction', () => {
  test('a step inside another (test.step() nesting) is timed on its own; the outer one keeps the requests, and is the running one again after it', async () => {
    const { log, step } = steps();
    const seen: (string | undefined)[] = [];
    await step('outer', async () => {
      seen.push(log.running);
      await step('outer › inner', () => {
        seen.push(log.running);
      });
      seen.push(log.running);
    });
    assert.deepEqual(seen, ['outer', 'outer › inner', 'outer']);
    assert.equal(log.running, undefined);
    const [inner, outer] = log.steps;
    assert.equal(inner!.name, 'outer › inner');
    assert.equal(inner!.network, undefined, 'the inner step did not start a new count of requests');
    assert.equal(outer!.name, 'outer');
    assert.deepEqual(outer!.network, { requests: 1, bytes: 0, failed: 0 }, 'one count, begun by the outer step only');
  });

  test('the budget cut off after an inner step ended falls on the outer step still running', async () => {
    const { log, step } = steps();
    let release!: () => void;
    const held = step('outer', async () => {
      await step('outer › inner', () => undefined);
      await new Promise<void>((resolve) => (release = resolve));
    });
    await new Promise((resolve) => setImmediate(resolve));
    const cut = new BudgetExceededError('run', 10, []);
    log.cutOff(cut);
    assert.equal(log.failed?.name, 'outer');
    release();
    await held;
  });

  test('a passed step is timed, reported as it starts and ends, and carries its requests', async () => {
    const { log, step, events } = steps();
    assert.equal(await step('open secret page', () => 42), 42);
    assert.deepEqual(events, ['started open *** page', 'ended open *** page passed']);
    assert.equal(log.steps.length, 1);
    const [opened] = log.steps;
    assert.equal(opened!.status, 'passed');
    assert.ok(opened!.durationMs >= 0);
    assert.deepEqual(opened!.network, { requests: 1, bytes: 0, failed: 0 });
    assert.equal(log.failed, undefined);
    assert.equal(log.running, undefined);
  });

  test('the first failure decides and is rethrown; later steps are recorded as skipped and throw', async () => {
    const { log, step } = steps();
    const boom = new Error('boom');
    await assert.rejects(
      step('pay', () => Promise.reject(boom)),
      boom,
    );
    await assert.rejects(
      step('confirm', () => 'never'),
      (error: unknown) => error instanceof StepSkippedError && error.message === "step 'confirm' skipped: step 'pay' failed",
    );
    assert.deepEqual(
      log.steps.map((s) => [s.name, s.status]),
      [
        ['pay', 'failed'],
        ['confirm', 'skipped'],
      ],
    );
    assert.deepEqual(log.failed, { name: 'pay', error: boom });
  });

  test('a step that blocked its thread past its budget (its timer never fired) fails all the same, with reason timeout', async () => {
    const { log, step } = steps(30);
    const blocked = step('block', () => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 80);
      return 'done';
    });
    await assert.rejects(blocked, (error: unknown) => error instanceof BudgetExceededError && error.scope === 'step' && error.budgetMs === 30);
    assert.deepEqual(
      log.steps.map((s) => [s.name, s.status]),
      [['block', 'failed']],
    );
    assert.ok(log.steps[0]!.durationMs >= 80);
    assert.equal(log.failed?.name, 'block');
  });

  test('a step over its budget fails with a BudgetExceededError naming the budget', async () => {
    const { log, step } = steps(20);
    await assert.rejects(
      step('hang', () => new Promise(() => undefined)),
      (error: unknown) => error instanceof BudgetExceededError && error.scope === 'step' && error.budgetMs === 20,
    );
    assert.deepEqual(
      log.steps.map((s) => [s.name, s.status]),
      [['hang', 'failed']],
    );
  });

  test('once the attempt ended, no step starts and one still running is not recorded', async () => {
    const { log, step, ended } = steps();
    let finish: () => void = () => undefined;
    const running = step('slow', () => new Promise<void>((resolve) => (finish = resolve)));
    assert.equal(log.running, 'slow');
    await new Promise((resolve) => setImmediate(resolve));
    log.end();
    finish();
    await running;
    await assert.rejects(
      step('late', () => 'never'),
      (error: unknown) => error instanceof StepSkippedError && /not run: the attempt has ended/.test(error.message),
    );
    assert.deepEqual(ended, []);
    assert.deepEqual(log.steps, []);
  });
});

describe('StepLog after the attempt ended', () => {
  test('the step running when the budget ran out is cut off as the failed one', async () => {
    const { log, step } = steps();
    void step('stuck', () => new Promise(() => undefined)).catch(() => undefined);
    log.end();
    const budget = new BudgetExceededError('run', 1_000);
    log.cutOff(budget);
    assert.deepEqual(
      log.steps.map((s) => [s.name, s.status]),
      [['stuck', 'failed']],
    );
    assert.deepEqual(log.failed, { name: 'stuck', error: budget });
  });

  test('a step found to have failed after it returned outranks a failure recorded later', async () => {
    const { log, step } = steps();
    await step('close it', () => undefined);
    await assert.rejects(step('next', () => Promise.reject(new Error('Target closed'))));
    log.end();
    const fault = new Error('the journey called browser.close()');
    log.failNamed('close it', fault);
    assert.deepEqual(
      log.steps.map((s) => [s.name, s.status]),
      [
        ['close it', 'failed'],
        ['next', 'failed'],
      ],
    );
    assert.deepEqual(log.failed, { name: 'close it', error: fault });
  });

  test('failAt marks the first passed step still running at the deadline, unless a step failed already', async () => {
    const { log, step } = steps();
    const before = performance.now();
    await step('first', () => undefined);
    await step('second', () => undefined);
    log.end();
    const fault = new Error('kept its worker busy');
    log.failAt(before, fault);
    assert.deepEqual(
      log.steps.map((s) => s.status),
      ['failed', 'passed'],
    );
    assert.deepEqual(log.failed, { name: 'first', error: fault });
    log.failAt(before, new Error('again'));
    assert.equal(log.failed?.error, fault);
  });
});
