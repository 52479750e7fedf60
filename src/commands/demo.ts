import type { Flags } from '../config.ts';
import { useDemoShopAccount } from '../demo/mfa-account.ts';
import { startShop } from '../demo/shop.ts';
import { parseFaultSpec } from '../demo/faults.ts';
import { PulseError, describeError } from '../errors.ts';
import { runUntilSignalled } from './run.ts';
import { DEMO_SCHEDULE, configFrom } from './shared.ts';

export interface DemoFlags extends Flags {
  shopPort?: string;
  faults?: string;
  schedule?: string;
}

/** `pulse demo`: the bundled shop plus the daemon against it, with the examples every few seconds. */
export async function demo(flags: DemoFlags): Promise<number> {
  let faults;
  try {
    faults = flags.faults ? parseFaultSpec(flags.faults) : undefined;
  } catch (error) {
    throw new PulseError({
      message: `--faults: ${describeError(error).message.replace(/\.$/, '')}`,
      fix: "name faults from that list, e.g. --faults checkout500 or --faults 'delayMs=500,failOneIn=4'",
    });
  }
  const shopPort = Number(flags.shopPort ?? 3100);
  if (!Number.isInteger(shopPort) || shopPort < 0 || shopPort > 65535) {
    throw new PulseError({ message: `--shop-port ${flags.shopPort} is not a port number`, fix: 'give a number from 0 to 65535' });
  }
  // The bundled mfa-sign-in journey signs in with the demo's account, unless the user names another.
  useDemoShopAccount();
  // Settings first: a bad one must not leave a shop running that keeps the process alive.
  configFrom({ ...flags, baseUrl: `http://127.0.0.1:${shopPort || 3100}` });
  let shop;
  try {
    shop = await startShop({ port: shopPort, faults });
  } catch (error) {
    throw new PulseError({
      message: `demo shop cannot listen on 127.0.0.1:${shopPort} (${describeError(error).message})`,
      fix: 'free the port or pass --shop-port',
      cause: error,
    });
  }
  const config = configFrom({ ...flags, baseUrl: shop.url });
  const running = runUntilSignalled({
    config,
    scheduleOverride: flags.schedule ?? DEMO_SCHEDULE,
    onStarted: (daemon, log) => {
      log.info(
        { event: 'demo', shop: shop.url, metrics: `${daemon.url}/metrics`, ui: daemon.url },
        [
          `demo shop: ${shop.url}`,
          `pulse: ${daemon.url}  (metrics: ${daemon.url}/metrics)`,
          `break the checkout: curl -X PUT -H 'content-type: application/json' -d '{"checkout500":true}' ${shop.url}/__faults`,
          `mend it:            curl -X DELETE ${shop.url}/__faults`,
        ].join('\n'),
      );
    },
    onStopped: () => shop.close(),
  });
  return running.catch(async (error: unknown) => {
    await shop.close();
    throw error;
  });
}
