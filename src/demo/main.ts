/**
 * Standalone demo shop, e.g. for Playwright's webServer:
 *   node --import tsx src/demo/main.ts [--port 3100] [--host 127.0.0.1] [--faults "checkout500,delayMs=100"]
 * Env: DEMO_SHOP_PORT, DEMO_SHOP_HOST, DEMO_SHOP_FAULTS (flags win).
 */
import { parseArgs } from 'node:util';
import { parseFaultSpec } from './faults.ts';
import { startShop, type ShopOptions } from './shop.ts';

const DEFAULT_PORT = 3100;

const USAGE = `usage: node --import tsx src/demo/main.ts [--port 3100] [--host 127.0.0.1] [--faults "checkout500,delayMs=100"]
env: DEMO_SHOP_PORT, DEMO_SHOP_HOST, DEMO_SHOP_FAULTS`;

function parsePort(value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) throw new Error(`Invalid port "${value}": use a number from 0 to 65535`);
  return port;
}

function readOptions(argv: string[], env: NodeJS.ProcessEnv): ShopOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      faults: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const port = values.port ?? env.DEMO_SHOP_PORT;
  const faults = values.faults ?? env.DEMO_SHOP_FAULTS;
  return {
    host: values.host ?? env.DEMO_SHOP_HOST ?? '127.0.0.1',
    port: port === undefined || port === '' ? DEFAULT_PORT : parsePort(port),
    faults: faults ? parseFaultSpec(faults) : {},
  };
}

async function main(): Promise<void> {
  let options: ShopOptions | 'help';
  try {
    options = readOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`demo shop: ${(error as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const shop = await startShop(options);
  process.stdout.write(`demo shop listening on ${shop.url}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.exit(1); // a second signal means "now"
    }
    stopping = true;
    shop.close().catch((error: unknown) => {
      process.stderr.write(`demo shop: error while closing after ${signal}: ${String(error)}\n`);
      process.exitCode = 1;
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo shop: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
