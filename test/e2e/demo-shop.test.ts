import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { NO_FAULTS, parseFaultSpec, type Faults } from '../../src/demo/faults.ts';
import { startShop, type Shop } from '../../src/demo/shop.ts';

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
    postForm: (path: string, form: Record<string, string>) =>
      request(path, { method: 'POST', body: new URLSearchParams(form) }),
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
  assert.match(page, /id="checkout-email" name="email" type="email" autocomplete="email" value="not-an-email" aria-invalid="true" aria-describedby="checkout-email-error"/);
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
  assert.equal((await (await fetch(shop.url + '/__faults')).json()).down, true);
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
  const merged = await put.json();
  assert.equal(merged.delayMs, 5);
  assert.equal(merged.hangPath, '/never');
  assert.deepEqual(await (await putFaults(shop, { jsError: true })).json(), { ...merged, jsError: true });
  assert.deepEqual(shop.faults(), { ...merged, jsError: true });

  const unknown = await putFaults(shop, { explode: true });
  assert.equal(unknown.status, 400);
  const unknownBody = await unknown.json();
  assert.match(unknownBody.error, /unknown fault "explode"/);
  assert.ok(unknownBody.validNames.includes('checkout500'));
  const badValue = await putFaults(shop, { delayMs: -1 });
  assert.equal(badValue.status, 400);
  assert.match((await badValue.json()).error, /delayMs/);
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
  assert.throws(() => parseFaultSpec('checkout500,explode'), (error: Error) => {
    assert.match(error.message, /"explode"/);
    assert.match(error.message, /checkout500, hangPath, delayMs, jsError, hideAddToCart, down, failOneIn/);
    return true;
  });
  assert.throws(() => parseFaultSpec('delayMs=soon'), /"delayMs=soon"/);
  assert.throws(() => parseFaultSpec('delayMs'), /delayMs needs a value/);
  assert.throws(() => parseFaultSpec('hangPath=cart'), /must be a path starting with/);
  assert.throws(() => parseFaultSpec('down=maybe'), /"down=maybe"/);
});
