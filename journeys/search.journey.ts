import { expect, journey } from 'pulse';

// Customers who cannot find a product cannot buy it: search must answer, and must say so when nothing matches.
export default journey(
  {
    name: 'search',
    schedule: '*/1 * * * *',
    timeout: '30s',
    stepTimeout: '10s',
    retries: 1,
    tags: ['shop'],
  },
  async ({ page, step, params }) => {
    await step('open home', async () => {
      await page.goto(params.baseUrl);
      await expect(page.getByRole('list', { name: 'Products' }).getByRole('listitem').first()).toBeVisible();
    });

    await step('search finds products', async () => {
      await page.getByLabel('Search products').fill('mug');
      await page.getByRole('button', { name: 'Search' }).click();
      const results = page.getByRole('list', { name: 'Products' }).getByRole('link');
      await expect(results.first()).toContainText(/mug/i);
    });

    await step('open a product', async () => {
      await page.getByRole('list', { name: 'Products' }).getByRole('link').first().click();
      await expect(page.getByRole('heading', { level: 1 })).toContainText(/mug/i);
      await expect(page.getByText(/\$\d+\.\d{2}/).first()).toBeVisible();
    });

    await step('search without a match says so', async () => {
      await page.getByRole('link', { name: 'Pulse Demo Shop' }).click();
      await page.getByLabel('Search products').fill('zzz-no-such-product');
      await page.getByRole('button', { name: 'Search' }).click();
      await expect(page.getByText(/No products match/)).toBeVisible();
    });
  },
);
