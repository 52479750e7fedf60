import type { Command } from 'commander';
import { resolveConfig, type Config, type Flags, type ResolveOptions } from '../config.ts';
import { PulseError } from '../errors.ts';
import { formatProblem } from '../problem.ts';
import type { Registry } from '../registry/load.ts';
import { loadInOwnWorker } from '../runner/own-worker.ts';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Options every command understands; each names its environment variable in its help. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('--journeys <dir>', 'folder searched for *.journey.ts (PULSE_JOURNEYS)', undefined)
    .option('--playwright-config <file>', "playwright.config.ts whose `use` shapes the browser contexts, or 'none' (PULSE_PLAYWRIGHT_CONFIG)")
    .option('--browser-path <path>', 'Chromium executable to use (PULSE_BROWSER_PATH)')
    .option('--data-dir <dir>', 'where screenshots, traces and the run store live (PULSE_DATA_DIR)')
    .option('--location <name>', 'label of where this prober runs, e.g. eu-west-1 (PULSE_LOCATION)')
    .option('--base-url <url>', 'params.baseUrl for the journeys (PULSE_PARAM_BASE_URL)')
    .option('--param <name=value>', 'a journey param, repeatable (PULSE_PARAM_<NAME>)', collect)
    .option('--trace <mode>', 'Playwright trace: off, on-retry, always (PULSE_TRACE)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace, silent (PULSE_LOG_LEVEL)')
    .option('--log-format <format>', 'auto, json, pretty (PULSE_LOG_FORMAT)')
    .option('--pushgateway-url <url>', "push each run's gauges to this Prometheus Pushgateway (PULSE_PUSHGATEWAY_URL)")
    .option('--webhook-url <url>', "dead-man's-switch URL pinged after each run; {journey} and {location} are filled in (PULSE_WEBHOOK_URL)")
    .option('--webhook-kind <kind>', 'ping (healthchecks.io style: <url>, <url>/fail) or uptime-kuma (push URL) (PULSE_WEBHOOK_KIND)');
}

/** Options of the long-running commands. */
export function withDaemonOptions(command: Command): Command {
  return command
    .option('--host <address>', 'address the HTTP port binds to (PULSE_HOST)')
    .option('--port <port>', 'HTTP port for /metrics, health and the UI (PULSE_PORT)')
    .option('--concurrency <n>', 'most journeys running at once (PULSE_CONCURRENCY)')
    .option('--grace-period <duration>', 'how long in-flight runs may finish after SIGTERM, e.g. 30s (PULSE_GRACE_PERIOD)')
    .option('--shard <i/n>', 'run only the journeys shard i of n owns (PULSE_SHARD)')
    .option('--public-url <url>', 'base URL of the UI as people reach it, for links in logs (PULSE_PUBLIC_URL)');
}

export function configFrom(flags: Flags, overrides?: ResolveOptions['overrides']): Config {
  const result = resolveConfig({ flags, overrides });
  if (!result.config) throw new PulseError({ message: 'invalid settings', problems: result.problems });
  return result.config;
}

/** Loads the journeys; problems are returned for the command to report its own way. */
export async function loadRegistry(config: Config): Promise<Registry> {
  return loadInOwnWorker({ dir: config.journeysDir, timeoutMs: config.loadTimeoutMs, memoryLimitBytes: config.workerMemoryBytes });
}

export function printProblems(registry: Registry, out: NodeJS.WritableStream): void {
  for (const problem of registry.problems) out.write(`✗ ${formatProblem(problem)}\n`);
}
