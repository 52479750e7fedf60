import { expect, journey } from 'pulse';

// Browsing is where buying starts: the catalog page, its assets and the four API calls behind it must answer.
export default journey(
  {
    name: 'catalog',
    schedule: '*/1 * * * *',
    timeout: '30s',
    stepTimeout: '10s',
    retries: 1,
    tags: ['shop'],
  },
  async ({ page, step, params }) => {
    const products = page.getByRole('list', { name: 'Catalog' }).getByRole('listitem');

    await step('open catalog', async () => {
      await page.goto(`${params.baseUrl.replace(/\/+$/, '')}/catalog`);
      await expect(page.getByRole('heading', { level: 1, name: 'Catalog' })).toBeVisible();
    });

    await step('see products and stock', async () => {
      await expect(page.getByRole('status')).toHaveText(/^Showing \d+ products$/);
      await expect(products.first()).toBeVisible();
      await expect(products.first()).toContainText(/\$\d+\.\d{2}/);
      await expect(products.first()).toContainText(/In stock|Only \d+ left|Sold out/);
      await expect(page.getByText(/^Featured: /)).toBeVisible();
    });

    await step('filter by category', async () => {
      await page.getByRole('button', { name: 'Camp kitchen' }).click();
      await expect(page.getByRole('status')).toHaveText(/^Showing \d+ products? in Camp kitchen$/);
      await expect(products.filter({ hasText: 'Enamel Camp Mug' })).toBeVisible();
      await expect(products.filter({ hasText: 'Trail Runner Shoes' })).toHaveCount(0);
    });
  },
);
