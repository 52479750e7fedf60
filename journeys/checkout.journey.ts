import { expect, journey } from 'pulse';

// The one journey that says customers can still buy: find a product, add it, pay, get an order number.
export default journey(
  {
    name: 'checkout',
    schedule: '*/1 * * * *',
    timeout: '45s',
    stepTimeout: '15s',
    retries: 1,
    tags: ['shop', 'critical'],
  },
  async ({ page, step, params }) => {
    await step('open home', async () => {
      await page.goto(params.baseUrl);
      await expect(page.getByRole('heading', { level: 1, name: 'Pulse Demo Shop' })).toBeVisible();
    });

    await step('search for a product', async () => {
      await page.getByLabel('Search products').fill('headlamp');
      await page.getByRole('button', { name: 'Search' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Search results' })).toBeVisible();
      await page.getByRole('list', { name: 'Products' }).getByRole('link').first().click();
      await expect(page.getByRole('heading', { level: 1 })).toContainText(/headlamp/i);
    });

    await step('add to cart', async () => {
      const addToCart = page.getByRole('button', { name: 'Add to cart' });
      await expect(addToCart).toBeEnabled();
      await page.getByLabel('Quantity').fill('2');
      await addToCart.click();
      await expect(page.getByRole('status')).toContainText('Added 2');
      await expect(page.getByRole('link', { name: 'Cart (2)' })).toBeVisible();
    });

    await step('review cart', async () => {
      await page.getByRole('link', { name: /^Cart/ }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Your cart' })).toBeVisible();
      await expect(page.getByRole('table', { name: 'Items in your cart' })).toContainText(/headlamp/i);
      await page.getByRole('link', { name: 'Proceed to checkout' }).click();
    });

    await step('check out', async () => {
      await expect(page.getByRole('heading', { level: 1, name: 'Checkout' })).toBeVisible();
      await page.getByLabel('Full name').fill('Pat Prober');
      await page.getByLabel('Email').fill(params.email ?? 'pat.prober@example.com');
      await page.getByLabel('Address').fill('1 Synthetic Way');
      await page.getByLabel('City').fill('Springfield');
      await page.getByLabel('Postal code').fill('12345');
      await page.getByLabel('Card number').fill(params.cardNumber ?? '4242 4242 4242 4242');
      await page.getByRole('button', { name: 'Place order' }).click();
    });

    await step('see order number', async () => {
      await expect(page.getByRole('heading', { level: 1, name: 'Thank you for your order' })).toBeVisible();
      await expect(page.getByTestId('order-number')).toHaveText(/^PD-\d{6}$/);
    });
  },
);
