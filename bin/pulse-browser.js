// The browser host: the child process the daemon forks to own Chromium and its Playwright server.
import { boot } from './boot.js';

await boot('runner/browser-host-main');
