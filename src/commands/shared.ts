import type { Command } from 'commander';
import { resolveConfig, type Config, type Flags, type ResolveOptions } from '../config.ts';
import { PulseError } from '../errors.ts';
import { formatProblem } from '../problem.ts';
import type { Registry } from '../registry/load.ts';
import { specFilesOf } from '../registry/load.ts';
import { loadInOwnWorker } from '../runner/own-worker.ts';
import { PARAMS, SETTING_KEYS, settingOf, type Flag } from '../settings/table.ts';

/** How often `pulse demo` runs the example journeys unless --schedule says otherwise. */
export const DEMO_SCHEDULE = '*/5 * * * * *';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A setting's line in `--help`: what it does and the variable the flag stands for. */
function help(about: { description: string; env: string }): string {
  return `${about.description.replaceAll('`', '')} (${about.env})`;
}

/** The flags of the settings table this command takes, named by the command's own name. */
export function withSettingFlags(command: Command): Command {
  const takes = (flag: Flag) => flag.on.some((name) => name === command.name());
  for (const key of SETTING_KEYS) {
    const setting = settingOf(key);
    if (setting.flag && takes(setting.flag)) command.option(setting.flag.spec, help(setting));
  }
  if (takes(PARAMS.flag)) command.option(PARAMS.flag.spec, help(PARAMS), collect);
  return command;
}

export function configFrom(flags: Flags, overrides?: ResolveOptions['overrides']): Config {
  const result = resolveConfig({ flags, overrides });
  if (!result.config) throw new PulseError({ message: 'invalid settings', problems: result.problems });
  return result.config;
}

/** Loads the journeys; problems are returned for the command to report its own way. */
export async function loadRegistry(config: Config): Promise<Registry> {
  return loadInOwnWorker({ dir: config.journeysDir, timeoutMs: config.loadTimeoutMs, memoryLimitBytes: config.workerMemoryBytes, specs: specFilesOf(config) });
}

export function printProblems(registry: Registry, out: NodeJS.WritableStream): void {
  for (const problem of registry.problems) out.write(`✗ ${formatProblem(problem)}\n`);
}
