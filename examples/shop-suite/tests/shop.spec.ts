import { test, expect, TEST_CUSTOMER } from './fixtures.ts';

interface CategoriesResponse {
  categories: { slug: string; name: string; count: number }[];
}

interface ProductsResponse {
  products: { slug: string; name: string; priceCents: number; category: string }[];
}

interface StockResponse {
  stock: Record<string, number>;
}

// Every test in here is a monitor, run every minute: the shop's front door, search and checkout.
test.describe('shop', { tag: '@monitor', annotation: { type: 'schedule', description: '*/1 * * * *' } }, () => {
  test.beforeEach(async ({ page }) => {
    await page.goto('/');
  });

  test('the home page lists products with prices', async ({ page, shop }) => {
    await test.step('see the shop', async () => {
      await expect(page).toHaveTitle('Pulse Demo Shop');
      await expect(shop.heading).toHaveText('Pulse Demo Shop');
      await expect(shop.cartLink).toHaveText('Cart (0)');
    });

    await test.step('see products with prices', async () => {
      await expect(shop.products.first()).toBeVisible();
      await expect(shop.products.first()).toContainText(/\$\d+\.\d{2}/);
    });

    await test.step('open the catalog', async () => {
      await page.getByRole('link', { name: 'Browse the catalog by category' }).click();
      await expect(shop.heading).toHaveText('Catalog');
      await expect(shop.status).toHaveText(/^Showing \d+ products$/);
    });
  });

  test('search finds a product and says when nothing matches', async ({ shop }) => {
    await test.step('search for a mug', async () => {
      await shop.search('mug');
      await expect(shop.heading).toHaveText('Search results');
      await expect(shop.products.first()).toContainText(/mug/i);
    });

    await test.step('open the mug', async () => {
      await shop.openProduct(/mug/i);
      await expect(shop.heading).toContainText(/mug/i);
      await expect(shop.page.getByText(/^\$\d+\.\d{2}$/)).toBeVisible();
    });

    await test.step('search without a match', async () => {
      await shop.goto();
      await shop.search('zzz-no-such-product');
      await expect(shop.page.getByText(/No products match/)).toBeVisible();
      await expect(shop.products).toHaveCount(0);
    });
  });

  test('a shopper buys a headlamp', async ({ shop }) => {
    await test.step('put two headlamps in the cart', async () => {
      await test.step('find the headlamp', async () => {
        await shop.search('headlamp');
        await shop.openProduct(/headlamp/i);
        await expect(shop.heading).toContainText(/headlamp/i);
      });

      await test.step('add two', async () => {
        await shop.addToCart(2);
        await expect(shop.status).toContainText('Added 2');
        await expect(shop.cartLink).toHaveText('Cart (2)');
      });
    });

    await test.step('review the cart', async () => {
      await shop.openCart();
      await expect(shop.heading).toHaveText('Your cart');
      await expect(shop.page.getByRole('table', { name: 'Items in your cart' })).toContainText(/headlamp/i);
    });

    await test.step('pay with the test card', async () => {
      await shop.checkOut(TEST_CUSTOMER);
    });

    await test.step('see the order number', async () => {
      await expect(shop.heading).toHaveText('Thank you for your order');
      await expect(shop.page.getByTestId('order-number')).toHaveText(/^PD-\d{6}$/);
    });
  });

  // The API behind the catalog page changes less often than the pages: every other minute is enough.
  test('the catalog API answers', { annotation: { type: 'schedule', description: '*/2 * * * *' } }, async ({ request }) => {
    let categories: CategoriesResponse['categories'] = [];

    await test.step('list the categories', async () => {
      const response = await request.get('/api/catalog/categories');
      await expect(response).toBeOK();
      ({ categories } = (await response.json()) as CategoriesResponse);
      expect(categories).toContainEqual(expect.objectContaining({ slug: 'camp-kitchen', name: 'Camp kitchen' }));
    });

    await test.step('list the products of a category', async () => {
      const response = await request.get('/api/catalog/products', { params: { category: 'camp-kitchen' } });
      await expect(response).toBeOK();
      const { products } = (await response.json()) as ProductsResponse;
      expect(products).toHaveLength(categories.find((c) => c.slug === 'camp-kitchen')?.count ?? -1);
      expect(products.map((p) => p.category)).toEqual(products.map(() => 'camp-kitchen'));
    });

    await test.step('read the stock', async () => {
      const response = await request.get('/api/catalog/stock', { params: { slugs: 'enamel-camp-mug,rechargeable-headlamp' } });
      await expect(response).toBeOK();
      const { stock } = (await response.json()) as StockResponse;
      expect(Object.keys(stock).sort()).toEqual(['enamel-camp-mug', 'rechargeable-headlamp']);
      expect(stock['enamel-camp-mug']).toBeGreaterThan(0);
    });

    await test.step('an unknown category is a 404', async () => {
      const response = await request.get('/api/catalog/products', { params: { category: 'no-such-category' } });
      expect(response.status()).toBe(404);
    });
  });

  // The shop has no wishlist yet: the test says what it will do once it has one.
  test.fixme('a shopper saves a product to the wishlist', async ({ shop }) => {
    await shop.openProduct('Enamel Camp Mug');
    await shop.page.getByRole('button', { name: 'Save to wishlist' }).click();
    await expect(shop.status).toContainText('Saved');
  });
});

// Not a monitor (no schedule): run by `npx playwright test` and in CI only.
test('a product the shop does not sell is a 404 page', async ({ page, shop }) => {
  await test.step('open the missing product', async () => {
    const response = await page.goto('/products/no-such-product');
    expect(response?.status()).toBe(404);
    await expect(shop.heading).toHaveText('Product not found');
  });

  await test.step('go back to the shop', async () => {
    await page.getByRole('link', { name: 'Back to the shop' }).click();
    await expect(shop.heading).toHaveText('Pulse Demo Shop');
  });
});

// Where the page was when a test failed, for whoever reads the report.
test.afterEach(async ({ page }, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) {
    await testInfo.attach('last page', { body: page.url(), contentType: 'text/uri-list' });
  }
});
