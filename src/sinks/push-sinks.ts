import type { Config } from '../config.ts';
import type { DeliveryOutcome } from '../events.ts';
import type { DeliveryLog, DeliveryTuning } from './delivery-queue.ts';
import { PushgatewaySink } from './pushgateway.ts';
import type { Sink } from './sink.ts';
import { WebhookSink } from './webhook.ts';

export interface PushSinksOptions {
  /** Counts every push's fate, e.g. into pulse_push_deliveries_total{sink,outcome}. */
  onOutcome?: (sink: string, outcome: DeliveryOutcome) => void;
  tuning?: Partial<DeliveryTuning>;
}

/** The push sinks the settings ask for (none by default): Pushgateway and heartbeat webhook. */
export function createPushSinks(
  config: Pick<Config, 'pushgatewayUrl' | 'webhookUrl' | 'webhookKind'>,
  log: DeliveryLog,
  options: PushSinksOptions = {},
): Sink[] {
  const sinks: Sink[] = [];
  const common = { log, onOutcome: options.onOutcome, tuning: options.tuning };
  if (config.pushgatewayUrl) sinks.push(new PushgatewaySink({ url: config.pushgatewayUrl, ...common }));
  if (config.webhookUrl) sinks.push(new WebhookSink({ url: config.webhookUrl, kind: config.webhookKind, ...common }));
  return sinks;
}
