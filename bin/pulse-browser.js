// The browser host: owns the one warm Chromium and the Playwright server that journey workers
// connect to, in a process of its own, so protocol traffic never waits on the daemon's event loop
// and the daemon never waits on it. Plain JavaScript on purpose: it runs no journey code, so it
// needs no TypeScript loader, and without one errors are not source-mapped on every browser call.
// Messages: see src/runner/browser-server.ts (ToBrowserHost, FromBrowserHost).
import { chromium } from 'playwright';

const send = (message) => {
  try {
    process.send?.(message);
  } catch {
    // The daemon is gone; 'disconnect' ends this process.
  }
};

process.once('message', async (message) => {
  if (message?.type !== 'launch') return;
  try {
    const server = await chromium.launchServer({
      ...message.options,
      // Only this machine's workers connect; the random path in the endpoint is the key.
      host: '127.0.0.1',
      port: 0,
      // The daemon decides when the browser goes: on SIGTERM in-flight runs still need it.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    // A browser that crashed or was killed takes its host with it: the daemon launches a fresh pair.
    const gone = () => {
      send({ type: 'closed' });
      process.exit(0);
    };
    server.on('close', gone);
    server.process().once('exit', gone);
    // The daemon went away or asked the browser to go.
    process.on('disconnect', () => void server.close().finally(() => process.exit(0)));
    send({ type: 'listening', wsEndpoint: server.wsEndpoint(), pid: server.process().pid });
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
});
