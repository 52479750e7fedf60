import type { RunResult } from '../../src/result.ts';

/** A run result as the runner hands it to the sinks: a success of two steps unless overridden. */
export function runResult(overrides: Partial<RunResult> = {}): RunResult {
  const status = overrides.status ?? 'success';
  const steps = overrides.steps ?? [
    { name: 'open home', status: 'passed', durationMs: 120.4 },
    { name: 'add to cart', status: 'passed', durationMs: 340.6 },
  ];
  return {
    journey: 'checkout',
    location: 'unit-1',
    runId: '20260101T000000Z-abcdef',
    status,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 461,
    attempts: 1,
    flaky: false,
    steps,
    artifacts: {},
    attemptResults: [
      {
        attempt: 1,
        status,
        durationMs: 461,
        steps,
        artifacts: {},
        ...(overrides.error ? { error: overrides.error } : {}),
        ...(overrides.cause ? { cause: overrides.cause } : {}),
      },
    ],
    ...overrides,
  };
}
