import type { Config } from '../config.ts';
import { loadRegistry, printProblems } from './shared.ts';

/** Loads everything and reports every problem at once; true when there were none. */
export async function validate(options: { config: Config; out: NodeJS.WritableStream; err: NodeJS.WritableStream }): Promise<boolean> {
  const registry = await loadRegistry(options.config);
  printProblems(registry, options.err);
  const count = registry.journeys.length;
  options.out.write(`${count} valid journe${count === 1 ? 'y' : 'ys'}${count ? `: ${registry.journeys.map((j) => j.name).join(', ')}` : ''}\n`);
  if (registry.problems.length > 0) {
    options.err.write(`${registry.problems.length} problem${registry.problems.length === 1 ? '' : 's'} found\n`);
    return false;
  }
  return true;
}
