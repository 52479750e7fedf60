// The floor: each benched journey as a plain Playwright script, no step wrapper, no sinks.
import { expect } from '@playwright/test';
import type { Page } from 'playwright';

/** The same actions and web-first assertions as the checkout journey, in the same order. */
export async function floorCheckout(page: Page, baseUrl: string): Promise<void> {
  await page.goto(baseUrl);
  await expect(page.getByRole('heading', { level: 1, name: 'Pulse Demo Shop' })).toBeVisible();

  await page.getByLabel('Search products').fill('headlamp');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Search results' })).toBeVisible();
  await page.getByRole('list', { name: 'Products' }).getByRole('link').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/headlamp/i);

  const addToCart = page.getByRole('button', { name: 'Add to cart' });
  await expect(addToCart).toBeEnabled();
  await page.getByLabel('Quantity').fill('2');
  await addToCart.click();
  await expect(page.getByRole('status')).toContainText('Added 2');
  await expect(page.getByRole('link', { name: 'Cart (2)' })).toBeVisible();

  await page.getByRole('link', { name: /^Cart/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Your cart' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Items in your cart' })).toContainText(/headlamp/i);
  await page.getByRole('link', { name: 'Proceed to checkout' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Checkout' })).toBeVisible();
  await page.getByLabel('Full name').fill('Pat Prober');
  await page.getByLabel('Email').fill('pat.prober@example.com');
  await page.getByLabel('Address').fill('1 Synthetic Way');
  await page.getByLabel('City').fill('Springfield');
  await page.getByLabel('Postal code').fill('12345');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Place order' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Thank you for your order' })).toBeVisible();
  await expect(page.getByTestId('order-number')).toHaveText(/^PD-\d{6}$/);
}

/** The same actions and web-first assertions as the catalog journey (the page with 20+ own-origin assets). */
export async function floorCatalog(page: Page, baseUrl: string): Promise<void> {
  const products = page.getByRole('list', { name: 'Catalog' }).getByRole('listitem');
  await page.goto(`${baseUrl.replace(/\/+$/, '')}/catalog`);
  await expect(page.getByRole('heading', { level: 1, name: 'Catalog' })).toBeVisible();

  await expect(page.getByRole('status')).toHaveText(/^Showing \d+ products$/);
  await expect(products.first()).toBeVisible();
  await expect(products.first()).toContainText(/\$\d+\.\d{2}/);
  await expect(products.first()).toContainText(/In stock|Only \d+ left|Sold out/);
  await expect(page.getByText(/^Featured: /)).toBeVisible();

  await page.getByRole('button', { name: 'Camp kitchen' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Showing \d+ products? in Camp kitchen$/);
  await expect(products.filter({ hasText: 'Enamel Camp Mug' })).toBeVisible();
  await expect(products.filter({ hasText: 'Trail Runner Shoes' })).toHaveCount(0);
}

/** Plain-Playwright twins of the benched journeys, by journey name. */
export const FLOORS: Record<string, (page: Page, baseUrl: string) => Promise<void>> = {
  checkout: floorCheckout,
  catalog: floorCatalog,
};
