// The spec test running now, for the calls a test makes on the `test` object itself (test.step(),
// test.info(), test.skip() inside a body): an async context, so a step a leftover of an earlier run
// starts is never taken for the running test's.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { StepFn } from '../journey.ts';
import type { Annotation } from './collect.ts';

/** What test.info() gives a running test: the parts of Playwright's TestInfo a monitor can honour. */
export interface SpecTestInfo {
  title: string;
  titlePath: string[];
  file: string;
  line: number;
  column: number;
  project: { name: string; use: Record<string, unknown>; metadata: Record<string, unknown> };
  annotations: Annotation[];
  tags: string[];
  retry: number;
  repeatEachIndex: number;
  workerIndex: number;
  parallelIndex: number;
  timeout: number;
  expectedStatus: 'passed';
  status: 'passed' | 'failed' | 'timedOut' | 'skipped' | 'interrupted' | undefined;
  errors: { message?: string }[];
  outputDir: string;
  snapshotDir: string;
  config: { projects: unknown[] };
  attachments: { name: string; contentType: string; path?: string; body?: Buffer }[];
  outputPath(...segments: string[]): string;
  snapshotPath(...segments: string[]): string;
  attach(name: string, options?: { body?: string | Buffer; contentType?: string; path?: string }): Promise<void>;
  setTimeout(timeout: number): void;
  skip(condition?: unknown, description?: string): void;
  fixme(condition?: unknown, description?: string): void;
  fail(condition?: unknown, description?: string): void;
  slow(condition?: unknown, description?: string): void;
}

export interface SpecRun {
  /** pulse's step(), timed and reported. */
  step: StepFn;
  info: SpecTestInfo;
  /** The titles of the test.step() calls this call is inside of, outermost first. */
  stepPath: readonly string[];
  /** Soft assertions that failed in the step running now (by its path), thrown when the step ends. */
  softErrors: unknown[];
}

export const specRun = new AsyncLocalStorage<SpecRun>();

/**
 * A spec test used Playwright Test's API in a way no run can honour (test.skip() while it runs,
 * test() inside a test, a fixture nothing defines): the journey's own code, never the target's.
 */
export class SpecMisuseError extends Error {
  override name = 'SpecMisuseError';
}
