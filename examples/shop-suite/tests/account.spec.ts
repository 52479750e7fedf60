import { test, expect, SHOPPER } from './fixtures.ts';

// Runs in the signed-in project: every test starts with the session auth.setup.ts kept.
test.describe('account', { tag: '@monitor', annotation: { type: 'schedule', description: '*/1 * * * *' } }, () => {
  test.beforeEach(async ({ shop }) => {
    await shop.openAccount();
  });

  test('the account page shows the signed-in shopper', async ({ page, shop }) => {
    await test.step('see the account', async () => {
      await expect(page).toHaveURL('/account');
      await expect(shop.heading).toHaveText('Your account');
    });

    await test.step('see who is signed in', async () => {
      await expect(page.getByText(/^Signed in as /)).toContainText(SHOPPER.email);
    });

    await test.step('see the orders', async () => {
      await expect(page.getByRole('heading', { name: 'Your orders' })).toBeVisible();
      await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    });
  });

  test('the session holds while the shopper browses', async ({ page, shop }) => {
    await test.step('browse to a product', async () => {
      await shop.goto();
      await shop.search('bottle');
      await shop.openProduct(/bottle/i);
      await expect(shop.heading).toContainText(/bottle/i);
    });

    await test.step('the shop still knows the shopper', async () => {
      // Asked without following the redirect a signed-out visitor gets to the sign-in page.
      const response = await page.request.get('/account', { maxRedirects: 0 });
      expect(response.status()).toBe(200);
      await shop.openAccount();
      await expect(shop.heading).toHaveText('Your account');
    });
  });
});
