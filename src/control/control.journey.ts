// The control journey: pulse probing a page it serves itself (control-page.ts), in the same
// journey workers and the same browser as every other journey. Its target cannot break, so when
// it fails, pulse is sick, not the product. It is never listed, counted or stored as a journey.
import { expect, journey } from '../index.ts';

export default journey(
  {
    name: 'pulse-control',
    // Not read: the daemon runs it every PULSE_CONTROL_INTERVAL; a journey needs a schedule to be valid.
    schedule: '*/30 * * * * *',
    timeout: '20s',
    stepTimeout: '10s',
    // One retry, as user journeys have: one lost page load alone does not say the prober is sick.
    retries: 1,
    tags: ['pulse'],
  },
  async ({ page, step, params }) => {
    await step('open the control page', async () => {
      await page.goto(`${params.baseUrl}/control/`);
      await expect(page.getByRole('heading', { name: 'pulse control page' })).toBeVisible();
    });
    await step('click and fetch', async () => {
      // The page's script fetches the word back from pulse: navigation, click, script and XHR in one.
      const word = `w${Date.now().toString(36)}`;
      await page.getByLabel('word').fill(word);
      await page.getByRole('button', { name: 'Echo' }).click();
      await expect(page.getByRole('status')).toHaveText(`echo: ${word}`);
    });
  },
);
