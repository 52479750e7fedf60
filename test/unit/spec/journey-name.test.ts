// The journey name of a spec test: its file, titles and project, made a label-safe name that stays
// the same from one load to the next (it names the metrics' series, evidence folders and URLs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { journeyName, slug } from '../../../src/registry/import-spec.ts';
import { NAME_PATTERN } from '../../../src/registry/name-pattern.ts';

test('file, titles and project make the name; the file suffix goes; a describe named like its file is said once', () => {
  const cases: [string, string[], string, string][] = [
    ['/suite/tests/shop.spec.ts', ['Shop', 'a shopper buys a headlamp'], 'desktop', 'shop-a-shopper-buys-a-headlamp-desktop'],
    ['/suite/tests/shop.spec.ts', ['shop', 'a shopper buys a headlamp'], '', 'shop-a-shopper-buys-a-headlamp'],
    ['/suite/tests/shop.spec.ts', ['checkout', 'pays'], 'Mobile Safari', 'shop-checkout-pays-mobile-safari'],
    ['/suite/tests/my-shop.test.mjs', ['My Shop!', 'buys'], '', 'my-shop-buys'],
    ['/suite/tests/auth.setup.ts', ['sign in'], 'setup', 'auth-sign-in-setup'],
    ['/suite/tests/plain.cjs', ['works'], '', 'plain-works'],
    ['/suite/tests/cart.spec.jsx', ['cart', 'cart'], '', 'cart-cart'],
    ['/suite/tests/shop.spec.ts', ['Shop'], '', 'shop'],
    ['/suite/tests/shop.spec.ts', ['search @smoke'], 'chromium', 'shop-search-smoke-chromium'],
  ];
  for (const [file, titles, project, name] of cases) assert.equal(journeyName(file, titles, project), name, `${file} ${titles.join(' › ')} [${project}]`);
});

test('accents and letters of other alphabets keep a readable name, emoji and punctuation go', () => {
  assert.equal(slug('Café Über Straße'), 'cafe-uber-strasse');
  assert.equal(slug('Ærøskøbing Łódź Þórr Œuvre đồng'), 'aeroskobing-lodz-thorr-oeuvre-dong');
  assert.equal(slug('🛒  add to cart  🛒'), 'add-to-cart');
  assert.equal(slug('--a__b..c--'), 'a-b-c');
  assert.equal(slug('ﬁle ①'), 'file-1');
  for (const text of ['', '🛒', '  --  ', '日本語']) assert.match(slug(text), NAME_PATTERN, JSON.stringify(text));
});

test('a title with nothing to spell it in a name is told apart by a short hash, the same on every load', () => {
  const buy = journeyName('/suite/shop.spec.ts', ['購入する'], 'desktop');
  const search = journeyName('/suite/shop.spec.ts', ['検索する'], 'desktop');
  assert.match(buy, /^shop-[0-9a-f]{6}-desktop$/);
  assert.notEqual(buy, search);
  assert.equal(journeyName('/suite/shop.spec.ts', ['購入する'], 'desktop'), buy);
  assert.match(journeyName('/suite/🛒.spec.ts', ['🛒'], ''), NAME_PATTERN);
});

test('a long title path is cut to a name a file system takes, kept apart from its neighbours by a hash', () => {
  const long = 'a shopper who has signed in with a one-time code buys two headlamps, pays by card and sees the order number';
  const first = journeyName('/suite/tests/checkout.spec.ts', ['checkout with every payment method there is', long, 'first'], 'desktop-chrome-high-dpi');
  const second = journeyName('/suite/tests/checkout.spec.ts', ['checkout with every payment method there is', long, 'second'], 'desktop-chrome-high-dpi');
  for (const name of [first, second]) {
    assert.match(name, NAME_PATTERN);
    assert.ok(name.length <= 100, `${name.length} characters`);
    assert.ok(name.startsWith('checkout-checkout-with-every-payment-method'), name);
  }
  assert.notEqual(first, second);
  assert.equal(journeyName('/suite/tests/checkout.spec.ts', ['checkout with every payment method there is', long, 'first'], 'desktop-chrome-high-dpi'), first);
  // A name that fits is never cut.
  assert.equal(journeyName('/suite/a.spec.ts', ['x'.repeat(90)], ''), `a-${'x'.repeat(90)}`);
});

test('every name made is label-safe, whatever the titles', () => {
  const titles = ['', ' ', '@', 'Ünïcödé', '日本語', '🙂', 'it\'s "quoted"', 'tab\there', 'new\nline', 'x'.repeat(400), '-leading', 'trailing-'];
  for (const title of titles)
    for (const project of ['', 'Mobile Safari', '🙂'])
      assert.match(journeyName('/suite/shop.spec.ts', ['Shop', title], project), NAME_PATTERN, `${JSON.stringify(title)} [${project}]`);
});
