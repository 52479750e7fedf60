import path from 'node:path';
import { formatMs } from '../duration.ts';
import { artifactsDir } from '../artifacts.ts';
import { describeBreach } from '../thresholds.ts';
import { compose } from '../compose.ts';
import type { Config } from '../config.ts';
import { PulseError } from '../errors.ts';
import type { JourneyDefinition } from '../journey.ts';
import { artifactFiles, type RunResult, type StepResult } from '../result.ts';
import { loadJourneys, specFilesOf, type Registry } from '../registry/load.ts';
import { printProblems } from './shared.ts';

export interface OnceOptions {
  config: Config;
  names: string[];
  /** Replaces every journey's retry count, e.g. 0 to see the first failure at once. */
  retries?: number;
  /** Print the RunResults as JSON instead of the table. */
  json?: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Extra consumers of each result, e.g. push sinks. */
  onResult?: (result: RunResult) => Promise<void> | void;
}

/** Runs the named journeys (all when none named) one after another; true when every run succeeded. */
export async function once(options: OnceOptions): Promise<boolean> {
  const { config, names, out, err } = options;
  const pulse = compose(config, { kind: 'command', stream: err });
  const { sinks, life } = pulse;
  // Stopped after the workers: what is queued is delivered (within the push deadline) before the process exits.
  life.add('sinks', () => sinks.close());
  let allPassed = true;
  const results: RunResult[] = [];
  let registry: Registry | undefined;
  try {
    const prober = await pulse.startProber({ workers: 1 });
    registry = await loadJourneys({ dir: config.journeysDir, timeoutMs: config.loadTimeoutMs, workers: prober.workers, specs: specFilesOf(config) });
    printProblems(registry, err);
    const chosen = pick(registry.journeys, names);
    for (const journey of chosen) {
      const result = await prober.runner.run(options.retries === undefined ? journey : { ...journey, retries: options.retries });
      results.push(result);
      if (!options.json) out.write(formatResult(result, config.dataDir));
      await options.onResult?.(result);
      await sinks.onResult(result);
      if (result.status !== 'success') allPassed = false;
    }
  } finally {
    await life.stop();
  }
  // The run keeps the deciding attempt's observations; each attempt's own copy would only repeat them.
  // The journey's version goes out as its hash and commit, without the source it was made from.
  if (options.json)
    out.write(
      `${JSON.stringify(
        results.map(({ version, ...result }) => ({
          ...result,
          attemptResults: result.attemptResults.map(({ observed: _observed, ...attempt }) => attempt),
          ...(version ? { version: { hash: version.hash, ...(version.commit ? { commit: version.commit } : {}) } } : {}),
        })),
        null,
        2,
      )}\n`,
    );
  return allPassed && registry.problems.length === 0;
}

function pick(journeys: JourneyDefinition[], names: string[]): JourneyDefinition[] {
  if (names.length === 0) {
    if (journeys.length === 0)
      throw new PulseError({
        message: 'no valid journeys to run',
        fix: 'correct the problems above, or point PULSE_JOURNEYS (--journeys) at a folder with *.journey.ts files',
      });
    return journeys;
  }
  const byName = new Map(journeys.map((j) => [j.name, j]));
  const unknown = names.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    const known = journeys.map((j) => j.name).join(', ') || 'none';
    throw new PulseError({
      message: `unknown journey ${unknown.map((n) => `'${n}'`).join(', ')}; known journeys: ${known}`,
      fix: 'name known journeys, or none to run them all',
    });
  }
  return names.map((name) => byName.get(name)!);
}

const MARK: Record<StepResult['status'], string> = { passed: '✓', failed: '✗', skipped: '-' };

/** A readable table: one line for the run, one per step with its duration, then the error and evidence. */
export function formatResult(result: RunResult, dataDir: string): string {
  const lines: string[] = [];
  const attempts = result.attempts === 1 ? '1 attempt' : `${result.attempts} attempts${result.flaky ? ', flaky' : ''}`;
  const status = `${result.status.toUpperCase()}${result.degraded ? ' (DEGRADED)' : ''}`;
  lines.push(
    `${result.status === 'success' ? '✓' : '✗'} ${result.journey}  ${status}  ${formatMs(result.durationMs)}  (${attempts}, location ${result.location}, run ${result.runId}${result.traceId ? `, trace ${result.traceId}` : ''})`,
  );
  const width = Math.max(10, ...result.steps.map((s) => s.name.length));
  for (const step of result.steps) {
    const time = step.status === 'skipped' ? 'skipped' : formatMs(step.durationMs);
    lines.push(`    ${MARK[step.status]} ${step.name.padEnd(width)}  ${time.padStart(9)}`);
  }
  // Still a success (exit 0): the thresholds it broke, one line each.
  for (const breach of result.degraded ?? []) lines.push(`    degraded: ${describeBreach(breach)}`);
  if (result.error) {
    const where = result.error.step ? ` in step '${result.error.step}'` : '';
    const reason = `${result.error.reason ?? 'prober error'}${result.cause ? `, cause ${result.cause}` : ''}`;
    lines.push(`    ${reason}${where}: ${indent(result.error.message)}`);
  }
  const root = artifactsDir(dataDir);
  for (const [kind, file] of artifactFiles(result.artifacts)) lines.push(`    ${kind}: ${path.join(root, file)}`);
  if (result.artifacts.trace) lines.push(`    open the trace: npx playwright show-trace ${path.join(root, result.artifacts.trace)}`);
  return `${lines.join('\n')}\n`;
}

function indent(text: string): string {
  return text.split('\n').slice(0, 12).join('\n      ');
}
