// The run page's way to a trace: Open trace where the viewer can run, else the one sentence, the
// download and the command.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunRecord } from '../../../src/store/run-queries.ts';
import { runPage } from '../../../src/web/views/run-page.ts';
import { NEEDS_SECURE_CONTEXT } from '../../../src/web/views/trace-page.ts';
import { runResult } from '../../support/run-result.ts';

const TRACE = 'checkout/20260101T000000Z-abcdef/attempt-2-trace.zip';

function failedRun(overrides: Partial<RunRecord> = {}): RunRecord {
  const error = { step: 'add to cart', reason: 'assertion' as const, message: 'not added' };
  const steps = [{ name: 'add to cart', status: 'failed' as const, durationMs: 10 }];
  return {
    ...runResult({ status: 'failure', cause: 'target', error, steps, attempts: 2, artifacts: { trace: TRACE } }),
    attemptResults: [
      { attempt: 1, status: 'failure', durationMs: 10, steps, error, cause: 'target', artifacts: {} },
      { attempt: 2, status: 'failure', durationMs: 10, steps, error, cause: 'target', artifacts: { trace: TRACE } },
    ],
    artifactBytes: 1,
    artifactsPrunedAt: undefined,
    ...overrides,
  };
}

const openTraceLinks = (page: string) => [...page.matchAll(/<a href="([^"]*)" data-testid="open-trace">Open trace<\/a>/g)].map((m) => m[1]);

test('where the viewer can run: Open trace for the run and for the traced attempt only, and the command', () => {
  const page = runPage(failedRun(), 'local', undefined, undefined, 'viewer').value;
  assert.deepEqual(openTraceLinks(page), ['/runs/20260101T000000Z-abcdef/trace', '/runs/20260101T000000Z-abcdef/trace?attempt=2']);
  assert.match(page, /npx playwright show-trace attempt-2-trace\.zip/);
  assert.ok(!page.includes(NEEDS_SECURE_CONTEXT));
});

test('where it cannot: the sentence once, the download and the command, no Open trace', () => {
  const page = runPage(failedRun(), 'local', 'http://pulse.internal:9477', undefined, 'download').value;
  assert.deepEqual(openTraceLinks(page), []);
  assert.equal(page.split(NEEDS_SECURE_CONTEXT).length - 1, 1);
  assert.match(page, new RegExp(`<a href="/artifacts/${TRACE}" download>Download the trace</a>`));
  assert.match(page, /npx playwright show-trace http:\/\/pulse\.internal:9477\/artifacts\/checkout\//, 'the public URL, which show-trace opens itself');
});

test('pruned evidence offers no trace at all; a run id is escaped in the link', () => {
  const pruned = runPage(failedRun({ artifactsPrunedAt: '2026-01-02T00:00:00.000Z' }), 'local', undefined, undefined, 'viewer').value;
  assert.deepEqual(openTraceLinks(pruned), []);
  assert.ok(!pruned.includes(NEEDS_SECURE_CONTEXT));
  const odd = runPage(failedRun({ runId: '"><script>x</script>' }), 'local', undefined, undefined, 'viewer').value;
  assert.ok(!odd.includes('<script>x'));
  assert.deepEqual(openTraceLinks(odd)[0], '/runs/%22%3E%3Cscript%3Ex%3C%2Fscript%3E/trace');
});
