import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { openRunStore } from '../../../src/store/run-store.ts';
import type { StepFigures } from '../../../src/store/run-queries.ts';
import { journeyPage, type JourneyPageData } from '../../../src/web/views/journey-page.ts';
import { tempDir } from '../../support/temp.ts';

/** The journey page of a journey without history, with the step figures and budgets given. */
function render(t: TestContext, stepFigures: StepFigures, budgets?: JourneyPageData['budgets']): string {
  const store = openRunStore({ dataDir: tempDir(t) });
  t.after(() => store.close());
  const data: JourneyPageData = {
    stats: store.queries.stats('checkout'),
    pauses: [],
    controls: undefined,
    schedule: '* * * * *',
    file: undefined,
    runs: [],
    failures: [],
    history: [],
    stepFigures,
    ...(budgets ? { budgets } : {}),
  };
  return journeyPage(data, 'unit-1').value;
}

/** The near-miss row of a step, as `<tr ...>...</tr>`. */
function row(page: string, step: string): string | undefined {
  return [...page.matchAll(/<tr[^>]*data-step="([^"]*)"[^>]*>.*?<\/tr>/g)].find((match) => match[1] === step)?.[0];
}

test("near misses: each step's p95 against the step timeout, highlighted only past 80%", (t) => {
  const page = render(
    t,
    {
      steps: [
        { name: 'at the line', runs: 40, p95Ms: 2_400 },
        { name: 'over it', runs: 40, p95Ms: 2_430 },
        { name: 'quick', runs: 40, p95Ms: 120 },
      ],
      more: 0,
    },
    { timeoutMs: 30_000, stepTimeoutMs: 3_000 },
  );
  assert.match(page, /<h2>Near misses<\/h2>/);
  assert.match(page, /budget 30\.00 s an attempt, 3\.00 s a step/);
  assert.match(page, /<div class="scroll-box"><table class="near-misses">/);
  const line = row(page, 'at the line');
  assert.ok(line, page);
  assert.match(line, /<td>p95 2\.40 s of 3\.00 s \(80\.0%\)<\/td>/);
  assert.doesNotMatch(line, /class="near-miss"/, 'exactly 80% is not past it');
  assert.match(row(page, 'over it') ?? '', /^<tr class="near-miss" .*<td>p95 2\.43 s of 3\.00 s \(81\.0%\)<\/td>/);
  assert.match(row(page, 'quick') ?? '', /<td>p95 120 ms of 3\.00 s \(4\.0%\)<\/td>/);
  assert.doesNotMatch(page, /more step names/);
});

test('near misses of a journey not configured here: the p95 alone, and why; a journey without successes has no table', (t) => {
  const page = render(t, { steps: [{ name: 'pay', runs: 3, p95Ms: 2_400 }], more: 7 });
  assert.match(row(page, 'pay') ?? '', /<td>p95 2\.40 s<\/td>/);
  assert.doesNotMatch(page, /class="near-miss"/);
  assert.match(page, /its step timeout is not known here/);
  assert.match(page, /and 7 more step names, left out/);
  assert.doesNotMatch(page, /budget/);

  assert.doesNotMatch(render(t, { steps: [], more: 0 }), /Near misses/);
});
