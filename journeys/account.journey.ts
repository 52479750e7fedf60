import { expect, journey } from 'pulse';
import { shopUser } from './shop-user.session.ts';

// A signed-in customer must see their account: the page behind the sign-in, with the session pulse keeps.
export default journey(
  {
    name: 'account',
    schedule: '*/1 * * * *',
    timeout: '30s',
    stepTimeout: '10s',
    retries: 1,
    tags: ['shop'],
    session: shopUser,
  },
  async ({ page, step, params }) => {
    await step('open account', async () => {
      await page.goto(new URL('/account', params.baseUrl).href);
      await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
    });

    await step('see orders', async () => {
      await expect(page.getByRole('heading', { name: 'Your orders' })).toBeVisible();
      await expect(page.getByText(/Signed in as/)).toBeVisible();
    });
  },
);
