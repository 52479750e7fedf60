import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BudgetExceededError, classifyFailure, JourneyFaultError, judgeFailure, type VerdictEvidence } from '../../../src/worker/classify.ts';
import type { RequestProblem } from '../../../src/worker/requests.ts';

const NONE: VerdictEvidence = { problems: [], stillLoading: false, pending: [] };
const timeout = () => Object.assign(new Error('locator.click: Timeout 5000ms exceeded.'), { name: 'TimeoutError' });
const problem = (own: boolean, kind: RequestProblem['kind'] = 'http', blocking = true): RequestProblem => ({
  kind,
  own,
  blocking,
  text: `${own ? 'GET /api/cart' : 'GET https://cdn.example.net/app.js'} answered 500`,
});

describe('classifyFailure', () => {
  const quiet = { httpErrors: [], stillLoading: false };
  const cases: [string, unknown, { httpErrors: string[]; stillLoading: boolean }, string][] = [
    ['a journey fault', new JourneyFaultError('process.exit'), quiet, 'script'],
    ["pulse's budget", new BudgetExceededError('step', 1_000), quiet, 'timeout'],
    ['a connection refused', new Error('page.goto: net::ERR_CONNECTION_REFUSED at http://x'), quiet, 'navigation'],
    [
      'an error page caught by an expect',
      Object.assign(new Error('expect(locator).toHaveText'), { matcherResult: {} }),
      { httpErrors: ['GET / answered 503'], stillLoading: false },
      'http',
    ],
    ['an expect that gave up while loading', new Error('expect(locator).toBeVisible() failed'), { httpErrors: [], stillLoading: true }, 'timeout'],
    ['an expect', new Error('expect(locator).toHaveText(expected) failed'), quiet, 'assertion'],
    ["node's assert", Object.assign(new Error('x'), { name: 'AssertionError' }), quiet, 'assertion'],
    ["Playwright's timeout", timeout(), quiet, 'timeout'],
    ['a navigation interrupted', new Error('Navigation failed because page crashed'), quiet, 'navigation'],
    ['anything else', new Error('boom'), quiet, 'script'],
    ['a thrown string', 'boom', quiet, 'script'],
  ];
  assert.ok(cases.length > 0);
  for (const [what, error, evidence, reason] of cases) {
    test(`${what}: ${reason}`, () => assert.equal(classifyFailure(error, evidence), reason));
  }
});

describe('judgeFailure', () => {
  test("the journey's own code: a fault, a TypeError, a refused selector are script and the journey's", () => {
    for (const error of [
      new JourneyFaultError('closed the browser'),
      new TypeError('x is undefined'),
      new Error('strict mode violation: locator resolved to 2 elements'),
    ]) {
      assert.deepEqual(judgeFailure(error, { ...NONE, problems: [problem(true)] }), { reason: 'script', cause: 'journey', lead: [] }, String(error));
    }
  });

  test("a budget spent waiting on neither browser nor network is the journey's timeout", () => {
    const verdict = judgeFailure(new BudgetExceededError('step', 1_000, []), NONE);
    assert.equal(verdict.reason, 'timeout');
    assert.equal(verdict.cause, 'journey');
    assert.equal(verdict.lead.length, 1);
    // Waiting in a browser call: the page's.
    assert.equal(judgeFailure(new BudgetExceededError('step', 1_000, ['locator.click']), NONE).cause, 'target');
  });

  test("own origins failing are the target's, named in the lead; only other origins failing is third_party", () => {
    const own = problem(true);
    const other = problem(false, 'network');
    assert.deepEqual(judgeFailure(timeout(), { ...NONE, problems: [other, own] }), { reason: 'http', cause: 'target', lead: [own.text] });
    assert.deepEqual(judgeFailure(timeout(), { ...NONE, problems: [other] }), { reason: 'network', cause: 'third_party', lead: [other.text] });
    // A failed image blocks nothing.
    assert.equal(judgeFailure(timeout(), { ...NONE, problems: [problem(false, 'http', false)] }).cause, 'target');
  });

  test("a failed navigation to a failing origin is navigation; the document's own error status is http of the target", () => {
    assert.equal(judgeFailure(new Error('page.goto: net::ERR_CONNECTION_RESET'), { ...NONE, problems: [problem(true, 'network')] }).reason, 'navigation');
    const document = problem(true);
    assert.deepEqual(judgeFailure(new Error('expect(locator).toBeVisible() failed'), { ...NONE, document }), {
      reason: 'http',
      cause: 'target',
      lead: [document.text],
    });
  });

  test('no failed request: the reason from the error, and a timeout names what the page still waited for', () => {
    assert.deepEqual(judgeFailure(timeout(), { problems: [], stillLoading: true, pending: ['GET /slow'] }), {
      reason: 'timeout',
      cause: 'target',
      lead: ['the page was still waiting for GET /slow'],
    });
    assert.deepEqual(judgeFailure(new Error('expect(locator).toHaveText(expected) failed'), NONE), { reason: 'assertion', cause: 'target', lead: [] });
  });
});
