import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { chromium, expect, type Browser } from '@playwright/test';
import { NO_FAULTS, parseFaultSpec, type Faults } from '../../src/demo/faults.ts';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import type { RunResult } from '../../src/result.ts';
import { CHROMIUM_ARGS, findBrowser } from '../../src/runner/find-browser.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { tempDir } from '../support/temp.ts';

async function openShop(t: TestContext, faults?: Partial<Faults>): Promise<Shop> {
  const shop = await startShop({ port: 0, ...(faults ? { faults } : {}) });
  t.after(() => shop.close());
  return shop;
}

/** A browser-like visitor: keeps the shop_session cookie, does not follow redirects. */
function visitor(shop: Shop) {
  let cookie: string | undefined;
  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(shop.url + path, { ...init, headers, redirect: 'manual' });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) cookie = setCookie.split(';')[0];
    return response;
  }
  return {
    get cookie() {
      return cookie;
    },
    get: (path: string, init: RequestInit = {}) => request(path, init),
    postForm: (path: string, form: Record<string, string>) => request(path, { method: 'POST', body: new URLSearchParams(form) }),
    addToCart: (slug: string, quantity: number) =>
      request('/api/cart', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ slug, quantity }),
      }),
  };
}

const VALID_CHECKOUT = {
  fullName: 'Ada Lovelace',
  email: 'ada@example.com',
  address: '12 Analytical Row',
  city: 'London',
  postalCode: 'NW1 6XE',
  cardNumber: '4242 4242 4242 4242',
};

