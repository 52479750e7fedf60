import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PageVitals, StepResult } from '../../../src/result.ts';
import { ThresholdJudge, describeBreach, judgedMetrics, type ThresholdLimits } from '../../../src/thresholds.ts';

const view = (vitals: Partial<PageVitals>): PageVitals => ({ kind: 'load', url: 'http://shop/', cls: 0, ...vitals });
const step = (name: string, durationMs: number, vitals: PageVitals[] = [], status: StepResult['status'] = 'passed'): StepResult => ({
  name,
  status,
  durationMs,
  vitals,
});
const success = (steps: StepResult[], durationMs = steps.reduce((sum, s) => sum + s.durationMs, 0)) => ({ status: 'success' as const, durationMs, steps });

function judged(thresholds: ThresholdLimits, steps: StepResult[], durationMs?: number) {
  const warnings: { fields: object; message: string }[] = [];
  const breaches = new ThresholdJudge().judge({ name: 'checkout', thresholds }, success(steps, durationMs), {
    warn: (fields, message) => warnings.push({ fields, message }),
  });
  return { breaches, warnings };
}

test('a figure over its limit breaks it; at the limit it does not; durations are whole ms, CLS four places', () => {
  const { breaches } = judged(
    { run: { duration: 1_000, cls: 0.1 }, steps: [{ name: 'add to cart', limits: { duration: 300 } }] },
    [step('open', 400, [view({ cls: 0.10004 })]), step('add to cart', 300.4)],
    1_000.4,
  );
  assert.equal(breaches, undefined, 'at the limit after rounding: no breach');
  const over = judged(
    { run: { duration: 1_000, cls: 0.1 }, steps: [{ name: 'add to cart', limits: { duration: 300 } }] },
    [step('open', 400, [view({ cls: 0.2 })]), step('add to cart', 301)],
    1_001,
  );
  assert.deepEqual(over.breaches, [
    { metric: 'duration', limit: 1_000, actual: 1_001 },
    { metric: 'cls', limit: 0.1, actual: 0.2 },
    { step: 'add to cart', metric: 'duration', limit: 300, actual: 301 },
  ]);
  assert.deepEqual(over.breaches?.map(describeBreach), [
    'run duration 1001 ms over 1000 ms',
    'run cls 0.2 over 0.1',
    "'add to cart' duration 301 ms over 300 ms",
  ]);
});

test('a step is judged on the pages it loaded itself for TTFB, FCP and LCP, and on every page it touched for INP and CLS', () => {
  const thresholds: ThresholdLimits = { run: {}, steps: [{ name: 'filter', limits: { lcp: 1_000, inp: 200 } }] };
  const continued = view({ continued: true, lcpMs: 5_000, inpMs: 350 });
  const { breaches } = judged(thresholds, [step('open', 100, [view({ lcpMs: 5_000 })]), step('filter', 100, [continued])]);
  assert.deepEqual(breaches, [{ step: 'filter', metric: 'inp', limit: 200, actual: 350 }], 'the slow LCP belongs to the step that loaded the page');
});

test('a step threshold that matched no step is said once, with the nearest name; a failed run is not judged', () => {
  const judge = new ThresholdJudge();
  const warnings: string[] = [];
  const log = { warn: (_fields: object, message: string) => warnings.push(message) };
  const thresholds: ThresholdLimits = { run: {}, steps: [{ name: 'add to crat', limits: { duration: 1 } }] };
  for (let i = 0; i < 3; i += 1) judge.judge({ name: 'checkout', thresholds }, success([step('add to cart', 50)]), log);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /thresholds\.steps\['add to crat'\] of checkout matched no step of a successful run \(did you mean 'add to cart'\?\)/);
  assert.equal(
    judge.judge({ name: 'checkout', thresholds }, { status: 'failure', durationMs: 9, steps: [step('add to crat', 9, [], 'failed')] }, log),
    undefined,
  );
});

test('the metrics a journey judges, in the order pulse reports them, each once', () => {
  assert.deepEqual(judgedMetrics({ run: { cls: 0.1, duration: 5 }, steps: [{ name: 'a', limits: { lcp: 1, duration: 2 } }] }), ['duration', 'lcp', 'cls']);
  assert.deepEqual(judgedMetrics({ run: {}, steps: [] }), []);
});
