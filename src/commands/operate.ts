// `pulse trigger`, `pulse pause`, `pulse resume`: a terminal's way to the daemon's write API.
import type { Config } from '../config.ts';
import { PulseError, describeError } from '../errors.ts';

export interface OperateOptions {
  config: Config;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

const REQUEST_TIMEOUT_MS = 15_000;

/** POSTs JSON to the daemon with the configured credentials; prints the answer; true on 2xx. */
async function post(options: OperateOptions, path: string, body: object): Promise<{ ok: boolean; body: Record<string, unknown> }> {
  const base = options.config.url;
  if (!base) throw new PulseError({ message: 'no daemon to send this to', fix: 'set PULSE_URL or --url, e.g. --url http://127.0.0.1:9477' });
  const { auth } = options.config;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  else if (auth.user && auth.password) headers.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    throw new PulseError({
      message: `cannot reach the daemon at ${base}: ${describeError(error).message}`,
      fix: 'check that `pulse run` is up there, or correct PULSE_URL (--url)',
      cause: error,
    });
  }
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { error: text.slice(0, 500) };
  }
  if (!response.ok) options.err.write(`pulse: ${response.status} ${said(parsed.error) ?? said(parsed.message) ?? response.statusText}\n`);
  return { ok: response.ok, body: parsed };
}

export async function trigger(options: OperateOptions & { journey: string }): Promise<boolean> {
  const { ok, body } = await post(options, `/api/journeys/${encodeURIComponent(options.journey)}/runs`, {});
  // The daemon links relative to itself unless it knows its public URL.
  const link = (url: string) => new URL(url, `${options.config.url}/`).href;
  const runId = said(body.runId);
  const url = said(body.url);
  if (ok) options.out.write(`started run ${runId} of ${options.journey}; watch ${link(url ?? `/runs/${runId}`)}\n`);
  else if (runId) options.err.write(`the run in flight: ${link(url ?? `/runs/${runId}`)}\n`);
  return ok;
}

export interface ScopeFlags {
  tag?: string;
  all?: boolean;
}

function scope(journey: string | undefined, flags: ScopeFlags): Record<string, unknown> {
  const given = [journey !== undefined, flags.tag !== undefined, flags.all === true].filter(Boolean).length;
  if (given !== 1)
    throw new PulseError({
      message: given === 0 ? 'nothing named to act on' : 'more than one of a journey, --tag and --all given',
      fix: 'name exactly one of: a journey, --tag <tag>, --all',
    });
  return journey !== undefined ? { journey } : flags.tag !== undefined ? { tag: flags.tag } : { all: true };
}

export async function pause(
  options: OperateOptions & { journey?: string; flags: ScopeFlags & { for?: string; until?: string; reason?: string } },
): Promise<boolean> {
  const { flags } = options;
  if (!flags.reason)
    throw new PulseError({ message: 'a pause needs a reason: on-call read it', fix: "say why with --reason, e.g. --reason 'database upgrade'" });
  if ((flags.for === undefined) === (flags.until === undefined)) {
    throw new PulseError({
      message: flags.for === undefined ? 'a pause needs an end' : '--for and --until both given',
      fix: 'give either --for <duration> (e.g. 30m) or --until <ISO time>',
    });
  }
  const { ok, body } = await post(options, '/api/pauses', {
    ...scope(options.journey, flags),
    ...(flags.for ? { for: flags.for } : { until: flags.until }),
    reason: flags.reason,
  });
  const paused = body.pause as { id: number; until: string } | undefined;
  if (ok && paused) options.out.write(`paused (pause ${paused.id}) until ${paused.until}\n`);
  return ok;
}

export async function resume(options: OperateOptions & { journey?: string; flags: ScopeFlags & { id?: string } }): Promise<boolean> {
  const body = options.flags.id !== undefined ? { id: Number(options.flags.id) } : scope(options.journey, options.flags);
  const answer = await post(options, '/api/pauses/resume', body);
  if (answer.ok) options.out.write(`resumed ${(answer.body.resumed as unknown[]).length} pause(s)\n`);
  return answer.ok;
}

/** A text the daemon's JSON answer holds, if it holds one there. */
function said(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
