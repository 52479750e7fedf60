// A Playwright Test suite written the way Playwright's documentation writes one, against the bundled
// demo shop: `npx playwright test -c examples/shop-suite` runs it as it is, and pulse runs the
// tests that carry a schedule annotation as monitors.
import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';
import { pulseLaunchOptions } from 'pulse/playwright';

const demoPort = Number(process.env.PULSE_DEMO_PORT ?? 3100);
const baseURL = process.env.PULSE_PARAM_BASE_URL ?? `http://127.0.0.1:${demoPort}`;

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: process.env.CI ? 'list' : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL,
    launchOptions: pulseLaunchOptions(),
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'setup', testMatch: /.*\.setup\.ts/ },
    {
      name: 'desktop',
      testMatch: /shop\.spec\.ts/,
      use: { ...devices['Desktop Chrome'] },
    },
    {
      name: 'mobile',
      testMatch: /shop\.spec\.ts/,
      use: { ...devices['Pixel 7'] },
    },
    // Starts signed in with what auth.setup.ts kept. A Playwright option path is taken from the
    // working folder, so it is spelled from this file's folder: the suite runs from anywhere.
    {
      name: 'signed-in',
      testMatch: /account\.spec\.ts/,
      use: { ...devices['Desktop Chrome'], storageState: path.join(import.meta.dirname, 'playwright/.auth/shopper.json') },
      dependencies: ['setup'],
    },
  ],
  // The bundled demo shop, started from the repository's root as the root config starts it,
  // unless PULSE_PARAM_BASE_URL points the suite elsewhere.
  webServer: process.env.PULSE_PARAM_BASE_URL
    ? undefined
    : {
        command: `node --import tsx src/demo/main.ts --port ${demoPort}`,
        cwd: path.join(import.meta.dirname, '../..'),
        url: `${baseURL}/healthz`,
        reuseExistingServer: !process.env.CI,
        timeout: 60_000,
      },
});
