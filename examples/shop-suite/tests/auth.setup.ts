import path from 'node:path';
import { test as setup, expect } from '@playwright/test';
import { SHOPPER } from './fixtures.ts';

const authFile = path.join(import.meta.dirname, '../playwright/.auth/shopper.json');

setup('sign in as the shopper', async ({ page }) => {
  await page.goto('/account/sign-in');
  await page.getByLabel('Email').fill(SHOPPER.email);
  await page.getByLabel('Password').fill(SHOPPER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Wait until the shop has set the session cookie: it shows the account page then.
  await expect(page.getByRole('heading', { name: 'Your account' }), 'the shop took the email and password').toBeVisible();
  await expect(page).toHaveURL('/account');

  await page.context().storageState({ path: authFile });
});
