import { Command, CommanderError } from 'commander';
import type { Flags } from './config.ts';
import { list } from './commands/list.ts';
import { once } from './commands/once.ts';
import { UsageError, configFrom, withCommonOptions } from './commands/shared.ts';
import { validate } from './commands/validate.ts';
import { MissingBaseUrlError } from './prober.ts';
import { BrowserNotFoundError } from './runner/find-browser.ts';

/** Exit codes: 0 all good, 1 a journey failed or a problem was found, 2 pulse could not do its job. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('pulse')
    .description('Synthetic user journeys on a schedule: heartbeats, Prometheus metrics, on-call evidence')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  let exitCode = 0;

  withCommonOptions(program.command('once'))
    .description('run journeys now (all when none named), print each step with its timing, exit 0 if all succeeded')
    .argument('[journey...]', 'names of the journeys to run')
    .action(async (names: string[], flags: Flags) => {
      const ok = await once({ config: configFrom(flags), names, out: process.stdout, err: process.stderr });
      exitCode = ok ? 0 : 1;
    });

  withCommonOptions(program.command('list'))
    .description('list journeys with their schedule, next run and file')
    .action(async (flags: Flags) => {
      exitCode = (await list({ config: configFrom(flags), out: process.stdout, err: process.stderr })) ? 0 : 1;
    });

  withCommonOptions(program.command('validate'))
    .description('load every journey and report every problem at once; exit 1 if there is any')
    .action(async (flags: Flags) => {
      exitCode = (await validate({ config: configFrom(flags), out: process.stdout, err: process.stderr })) ? 0 : 1;
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError || error instanceof BrowserNotFoundError || error instanceof MissingBaseUrlError) {
      process.stderr.write(`pulse: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
