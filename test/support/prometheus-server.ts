import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServerBinary, type ServerBinary } from './server-binary.ts';

/** One series of an instant query's answer. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One alert of /api/v1/alerts. */
export interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
}

export interface PrometheusServer extends ServerBinary {
  /** An instant query; a Prometheus error is thrown with its message. */
  query: (expr: string) => Promise<PromSample[]>;
  /** The alerts pending or firing now. */
  alerts: () => Promise<PromAlert[]>;
}

export interface PrometheusOptions {
  /** Its config and its TSDB go here. */
  dir: string;
  ruleFiles: string[];
  /** host:port of each pulse it scrapes (job `pulse`). */
  targets: string[];
  /** host:port of an Alertmanager it sends to. */
  alertmanager?: string;
}

/** A real Prometheus on 127.0.0.1 that scrapes and evaluates every second, as the end-to-end tests need. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: options.ruleFiles,
    ...(options.alertmanager ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] } } : {}),
    scrape_configs: [{ job_name: 'pulse', static_configs: [{ targets: options.targets }] }],
  };
  // JSON is YAML.
  await writeFile(path.join(options.dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const server = await startServerBinary({
    binary: '/usr/bin/prometheus',
    install: 'apt-get install -y prometheus',
    args: [
      `--config.file=${path.join(options.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(options.dir, 'tsdb')}`,
      '--web.listen-address={address}',
      '--log.level=warn',
    ],
  });
  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const response = await fetch(`${server.url}${pathAndQuery}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${body.error}`);
    return body.data;
  };
  return Object.assign(server, {
    query: async (expr: string) => (await api<{ result: PromSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    alerts: async () => (await api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts,
  });
}
