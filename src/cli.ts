// Each command's module is imported when that command runs: `pulse trigger` or `pulse --version`
// need neither the daemon's parts (web server, store, metrics) nor the demo shop, and start in
// half the time without them.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { Flags } from './config.ts';
import type { ScopeFlags } from './commands/operate.ts';
import cron from 'node-cron';
import type { DemoFlags } from './commands/demo.ts';
import { DEMO_SCHEDULE, configFrom, withSettingFlags } from './commands/shared.ts';
import { PulseError } from './errors.ts';
import { ownerOf } from './scheduler/shard.ts';

/** Exit codes: 0 all good, 1 a journey failed or a problem was found, 2 pulse could not do its job (a PulseError says which). */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('pulse')
    .description('Synthetic user journeys on a schedule: heartbeats, Prometheus metrics, on-call evidence')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  let exitCode = 0;

  withSettingFlags(program.command('once'))
    .description('run journeys now (all when none named), print each step with its timing, exit 0 if all succeeded')
    .argument('[journey...]', 'names of the journeys to run')
    .option('--retries <n>', "override every journey's retries, e.g. 0 to see the first failure at once", parseRetries)
    .option('--json', 'print the run results as JSON instead of the table')
    .action(async (names: string[], flags: Flags & { retries?: number; json?: boolean }) => {
      const { once } = await import('./commands/once.ts');
      const ok = await once({ config: configFrom(flags), names, retries: flags.retries, json: flags.json, out: process.stdout, err: process.stderr });
      exitCode = ok ? 0 : 1;
    });

  withSettingFlags(program.command('run'))
    .description('the daemon: run every journey on its schedule, serve /metrics, /healthz, /readyz and the UI until SIGTERM')
    .option('--schedule <cron>', 'run every journey on this schedule instead of its own (demos, load tests)')
    .action(async (flags: Flags & { schedule?: string }) => {
      const scheduleOverride = validSchedule(flags.schedule);
      const { runUntilSignalled } = await import('./commands/run.ts');
      exitCode = await runUntilSignalled({ config: configFrom(flags), scheduleOverride });
    });

  withSettingFlags(program.command('demo'))
    .description('start the bundled demo shop and the daemon against it, running the example journeys every 5 seconds')
    .option('--shop-port <port>', 'port of the demo shop', '3100')
    .option('--faults <spec>', "faults on from the start, e.g. 'checkout500' or 'delayMs=500,failOneIn=4'")
    .option('--schedule <cron>', 'schedule of the example journeys', DEMO_SCHEDULE)
    .action(async (flags: DemoFlags) => {
      validSchedule(flags.schedule);
      const { demo } = await import('./commands/demo.ts');
      exitCode = await demo(flags);
    });

  withSettingFlags(program.command('list'))
    .description('list journeys with their schedule, next run, file and, with shards, the owning shard')
    .action(async (flags: Flags) => {
      const config = configFrom(flags);
      const shard = config.shard;
      const ownerOfJourney = shard
        ? (journey: string) => {
            const owner = ownerOf(journey, shard.total);
            return `${owner}/${shard.total}${owner === shard.index ? ' (this replica)' : ''}`;
          }
        : undefined;
      const { list } = await import('./commands/list.ts');
      exitCode = (await list({ config, out: process.stdout, err: process.stderr, ownerOf: ownerOfJourney })) ? 0 : 1;
    });

  withSettingFlags(program.command('validate'))
    .description('load every journey and report every problem at once; exit 1 if there is any')
    .action(async (flags: Flags) => {
      const { validate } = await import('./commands/validate.ts');
      exitCode = (await validate({ config: configFrom(flags), out: process.stdout, err: process.stderr })) ? 0 : 1;
    });

  const io = { out: process.stdout, err: process.stderr };

  withSettingFlags(program.command('trigger'))
    .description('run a journey now on a running daemon (through its pool and limits, never twice at once); exit 0 when it started')
    .argument('<journey>', 'name of the journey')
    .action(async (journey: string, flags: Flags) => {
      const { trigger } = await import('./commands/operate.ts');
      exitCode = (await trigger({ config: configFrom(flags), journey, ...io })) ? 0 : 1;
    });

  withSettingFlags(program.command('pause'))
    .description('pause a journey, every journey with a tag, or the whole replica: its runs are skipped and its alerts held until the pause ends')
    .argument('[journey]', 'name of the journey')
    .option('--tag <tag>', 'every journey with this tag')
    .option('--all', 'every journey of this replica')
    .option('--for <duration>', 'how long, e.g. 30m or 2h (at most 7d)')
    .option('--until <time>', 'until when, ISO 8601')
    .option('--reason <text>', 'why: shown to on-call')
    .action(async (journey: string | undefined, flags: Flags & ScopeFlags & { for?: string; until?: string; reason?: string }) => {
      const { pause } = await import('./commands/operate.ts');
      exitCode = (await pause({ config: configFrom(flags), journey, flags, ...io })) ? 0 : 1;
    });

  withSettingFlags(program.command('resume'))
    .description('end pauses early: of a journey, a tag, the whole replica, or one by its id')
    .argument('[journey]', 'name of the journey')
    .option('--tag <tag>', 'the pause of this tag')
    .option('--all', 'the pause of the whole replica')
    .option('--id <id>', 'one pause by its id')
    .action(async (journey: string | undefined, flags: Flags & ScopeFlags & { id?: string }) => {
      const { resume } = await import('./commands/operate.ts');
      exitCode = (await resume({ config: configFrom(flags), journey, flags, ...io })) ? 0 : 1;
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof PulseError) {
      process.stderr.write(`pulse: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

function validSchedule(schedule: string | undefined): string | undefined {
  if (schedule !== undefined && !cron.validate(schedule)) {
    throw new PulseError({
      message: `--schedule '${schedule}' is not a valid cron expression`,
      fix: "use 5 fields, or 6 with seconds first, e.g. '*/10 * * * * *'",
    });
  }
  return schedule;
}

function parseRetries(value: string): number {
  if (!/^\d$/.test(value)) throw new InvalidArgumentError('must be a whole number from 0 to 5');
  const retries = Number(value);
  if (retries > 5) throw new InvalidArgumentError('must be a whole number from 0 to 5');
  return retries;
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// A journey body cut off by its timeout may still hold a timer; it must not keep a finished command alive.
setTimeout(() => process.exit(code), 2_000).unref();
