import { artifactUrl } from '../artifacts.ts';
import { shortVersion } from '../journey.ts';
import type { Logger } from '../logger.ts';
import { artifactFiles, type Artifacts, type RunResult } from '../result.ts';
import { describeBreach } from '../thresholds.ts';
import { worstVitals } from '../web-vitals.ts';
import type { Sink } from './sink.ts';

export interface HeartbeatLogOptions {
  log: Logger;
  /** Link target for artifacts and run pages, e.g. https://pulse.example.com; relative paths without it. */
  publicUrl?: string;
}

/**
 * One JSON line per run through a child logger bound to journey and runId: `heartbeat` for a
 * success with every step's duration, `journey_failed` with step, reason, error and evidence links.
 */
export class HeartbeatLogSink implements Sink {
  readonly name = 'heartbeat-log';
  readonly stage = 'log';
  constructor(private readonly options: HeartbeatLogOptions) {}

  onResult(result: RunResult): void {
    // location is bound once in the daemon's base logger; traceId joins the line to the target's traces;
    // journeyVersion says which code of the journey ran (its short hash).
    const log = this.options.log.child({
      journey: result.journey,
      runId: result.runId,
      ...(result.traceId ? { traceId: result.traceId } : {}),
      ...(result.version ? { journeyVersion: shortVersion(result.version.hash) } : {}),
    });
    const base = this.options.publicUrl ?? '';
    const durationMs = Math.round(result.durationMs);
    if (result.status === 'success') {
      log.info(
        {
          event: 'heartbeat',
          durationMs,
          attempts: result.attempts,
          flaky: result.flaky,
          // Per step: the worst web vitals of its page views, and its network.
          steps: result.steps.map((step) => ({
            name: step.name,
            durationMs: Math.round(step.durationMs),
            ...(step.vitals ? worstVitals(step.vitals) : {}),
            ...(step.network ? { requests: step.network.requests, bytes: step.network.bytes, failedRequests: step.network.failed } : {}),
          })),
          ...(result.certificates ? { certificateExpiresAt: new Date(Math.min(...result.certificates.map((c) => c.validTo)) * 1000).toISOString() } : {}),
          // Still the heartbeat; the thresholds it broke, each with its step, limit and measured figure.
          ...(result.degraded ? { degraded: result.degraded } : {}),
        },
        `heartbeat ${result.journey} in ${durationMs} ms${result.degraded ? `, degraded: ${result.degraded.map(describeBreach).join('; ')}` : ''}`,
      );
      return;
    }
    const fields = {
      event: result.status === 'failure' ? 'journey_failed' : 'journey_error',
      durationMs,
      attempts: result.attempts,
      step: result.error?.step,
      reason: result.error?.reason,
      cause: result.cause,
      error: result.error?.message,
      steps: result.steps.map((step) => ({ name: step.name, status: step.status, durationMs: Math.round(step.durationMs) })),
      runUrl: `${base}/runs/${encodeURIComponent(result.runId)}`,
      artifacts: artifactLinks(result.artifacts, base),
    };
    const what =
      result.status === 'failure'
        ? `failed at step '${result.error?.step ?? '-'}' (${result.error?.reason}, cause ${result.cause ?? 'target'})`
        : 'could not be run';
    if (result.status === 'failure') log.warn(fields, `journey ${result.journey} ${what}`);
    else log.error(fields, `journey ${result.journey} ${what}`);
  }
}

function artifactLinks(artifacts: Artifacts, base: string): Record<string, string> {
  const links: Record<string, string> = {};
  for (const [kind, file] of artifactFiles(artifacts)) links[kind] = artifactUrl(file, base);
  return links;
}
