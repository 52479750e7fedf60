import type { WebhookKind } from '../config.ts';
import type { RunResult } from '../result.ts';
import { DeliveryQueue, type DeliveryLog, type DeliveryTuning } from './delivery-queue.ts';
import type { DeliveryOutcome } from '../events.ts';
import type { Sink } from './sink.ts';

/** Longest text sent along; dead-man's switches show it as a log line, not a report. */
const MAX_TEXT = 300;

export interface WebhookSinkOptions {
  /** `{journey}` and `{location}` are replaced (URL-encoded), so each journey can have its own monitor. */
  url: string;
  kind: WebhookKind;
  log?: DeliveryLog;
  onOutcome?: (sink: string, outcome: DeliveryOutcome) => void;
  tuning?: Partial<DeliveryTuning>;
}

export interface WebhookRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
}

/** One request per run to a dead-man's-switch service, which alerts when the pings stop or say fail. */
export class WebhookSink implements Sink {
  readonly name = 'webhook';
  readonly stage = 'push';
  readonly queue: DeliveryQueue<WebhookRequest & { journey: string; runId: string }>;

  constructor(private readonly options: WebhookSinkOptions) {
    this.queue = new DeliveryQueue({
      sink: this.name,
      tuning: options.tuning,
      onOutcome: options.onOutcome,
      log: options.log,
      describe: (item) => ({ journey: item.journey, runId: item.runId }),
      send: async (item, signal) => {
        const response = await fetch(item.url, {
          method: item.method,
          body: item.body,
          headers: item.body === undefined ? {} : { 'content-type': 'text/plain; charset=utf-8' },
          signal,
        });
        // Read to the end so the connection can be reused.
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${item.method} ${redactUrl(item.url)} answered HTTP ${response.status}`);
      },
    });
  }

  onResult(result: RunResult): void {
    this.queue.enqueue({ ...webhookRequest(this.options.kind, this.options.url, result), journey: result.journey, runId: result.runId });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** The request a dead-man's switch of the given kind expects for this run. */
function webhookRequest(kind: WebhookKind, template: string, result: RunResult): WebhookRequest {
  const url = new URL(expandUrlTemplate(template, result));
  const up = result.status === 'success';
  const text = summary(result);
  if (kind === 'uptime-kuma') {
    url.searchParams.set('status', up ? 'up' : 'down');
    url.searchParams.set('msg', text);
    url.searchParams.set('ping', String(Math.round(result.durationMs)));
    return { method: 'GET', url: url.href };
  }
  if (!up) url.pathname = `${url.pathname.replace(/\/+$/, '')}/fail`;
  return { method: 'POST', url: url.href, body: text };
}

function expandUrlTemplate(template: string, where: { journey: string; location: string }): string {
  return template.replaceAll('{journey}', encodeURIComponent(where.journey)).replaceAll('{location}', encodeURIComponent(where.location));
}

/** e.g. "checkout failure at step 'check out' (http): POST /checkout answered HTTP 500". */
function summary(result: RunResult): string {
  const head = `${result.journey} in ${result.location}: ${result.status} in ${Math.round(result.durationMs)} ms, ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}`;
  if (result.status === 'success') return head;
  const error = result.error;
  const where = error?.step ? ` at step '${error.step}'` : '';
  const reason = error?.reason ? ` (${error.reason})` : '';
  const message = error?.message ? `: ${error.message.split('\n')[0]}` : '';
  const text = `${head}${where}${reason}${message}`;
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** Ping URLs carry their secret in the path or query; log lines show the host only. */
function redactUrl(url: string): string {
  return `${new URL(url).origin}/…`;
}
