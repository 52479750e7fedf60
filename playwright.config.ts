import { defineConfig, devices } from '@playwright/test';
import { pulseLaunchOptions, useDemoShopAccount } from 'pulse/playwright';

// Shared browser options: pulse builds its contexts from `use`, and `npx playwright test`
// runs every journey as a test with the same options, so both see the same browser.
const demoPort = Number(process.env.PULSE_DEMO_PORT ?? 3100);
const baseURL = process.env.PULSE_PARAM_BASE_URL ?? `http://127.0.0.1:${demoPort}`;
// Against the bundled demo shop, the mfa-sign-in journey signs in with the demo's account.
if (!process.env.PULSE_PARAM_BASE_URL) useDemoShopAccount();

export default defineConfig({
  testDir: './journeys',
  testMatch: '*.spec.ts',
  fullyParallel: true,
  retries: 0,
  reporter: process.env.CI ? 'list' : [['list'], ['html', { open: 'never' }]],
  use: {
    ...devices['Desktop Chrome'],
    baseURL,
    viewport: { width: 1280, height: 720 },
    locale: 'en-US',
    timezoneId: 'UTC',
    headless: true,
    launchOptions: pulseLaunchOptions(),
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  // The bundled demo shop, unless PULSE_PARAM_BASE_URL points the journeys elsewhere.
  webServer: process.env.PULSE_PARAM_BASE_URL
    ? undefined
    : {
        command: `node --import tsx src/demo/main.ts --port ${demoPort}`,
        url: `${baseURL}/healthz`,
        reuseExistingServer: !process.env.CI,
        timeout: 30_000,
      },
});