function putFaults(shop: Shop, body: unknown): Promise<Response> {
  return fetch(`${shop.url}/__faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

test('home lists the products with prices and sets the session cookie', async (t) => {
  const shop = await openShop(t);
  const response = await fetch(shop.url + '/');
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const cookie = response.headers.get('set-cookie') ?? '';
  assert.match(cookie, /^shop_session=[\w-]{22}; Path=\/; HttpOnly; SameSite=Lax$/);
  const page = await response.text();
  assert.match(page, /<h1>Pulse Demo Shop<\/h1>/);
  assert.match(page, /<a class="brand" href="\/">Pulse Demo Shop<\/a>/);
  assert.match(page, /<a class="cart-link" href="\/cart" data-cart-link>Cart \(0\)<\/a>/);
  assert.match(page, /<form role="search" action="\/search"/);
  assert.match(page, /<label for="search-q">Search products<\/label>/);
  assert.match(page, /<ul class="products" aria-label="Products">/);
  assert.match(page, /<a href="\/products\/trail-runner-shoes">Trail Runner Shoes<\/a>/);
  assert.match(page, /\$129\.00/);
  assert.equal(page.match(/<li>/g)?.length, 6);
});

test('search finds, misses and escapes the query', async (t) => {
  const shop = await openShop(t);
  const hit = await (await fetch(`${shop.url}/search?q=MUG`)).text();
  assert.match(hit, /<h1>Search results<\/h1>/);
  assert.match(hit, /value="MUG"/);
  assert.match(hit, /Enamel Camp Mug/);
  assert.doesNotMatch(hit, /Trail Runner Shoes/);

  const byDescription = await (await fetch(`${shop.url}/search?q=usb-c`)).text();
  assert.match(byDescription, /Rechargeable Headlamp/);

  const miss = await (await fetch(`${shop.url}/search?q=${encodeURIComponent('<script>alert(1)</script>')}`)).text();
  assert.match(miss, /<p>No products match “&lt;script&gt;alert\(1\)&lt;\/script&gt;”\.<\/p>/);
  assert.doesNotMatch(miss, /<script>alert/);
  assert.doesNotMatch(miss, /aria-label="Products"/);
});

test('product page has the quantity, the button and the status region; unknown pages are 404', async (t) => {
  const shop = await openShop(t);
  const page = await (await fetch(`${shop.url}/products/alpine-daypack`)).text();
  assert.match(page, /<h1>Alpine Daypack 24L<\/h1>/);
  assert.match(page, /<label for="quantity">Quantity<\/label>/);
  assert.match(page, /<input id="quantity" name="quantity" type="number" min="1" max="10" value="1"/);
  assert.match(page, /<button type="button" id="add-to-cart"[^>]*>Add to cart<\/button>/);
  assert.match(page, /<p role="status" id="cart-status"><\/p>/);
  assert.doesNotMatch(page, /demo fault/);

  const missing = await fetch(`${shop.url}/products/nope`);
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /<h1>Product not found<\/h1>/);
  const unknown = await fetch(`${shop.url}/no/such/page`);
  assert.equal(unknown.status, 404);
  assert.match(await unknown.text(), /<h1>Page not found<\/h1>/);
  assert.equal((await fetch(`${shop.url}/orders/PD-000000`)).status, 404);
});

test('add to cart through the API, then the cart shows the item and total', async (t) => {
  const shop = await openShop(t);
  const v = visitor(shop);
  await v.get('/');
  assert.ok(v.cookie);

  const first = await v.addToCart('trail-runner-shoes', 2);
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { count: 2 });
  assert.deepEqual(await (await v.addToCart('enamel-camp-mug', 1)).json(), { count: 3 });
  assert.equal((await v.addToCart('trail-runner-shoes', 11)).status, 400);
  assert.equal((await v.addToCart('no-such-thing', 1)).status, 404);

  const cart = await (await v.get('/cart')).text();
  assert.match(cart, /<h1>Your cart<\/h1>/);
  assert.match(cart, /Cart \(3\)/);
  assert.match(cart, /<caption>Items in your cart<\/caption>/);
  assert.match(cart, />Quantity for Trail Runner Shoes<\/label>/);
  assert.match(cart, /name="qty\.trail-runner-shoes" type="number" min="0" max="99" value="2"/);
  assert.match(cart, /\$258\.00/); // 2 x 129.00
  assert.match(cart, /<th scope="row" colspan="4">Total<\/th><td>\$272\.00<\/td>/);
  assert.match(cart, /<a class="button" href="\/checkout">Proceed to checkout<\/a>/);

  // Another visitor has their own cart.
  const other = await (await fetch(`${shop.url}/cart`)).text();
  assert.match(other, /Your cart is empty\./);
  assert.match(other, /Continue shopping/);
});

test('cart update changes quantities, 0 and Remove take items out', async (t) => {
  const shop = await openShop(t);
  const v = visitor(shop);
  await v.addToCart('trail-runner-shoes', 1);
  await v.addToCart('insulated-bottle', 1);
  await v.addToCart('merino-hoodie', 1);

  const update = await v.postForm('/cart/update', {
    'qty.trail-runner-shoes': '3',
    'qty.insulated-bottle': '0',
  });
  assert.equal(update.status, 303);
  assert.equal(update.headers.get('location'), '/cart');
  let cart = await (await v.get('/cart')).text();
  assert.match(cart, /name="qty\.trail-runner-shoes" type="number" min="0" max="99" value="3"/);
  assert.doesNotMatch(cart, /Insulated Water Bottle/);
  assert.match(cart, /Cart \(4\)/);

  const remove = await v.postForm('/cart/remove', { slug: 'merino-hoodie' });
  assert.equal(remove.status, 303);
  cart = await (await v.get('/cart')).text();
  assert.doesNotMatch(cart, /Merino Wool Hoodie/);
  assert.match(cart, />Remove<\/button>/);

  await v.postForm('/cart/remove', { slug: 'trail-runner-shoes' });
  cart = await (await v.get('/cart')).text();
  assert.match(cart, /Your cart is empty\./);
  const checkout = await v.get('/checkout');
  assert.equal(checkout.status, 303);
  assert.equal(checkout.headers.get('location'), '/cart');
});

test('checkout rejects bad input with 422, an error summary and linked field errors', async (t) => {
  const shop = await openShop(t);
  const v = visitor(shop);
  await v.addToCart('rechargeable-headlamp', 1);
  const form = await (await v.get('/checkout')).text();
  assert.match(form, /<h1>Checkout<\/h1>/);
  assert.match(form, /<form method="post" action="\/checkout" novalidate>/);
  for (const label of ['Full name', 'Email', 'Address', 'City', 'Postal code', 'Card number']) {
    assert.match(form, new RegExp(`<label for="checkout-\\w+">${label}</label>`));
  }
  assert.match(form, /Order total: <strong>\$49\.00<\/strong>/);
  assert.match(form, /<button type="submit">Place order<\/button>/);

  const response = await v.postForm('/checkout', {
    ...VALID_CHECKOUT,
    fullName: '<b>Eve</b>',
    email: 'not-an-email',
    postalCode: '!',
    cardNumber: '1234',
  });
  assert.equal(response.status, 422);
  const page = await response.text();
  assert.match(page, /<div class="error-summary" role="alert">\s*<h2>Please fix the following<\/h2>/);
  assert.match(page, /value="&lt;b&gt;Eve&lt;\/b&gt;"/);
  assert.match(
    page,
    /id="checkout-email" name="email" type="email" autocomplete="email" value="not-an-email" aria-invalid="true" aria-describedby="checkout-email-error"/,
  );
  assert.match(page, /<p class="field-error" id="checkout-email-error">/);
  assert.match(page, /id="checkout-postalCode"[^>]*aria-invalid="true" aria-describedby="checkout-postalCode-error"/);
  assert.match(page, /id="checkout-cardNumber"[^>]*value=""[^>]*aria-describedby="checkout-cardNumber-hint checkout-cardNumber-error"/);
  assert.match(page, /Card number must be 16 digits/);
  assert.doesNotMatch(page, /id="checkout-city"[^>]*aria-invalid/);

  const declined = await v.postForm('/checkout', { ...VALID_CHECKOUT, cardNumber: '4000 0000 0000 0002' });
  assert.equal(declined.status, 422);
  assert.match(await declined.text(), /Card declined/);

  const empty = await v.postForm('/checkout', {});
  assert.equal(empty.status, 422);
  assert.equal((await empty.text()).match(/<input[^>]*aria-invalid="true"/g)?.length, 6);
});

test('a valid checkout redirects to the order page and empties the cart', async (t) => {
  const shop = await openShop(t);
  const v = visitor(shop);
  await v.addToCart('alpine-daypack', 2);
  const response = await v.postForm('/checkout', { ...VALID_CHECKOUT, cardNumber: '4242424242424242' });
  assert.equal(response.status, 303);
  const location = response.headers.get('location') ?? '';
  assert.match(location, /^\/orders\/PD-\d{6}$/);
  const number = location.slice('/orders/'.length);

  const order = await v.get(location);
  assert.equal(order.status, 200);
  const page = await order.text();
  assert.match(page, /<h1>Thank you for your order<\/h1>/);
  assert.ok(page.includes(`Your order number is <strong data-testid="order-number">${number}</strong>.`));
  assert.match(page, /Alpine Daypack 24L/);
  assert.match(page, /\$178\.00/);
  assert.match(page, /Cart \(0\)/);
});

test('fault checkout500 makes POST /checkout answer 500', async (t) => {
  const shop = await openShop(t, { checkout500: true });
  const v = visitor(shop);
  await v.addToCart('enamel-camp-mug', 1);
  const response = await v.postForm('/checkout', VALID_CHECKOUT);
  assert.equal(response.status, 500);
  assert.match(await response.text(), /<h1>Something went wrong<\/h1>/);
  assert.equal((await v.get('/checkout')).status, 200);
});

test('fault hangPath holds matching requests until close, and close is quick', async (t) => {
  const shop = await openShop(t);
  assert.equal((await putFaults(shop, { hangPath: '/cart' })).status, 200);
  assert.equal((await fetch(shop.url + '/')).status, 200);
  await assert.rejects(fetch(shop.url + '/cart', { signal: AbortSignal.timeout(500) }), { name: 'TimeoutError' });

  const stillHanging = fetch(shop.url + '/cart/update', { method: 'POST', signal: AbortSignal.timeout(5000) });
  stillHanging.catch(() => {}); // observed below
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  await shop.close();
  assert.ok(performance.now() - started < 1000, 'close() returns promptly');
  await assert.rejects(stillHanging, (error: Error) => error.name !== 'TimeoutError');
});

test('fault delayMs delays pages but not the fault switch or health check', async (t) => {
  const shop = await openShop(t, { delayMs: 300 });
  let started = performance.now();
  assert.equal((await fetch(shop.url + '/')).status, 200);
  assert.ok(performance.now() - started >= 295, 'page is delayed');
  started = performance.now();
  assert.equal(await (await fetch(shop.url + '/healthz')).text(), 'ok');
  assert.equal((await fetch(shop.url + '/__faults')).status, 200);
  assert.ok(performance.now() - started < 250, 'control endpoints are not delayed');
});

test('fault jsError puts a throwing script on the product page', async (t) => {
  const shop = await openShop(t, { jsError: true });
  const page = await (await fetch(shop.url + '/products/trail-runner-shoes')).text();
  const script = page.slice(page.indexOf('<script>'));
  assert.ok(script.includes("throw new Error('demo fault: product page script crashed');"));
  assert.ok(script.indexOf('throw new Error') < script.indexOf('addEventListener'));
});

test('fault hideAddToCart removes the button', async (t) => {
  const shop = await openShop(t, { hideAddToCart: true });
  const page = await (await fetch(shop.url + '/products/trail-runner-shoes')).text();
  assert.match(page, /<h1>Trail Runner Shoes<\/h1>/);
  assert.doesNotMatch(page, /<button[^>]*>Add to cart<\/button>/);
});

test('fault down drops every connection except the fault switch', async (t) => {
  const shop = await openShop(t);
  await putFaults(shop, { down: true });
  await assert.rejects(fetch(shop.url + '/'), TypeError);
  await assert.rejects(fetch(shop.url + '/products/alpine-daypack'), TypeError);
  assert.equal(((await (await fetch(shop.url + '/__faults')).json()) as Faults).down, true);
  await fetch(shop.url + '/__faults', { method: 'DELETE' });
  assert.equal((await fetch(shop.url + '/')).status, 200);
});

test('fault failOneIn=3 fails exactly one of three consecutive requests with 503', async (t) => {
  const shop = await openShop(t);
  shop.setFaults({ failOneIn: 3 });
  for (let round = 0; round < 2; round++) {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(shop.url + '/')).status);
    assert.deepEqual(statuses, [200, 200, 503]);
  }
  const unavailable = await fetch(shop.url + '/search?q=x');
  await fetch(shop.url + '/search?q=x');
  const third = await fetch(shop.url + '/search?q=x');
  assert.equal(unavailable.status, 200);
  assert.equal(third.status, 503);
  assert.match(await third.text(), /<h1>Service temporarily unavailable<\/h1>/);
  // Health and fault switch are not counted.
  for (let i = 0; i < 4; i++) assert.equal((await fetch(shop.url + '/healthz')).status, 200);
});

test('fault switch API: GET, PUT merges, bad PUT is 400, DELETE resets', async (t) => {
  const shop = await openShop(t);
  assert.deepEqual(await (await fetch(shop.url + '/__faults')).json(), { ...NO_FAULTS });

  const put = await putFaults(shop, { delayMs: 5, hangPath: '/never' });
  assert.equal(put.status, 200);
  const merged = (await put.json()) as Faults;
  assert.equal(merged.delayMs, 5);
  assert.equal(merged.hangPath, '/never');
  assert.deepEqual(await (await putFaults(shop, { jsError: true })).json(), { ...merged, jsError: true });
  assert.deepEqual(shop.faults(), { ...merged, jsError: true });

  const unknown = await putFaults(shop, { explode: true });
  assert.equal(unknown.status, 400);
  const unknownBody = (await unknown.json()) as { error: string; validNames: string[] };
  assert.match(unknownBody.error, /unknown fault "explode"/);
  assert.ok(unknownBody.validNames.includes('checkout500'));
  const badValue = await putFaults(shop, { delayMs: -1 });
  assert.equal(badValue.status, 400);
  assert.match(((await badValue.json()) as { error: string }).error, /delayMs/);
  assert.equal((await putFaults(shop, 'nonsense')).status, 400);
  assert.equal(shop.faults().jsError, true, 'bad input changes nothing');

  const reset = await fetch(shop.url + '/__faults', { method: 'DELETE' });
  assert.deepEqual(await reset.json(), { ...NO_FAULTS });
  assert.deepEqual(shop.faults(), { ...NO_FAULTS });
  assert.throws(() => shop.setFaults({ failOneIn: 1.5 }), /failOneIn/);
});

test('parseFaultSpec reads good specs and names the bad token', () => {
  assert.deepEqual(parseFaultSpec('checkout500,delayMs=200,hangPath=/cart,failOneIn=3,jsError'), {
    checkout500: true,
    delayMs: 200,
    hangPath: '/cart',
    failOneIn: 3,
    jsError: true,
  });
  assert.deepEqual(parseFaultSpec(' down , hideAddToCart=false ,'), { down: true, hideAddToCart: false });
  assert.deepEqual(parseFaultSpec(''), {});
  assert.throws(
    () => parseFaultSpec('checkout500,explode'),
    (error: Error) => {
      assert.match(error.message, /"explode"/);
      assert.match(error.message, /checkout500, hangPath, delayMs, jsError, hideAddToCart, down, failOneIn/);
      return true;
    },
  );
  assert.throws(() => parseFaultSpec('delayMs=soon'), /"delayMs=soon"/);
  assert.throws(() => parseFaultSpec('delayMs'), /delayMs needs a value/);
  assert.throws(() => parseFaultSpec('hangPath=cart'), /must be a path starting with/);
  assert.throws(() => parseFaultSpec('down=maybe'), /"down=maybe"/);
});

test('catalog API: categories with counts, products by category with their pictures, stock by product, the featured product; unknown ones are 404', async (t) => {
  const shop = await openShop(t);
  const json = async (path: string) => {
    const response = await fetch(shop.url + path);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/, path);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const categories = await json('/api/catalog/categories');
  assert.equal(categories.status, 200);
  assert.deepEqual(categories.body.categories, [
    { slug: 'footwear', name: 'Footwear', count: 1 },
    { slug: 'packs', name: 'Packs', count: 1 },
    { slug: 'clothing', name: 'Clothing', count: 1 },
    { slug: 'camp-kitchen', name: 'Camp kitchen', count: 2 },
    { slug: 'lighting', name: 'Lighting', count: 1 },
  ]);

  const all = (await json('/api/catalog/products')).body.products as { slug: string; priceCents: number; category: string; image: string }[];
  assert.equal(all.length, 6);
  assert.deepEqual(all[0], {
    slug: 'trail-runner-shoes',
    name: 'Trail Runner Shoes',
    description: 'Lightweight running shoes with a grippy sole for muddy paths and rocky climbs.',
    priceCents: 12900,
    category: 'footwear',
    image: '/assets/catalog/products/trail-runner-shoes.svg',
  });
  const kitchen = (await json('/api/catalog/products?category=camp-kitchen')).body.products as { slug: string }[];
  assert.deepEqual(
    kitchen.map((p) => p.slug),
    ['insulated-bottle', 'enamel-camp-mug'],
  );
  const image = await fetch(shop.url + all[0].image);
  assert.equal(image.status, 200);
  assert.equal(image.headers.get('content-type'), 'image/svg+xml');
  assert.match(await image.text(), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);

  assert.deepEqual((await json('/api/catalog/stock?slugs=merino-hoodie,enamel-camp-mug')).body, { stock: { 'merino-hoodie': 0, 'enamel-camp-mug': 61 } });
  assert.deepEqual((await json('/api/catalog/stock?slugs=')).body, { stock: {} });
  assert.deepEqual((await json('/api/catalog/featured')).body, { product: { ...all[1], slug: 'alpine-daypack' } });

  assert.equal((await json('/api/catalog/products?category=boats')).status, 404);
  assert.deepEqual(await json('/api/catalog/stock?slugs=merino-hoodie,canoe'), { status: 404, body: { error: 'Unknown product "canoe"' } });
});

test('the catalog page links its own stylesheets and scripts; the files come with their types and may be cached, the font is TrueType; an unknown file is 404', async (t) => {
  const shop = await openShop(t);
  const response = await fetch(`${shop.url}/catalog`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-store', 'the page itself is not cached');
  const page = await response.text();
  assert.match(page, /<h1>Catalog<\/h1>/);
  assert.match(page, /<ul id="catalog-products" class="catalog-grid" aria-label="Catalog" aria-busy="true"><\/ul>/);
  const stylesheets = [...page.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1]!);
  const scripts = [...page.matchAll(/<script defer src="([^"]+)"><\/script>/g)].map((m) => m[1]!);
  assert.equal(stylesheets.length, 5);
  assert.equal(scripts.length, 5);
  for (const [paths, type] of [
    [stylesheets, 'text/css; charset=utf-8'],
    [scripts, 'text/javascript; charset=utf-8'],
  ] as const) {
    for (const path of paths) {
      assert.match(path, /^\/assets\/catalog\//);
      const asset = await fetch(shop.url + path);
      assert.equal(asset.status, 200, path);
      assert.equal(asset.headers.get('content-type'), type, path);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=86400', path);
      assert.ok((await asset.text()).length > 50, `${path} has a body`);
    }
  }
  const font = await fetch(`${shop.url}/assets/catalog/icons.ttf`);
  assert.equal(font.headers.get('content-type'), 'font/ttf');
  assert.equal(Buffer.from(await font.arrayBuffer()).readUInt32BE(0), 0x00010000, 'a TrueType outline font');
  assert.equal((await fetch(`${shop.url}/assets/catalog/nope.css`)).status, 404);
  assert.equal((await fetch(`${shop.url}/assets/catalog/..%2F..%2Fhealthz`)).status, 404, 'a file name, never a path');
  assert.match(await (await fetch(`${shop.url}/`)).text(), /<a href="\/catalog">Browse the catalog by category<\/a>/);
});

test("fault failOneIn does not count the catalog page's files: every 2nd page or API request fails, assets never", async (t) => {
  const shop = await openShop(t, { failOneIn: 2 });
  const statuses: string[] = [];
  for (const path of ['/catalog', '/assets/catalog/base.css', '/assets/catalog/main.js', '/api/catalog/categories', '/assets/catalog/logo.svg']) {
    statuses.push(`${path} ${(await fetch(shop.url + path)).status}`);
  }
  assert.deepEqual(statuses, [
    '/catalog 200',
    '/assets/catalog/base.css 200',
    '/assets/catalog/main.js 200',
    '/api/catalog/categories 503',
    '/assets/catalog/logo.svg 200',
  ]);
});

describe('the catalog page in a browser', () => {
  let shop: Shop;
  let browser: Browser;
  before(async () => {
    shop = await startShop();
    browser = await chromium.launch({ executablePath: findBrowser().executablePath, args: [...CHROMIUM_ARGS] });
  });
  after(async () => {
    await browser?.close();
    await shop?.close();
  });

  test(
    'each fresh context fetches 20 or more of its own static files over the network (stylesheets, scripts, images, a font), and the API calls answer and fill the page',
    { timeout: 60_000 },
    async () => {
      for (const round of [1, 2]) {
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          const responses: { url: string; type: string; status: number; contentType: string }[] = [];
          page.on('response', (response) =>
            responses.push({
              url: response.url(),
              type: response.request().resourceType(),
              status: response.status(),
              contentType: response.headers()['content-type'] ?? '',
            }),
          );
          await page.goto(`${shop.url}/catalog`);
          await expect(page.getByRole('status')).toHaveText('Showing 6 products');
          await expect(page.getByRole('list', { name: 'Catalog' }).getByRole('listitem')).toHaveCount(6);
          await expect(page.getByText('Featured: Alpine Daypack 24L at $89.00')).toBeVisible();
          await expect(page.getByRole('listitem').filter({ hasText: 'Merino Wool Hoodie' })).toContainText('Sold out');
          await page.evaluate(async () => {
            await document.fonts.ready;
            await Promise.all(Array.from(document.images).map((image) => image.decode().catch(() => undefined)));
          });
          const ownStatic = () => responses.filter((r) => r.url.startsWith(`${shop.url}/`) && ['stylesheet', 'script', 'image', 'font'].includes(r.type));
          await expect.poll(() => ownStatic().length, { message: `round ${round}: own static files` }).toBeGreaterThanOrEqual(20);
          const files = ownStatic();
          assert.deepEqual(
            files.filter((r) => r.status !== 200),
            [],
            `round ${round}: every file answered`,
          );
          assert.equal(new Set(files.map((r) => r.url)).size, files.length, 'each file once');
          for (const type of ['stylesheet', 'script', 'image', 'font'])
            assert.ok(
              files.some((r) => r.type === type),
              `round ${round}: a ${type}`,
            );
          // Not from a cache: a fresh context starts with an empty one, so every file crossed the network.
          const fromNetwork = await page.evaluate(() =>
            performance
              .getEntriesByType('resource')
              .filter((e) => (e as PerformanceResourceTiming).transferSize > 0)
              .map((e) => e.name),
          );
          assert.deepEqual(
            files.map((r) => r.url).filter((url) => !fromNetwork.includes(url)),
            [],
            `round ${round}: fetched, not cached`,
          );

          const api = responses.filter((r) => r.url.startsWith(`${shop.url}/api/`));
          assert.deepEqual(api.map((r) => new URL(r.url).pathname).sort(), [
            '/api/catalog/categories',
            '/api/catalog/featured',
            '/api/catalog/products',
            '/api/catalog/stock',
          ]);
          for (const call of api) {
            assert.equal(call.type, 'fetch', call.url);
            assert.equal(call.status, 200, call.url);
            assert.match(call.contentType, /^application\/json/, call.url);
          }
        } finally {
          await context.close();
        }
      }
    },
  );

  test('a category filter asks the API again and shows only its products; with the API failing the page says so', { timeout: 60_000 }, async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`${shop.url}/catalog`);
    await expect(page.getByRole('status')).toHaveText('Showing 6 products');
    const asked = page.waitForResponse((r) => r.url() === `${shop.url}/api/catalog/products?category=camp-kitchen` && r.status() === 200);
    await page.getByRole('button', { name: 'Camp kitchen' }).click();
    await asked;
    await expect(page.getByRole('status')).toHaveText('Showing 2 products in Camp kitchen');
    await expect(page.getByRole('list', { name: 'Catalog' }).getByRole('link')).toHaveText(['Insulated Water Bottle', 'Enamel Camp Mug']);
    await expect(page.getByRole('button', { name: 'Camp kitchen' })).toHaveAttribute('aria-pressed', 'true');

    shop.setFaults({ api500: true });
    t.after(() => shop.resetFaults());
    await page.reload();
    await expect(page.getByRole('status')).toHaveText('Sorry, the catalog could not be loaded. Please try again.');
    await expect(page.getByRole('list', { name: 'Catalog' }).getByRole('listitem')).toHaveCount(0);
  });

  test(
    'the catalog journey passes against the shop with its three steps, and fails at the step that waits for the API when the API answers 500',
    { timeout: 180_000 },
    async (t) => {
      const once = async (extra: string[] = []) => {
        const run = await runPulse(['once', 'catalog', '--base-url', shop.url, '--data-dir', tempDir(t), '--json', ...extra], { timeoutMs: 120_000 });
        const [result] = JSON.parse(run.stdout) as RunResult[];
        assert.ok(result, `${run.stdout}\n${run.stderr}`);
        return { code: run.code, result };
      };
      const good = await once();
      assert.equal(good.code, 0, JSON.stringify(good.result.error));
      assert.equal(good.result.status, 'success');
      assert.deepEqual(
        good.result.steps.map((s) => [s.name, s.status]),
        [
          ['open catalog', 'passed'],
          ['see products and stock', 'passed'],
          ['filter by category', 'passed'],
        ],
      );

      shop.setFaults({ api500: true });
      t.after(() => shop.resetFaults());
      const bad = await once(['--retries', '0']);
      assert.equal(bad.code, 1);
      assert.equal(bad.result.status, 'failure');
      assert.equal(bad.result.error?.step, 'see products and stock');
      assert.equal(bad.result.cause, 'target');
    },
  );
});
