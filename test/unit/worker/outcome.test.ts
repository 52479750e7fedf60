import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BudgetExceededError, JourneyFaultError } from '../../../src/worker/classify.ts';
import { decideOutcome, type WhatHappened } from '../../../src/worker/outcome.ts';
import type { RequestProblem } from '../../../src/worker/requests.ts';

/** Requests that went as planned, unless a test says otherwise; counts how often it was asked. */
function network(problems: RequestProblem[] = []): WhatHappened['network'] & { reads: number } {
  const watch = {
    reads: 0,
    problems: () => {
      watch.reads += 1;
      return problems;
    },
    documentProblem: () => undefined,
    stillLoading: () => false,
    pending: () => [],
  };
  return watch;
}

const shown = (text: string) => `[${text}]`;
const returned = { kind: 'returned' } as const;

describe('decideOutcome', () => {
  test('a body that returned with every step passed and nothing lost is a success', () => {
    assert.deepEqual(decideOutcome({ end: returned, failed: undefined, lost: undefined, network: network(), message: shown }), { status: 'success' });
  });

  test('a failed step the journey swallowed still fails the attempt, judged on its error', () => {
    const error = Object.assign(new Error('expect(locator).toHaveText(expected) failed'), { matcherResult: {} });
    const decision = decideOutcome({ end: returned, failed: { name: 'check out', error }, lost: undefined, network: network(), message: shown });
    assert.deepEqual(decision, {
      status: 'failure',
      error: { message: '[expect(locator).toHaveText(expected) failed]', step: 'check out', reason: 'assertion' },
      cause: 'target',
    });
  });

  test('the request that answered 500 is read first, and blames the target', () => {
    const failing: RequestProblem = { kind: 'http', own: true, blocking: true, text: 'POST /api/cart answered 500' };
    const decision = decideOutcome({
      end: { kind: 'broke', error: new BudgetExceededError('step', 1_000) },
      failed: { name: 'add to cart', error: new BudgetExceededError('step', 1_000) },
      lost: undefined,
      network: network([failing]),
      message: shown,
    });
    assert.ok(decision.status === 'failure', decision.status);
    assert.deepEqual(decision.error, { message: '[POST /api/cart answered 500\nstep timeout of 1000 ms exceeded]', step: 'add to cart', reason: 'http' });
    assert.equal(decision.cause, 'target');
  });

  test("a fault of the journey's own code outranks what a step saw next, and says so for its worker", () => {
    const fault = new JourneyFaultError('the journey called browser.close()');
    const decision = decideOutcome({
      end: { kind: 'broke', error: fault },
      failed: { name: 'next', error: new Error('Target closed') },
      lost: undefined,
      network: network(),
      message: shown,
    });
    assert.deepEqual(decision, {
      status: 'failure',
      error: { message: '[the journey called browser.close()]', step: 'next', reason: 'script' },
      cause: 'journey',
      journeyFault: '[the journey called browser.close()]',
    });
  });

  test('a lost renderer or browser is a prober error with reason crash, and the requests are not judged', () => {
    for (const [lost, said] of [
      ['renderer', "the page's renderer crashed; not the target's doing as far as pulse can tell"],
      ['browser', 'browser disconnected during the run'],
    ] as const) {
      const requests = network();
      const decision = decideOutcome({
        end: { kind: 'broke', error: new Error('Target crashed') },
        failed: undefined,
        lost,
        network: requests,
        message: shown,
      });
      assert.deepEqual(decision, { status: 'error', error: { message: `[${said}: Target crashed]`, step: undefined, reason: 'crash' }, cause: 'prober' }, lost);
      assert.equal(requests.reads, 0, lost);
    }
  });

  test("a renderer crash the step heard of before the page's crash event is still a crash, never a navigation failure of the target", () => {
    const requests = network();
    const error = new Error('page.goto: Navigation failed because page crashed!');
    const decision = decideOutcome({ end: { kind: 'broke', error }, failed: { name: 'open', error }, lost: undefined, network: requests, message: shown });
    assert.ok(decision.status === 'error');
    assert.equal(decision.error.reason, 'crash');
    assert.equal(decision.cause, 'prober');
    assert.equal(requests.reads, 0);
  });

  test("Chromium's termination status decides whose crash it is: out of memory is the target's page, anything else pulse's side", () => {
    const error = new Error('Target crashed');
    const oom = decideOutcome({
      end: { kind: 'broke', error },
      failed: { name: 'scroll', error },
      lost: 'renderer',
      crash: { status: 'oom', errorCode: 133 },
      network: network(),
      message: shown,
    });
    assert.deepEqual(oom, {
      status: 'failure',
      error: {
        message: "[the page's renderer ran out of memory (Chromium's termination status: oom): the target's page made it: Target crashed]",
        step: 'scroll',
        reason: 'crash',
      },
      cause: 'target',
    });
    const killed = decideOutcome({
      end: { kind: 'broke', error },
      failed: { name: 'scroll', error },
      lost: 'renderer',
      crash: { status: 'killed', errorCode: 9 },
      network: network(),
      message: shown,
    });
    assert.ok(killed.status === 'error');
    assert.match(killed.error.message, /termination status: killed, code 9/);
  });
});
