import type { FastifyReply } from 'fastify';
import { formatPrice, type Product } from './catalog.ts';
import { CATALOG_SCRIPTS, CATALOG_STYLESHEETS, catalogImageUrl } from './catalog-assets.ts';
import type { CartLine } from './cart-store.ts';
import { CHECKOUT_FIELDS, TEST_CARD, type CheckoutErrors, type CheckoutValues } from './checkout-form.ts';
import { html, raw, type SafeHtml } from '../html.ts';
import { STAR } from './icon-font.ts';
import { layout } from './layout.ts';
import type { Order } from './order-store.ts';

/** What every page needs to know about the visitor. */
export interface PageContext {
  cartCount: number;
}

/** Sends a page as the answer, with its status. */
export function sendPage(reply: FastifyReply, status: number, page: SafeHtml): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(page.value);
}

function searchForm(query: string): SafeHtml {
  return html`<form role="search" action="/search" method="get">
<div>
<label for="search-q">Search products</label>
<input id="search-q" name="q" type="search" value="${query}">
</div>
<button type="submit">Search</button>
</form>`;
}

function productList(products: readonly Product[]): SafeHtml {
  return html`<ul class="products" aria-label="Products">
${products.map(
  (p) => html`<li>
<a href="/products/${p.slug}">${p.name}</a>
<p>${p.description}</p>
<p class="price">${formatPrice(p.priceCents)}</p>
</li>
`,
)}</ul>`;
}

export function homePage(ctx: PageContext, products: readonly Product[]): SafeHtml {
  return layout({
    title: 'Pulse Demo Shop',
    cartCount: ctx.cartCount,
    body: html`<h1>Pulse Demo Shop</h1>
<p>Gear for the trail, the hills and the campsite. <a href="/catalog">Browse the catalog by category</a>.</p>
${searchForm('')}
${productList(products)}`,
  });
}

export function searchPage(ctx: PageContext, query: string, products: readonly Product[]): SafeHtml {
  return layout({
    title: 'Search results',
    cartCount: ctx.cartCount,
    body: html`<h1>Search results</h1>
${searchForm(query)}
${products.length > 0 ? productList(products) : html`<p>No products match “${query}”.</p>`}`,
  });
}

/**
 * The catalog: a page shell with its own stylesheets, scripts, images and font; the products, their
 * stock, the categories and the featured product come from the shop's JSON API once the page runs.
 */
export function catalogPage(ctx: PageContext): SafeHtml {
  return layout({
    title: 'Catalog',
    cartCount: ctx.cartCount,
    head: raw(
      [
        ...CATALOG_STYLESHEETS.map((href) => html`<link rel="stylesheet" href="${href}">`),
        ...CATALOG_SCRIPTS.map((src) => html`<script defer src="${src}"></script>`),
      ]
        .map((tag) => tag.value)
        .join('\n'),
    ),
    body: html`<div class="catalog">
<section class="catalog-banner">
<img src="${catalogImageUrl('logo.svg')}" alt="" width="64" height="64">
<div>
<p><span class="stars" aria-hidden="true">${STAR.repeat(5)}</span> Loved by people who walk far</p>
<p id="catalog-featured">Finding today's pick…</p>
</div>
</section>
<h1>Catalog</h1>
<ul class="perks">
<li><img src="${catalogImageUrl('icon-truck.svg')}" alt="" width="20" height="20"> Free shipping over $50</li>
<li><img src="${catalogImageUrl('icon-return.svg')}" alt="" width="20" height="20"> 30-day returns</li>
</ul>
<div class="catalog-layout">
<section class="catalog-filters" aria-labelledby="catalog-filters-heading">
<h2 id="catalog-filters-heading"><img src="${catalogImageUrl('icon-filter.svg')}" alt="" width="20" height="20"> Categories</h2>
<div id="catalog-filters" role="group" aria-labelledby="catalog-filters-heading"></div>
</section>
<div>
<p role="status" id="catalog-status">Loading the catalog…</p>
<ul id="catalog-products" class="catalog-grid" aria-label="Catalog" aria-busy="true"></ul>
</div>
</div>
</div>`,
  });
}

// Reads everything it needs from data attributes, so no product data is ever spliced into script text.
const ADD_TO_CART_SCRIPT = `
(() => {
  const button = document.getElementById('add-to-cart');
  const quantityInput = document.getElementById('quantity');
  const status = document.getElementById('cart-status');
  const cartLink = document.querySelector('[data-cart-link]');
  if (!button || !quantityInput || !status) return;
  button.addEventListener('click', async () => {
    const quantity = Number(quantityInput.value);
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 10) {
      status.textContent = 'Enter a quantity from 1 to 10.';
      return;
    }
    button.disabled = true;
    status.textContent = '';
    try {
      const response = await fetch('/api/cart', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ slug: button.dataset.slug, quantity }),
      });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const { count } = await response.json();
      if (cartLink) cartLink.textContent = 'Cart (' + count + ')';
      status.textContent = 'Added ' + quantity + ' \\u00d7 ' + button.dataset.name + ' to your cart.';
    } catch {
      status.textContent = 'Sorry, we could not add this to your cart. Please try again.';
    } finally {
      button.disabled = false;
    }
  });
})();
`;

const JS_ERROR_LINE = "throw new Error('demo fault: product page script crashed');";

export interface ProductPageOptions {
  product: Product;
  /** hideAddToCart fault. */
  hideAddToCart: boolean;
  /** jsError fault. */
  jsError: boolean;
  /** thirdPartyScript fault: "Add to cart" waits for this script from another origin. */
  thirdPartyScript?: string | null;
}

export function productPage(ctx: PageContext, { product, hideAddToCart, jsError, thirdPartyScript }: ProductPageOptions): SafeHtml {
  return layout({
    title: product.name,
    cartCount: ctx.cartCount,
    body: html`<article class="product">
<h1>${product.name}</h1>
<p>${product.description}</p>
<p class="price">${formatPrice(product.priceCents)}</p>
<div class="buy">
<div>
<label for="quantity">Quantity</label>
<input id="quantity" name="quantity" type="number" min="1" max="10" value="1" inputmode="numeric">
</div>
${hideAddToCart ? '' : html`<button type="button" id="add-to-cart" data-slug="${product.slug}" data-name="${product.name}"${thirdPartyScript ? raw(' disabled') : ''}>Add to cart</button>`}
</div>
${thirdPartyScript ? html`<script src="${thirdPartyScript}" onload="document.getElementById('add-to-cart')?.removeAttribute('disabled')"></script>` : ''}
<p role="status" id="cart-status"></p>
<p><a href="/">Back to all products</a></p>
</article>`,
    script: raw((jsError ? `\n${JS_ERROR_LINE}\n` : '') + ADD_TO_CART_SCRIPT),
  });
}

export function cartPage(ctx: PageContext, lines: readonly CartLine[]): SafeHtml {
  if (lines.length === 0) {
    return layout({
      title: 'Your cart',
      cartCount: ctx.cartCount,
      body: html`<h1>Your cart</h1>
<p>Your cart is empty.</p>
<p><a href="/">Continue shopping</a></p>`,
    });
  }
  const total = lines.reduce((sum, line) => sum + line.lineCents, 0);
  // One update form for the whole table; the Remove buttons belong to a separate form through
  // their form attribute, so pressing Enter in a quantity input still means "Update cart".
  return layout({
    title: 'Your cart',
    cartCount: ctx.cartCount,
    body: html`<h1>Your cart</h1>
<form method="post" action="/cart/update">
<table>
<caption>Items in your cart</caption>
<thead>
<tr><th scope="col">Product</th><th scope="col">Price</th><th scope="col">Quantity</th><th scope="col"><span class="visually-hidden">Remove</span></th><th scope="col">Total</th></tr>
</thead>
<tbody>
${lines.map(
  ({ product, quantity, lineCents }) => html`<tr>
<th scope="row"><a href="/products/${product.slug}">${product.name}</a></th>
<td>${formatPrice(product.priceCents)}</td>
<td><label class="visually-hidden" for="qty-${product.slug}">Quantity for ${product.name}</label><input id="qty-${product.slug}" name="qty.${product.slug}" type="number" min="0" max="99" value="${quantity}" inputmode="numeric"></td>
<td><button type="submit" class="secondary" form="remove-item" name="slug" value="${product.slug}">Remove</button></td>
<td>${formatPrice(lineCents)}</td>
</tr>
`,
)}</tbody>
<tfoot>
<tr><th scope="row" colspan="4">Total</th><td>${formatPrice(total)}</td></tr>
</tfoot>
</table>
<div class="actions">
<button type="submit" class="secondary">Update cart</button>
<a class="button" href="/checkout">Proceed to checkout</a>
</div>
</form>
<form id="remove-item" method="post" action="/cart/remove"></form>
<p><a href="/">Continue shopping</a></p>`,
  });
}

function orderSummary(lines: readonly CartLine[]): SafeHtml {
  const total = lines.reduce((sum, line) => sum + line.lineCents, 0);
  return html`<ul>
${lines.map(({ product, quantity, lineCents }) => html`<li>${quantity} × ${product.name}: ${formatPrice(lineCents)}</li>\n`)}</ul>
<p>Order total: <strong>${formatPrice(total)}</strong></p>`;
}

export interface CheckoutPageOptions {
  lines: readonly CartLine[];
  values: CheckoutValues;
  errors: CheckoutErrors;
}

export function checkoutPage(ctx: PageContext, { lines, values, errors }: CheckoutPageOptions): SafeHtml {
  const problems = CHECKOUT_FIELDS.flatMap((f) => {
    const message = errors[f.name];
    return message === undefined ? [] : [{ id: `checkout-${f.name}`, message }];
  });
  const fields = CHECKOUT_FIELDS.map((field) => {
    const id = `checkout-${field.name}`;
    const error = errors[field.name];
    const hint = field.name === 'cardNumber' ? `Use the test card ${TEST_CARD}.` : undefined;
    const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ');
    // The card number is never echoed back into the page.
    const value = field.name === 'cardNumber' ? '' : values[field.name];
    return html`<div class="field">
<label for="${id}">${field.label}</label>
${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : ''}
${error ? html`<p class="field-error" id="${id}-error"><span class="visually-hidden">Error: </span>${error}</p>` : ''}
<input id="${id}" name="${field.name}" type="${field.type}" autocomplete="${field.autocomplete}" value="${value}"${
      field.name === 'cardNumber' ? raw(' inputmode="numeric"') : ''
    }${error ? raw(' aria-invalid="true"') : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}>
</div>
`;
  });
  return layout({
    title: problems.length > 0 ? 'Error: Checkout' : 'Checkout',
    cartCount: ctx.cartCount,
    body: html`<h1>Checkout</h1>
${
  problems.length > 0
    ? html`<div class="error-summary" role="alert">
<h2>Please fix the following</h2>
<ul>
${problems.map((p) => html`<li><a href="#${p.id}">${p.message}</a></li>\n`)}</ul>
</div>`
    : ''
}
<div class="checkout">
<form method="post" action="/checkout" novalidate>
${fields}
<button type="submit">Place order</button>
</form>
<section class="summary" aria-labelledby="summary-heading">
<h2 id="summary-heading">Order summary</h2>
${orderSummary(lines)}
<p><a href="/cart">Edit your cart</a></p>
</section>
</div>`,
  });
}

export function orderPage(ctx: PageContext, order: Order): SafeHtml {
  return layout({
    title: 'Thank you for your order',
    cartCount: ctx.cartCount,
    body: html`<h1>Thank you for your order</h1>
<p>Your order number is <strong data-testid="order-number">${order.number}</strong>.</p>
<table>
<caption>Items in your order</caption>
<thead><tr><th scope="col">Product</th><th scope="col">Price</th><th scope="col">Quantity</th><th scope="col">Total</th></tr></thead>
<tbody>
${order.lines.map(
  ({ product, quantity, lineCents }) =>
    html`<tr><th scope="row">${product.name}</th><td>${formatPrice(product.priceCents)}</td><td>${quantity}</td><td>${formatPrice(lineCents)}</td></tr>\n`,
)}</tbody>
<tfoot><tr><th scope="row" colspan="3">Total</th><td>${formatPrice(order.totalCents)}</td></tr></tfoot>
</table>
<p><a href="/">Continue shopping</a></p>`,
  });
}

/** Any page that only says what went wrong: 404s, the 500 of checkout500, the 503 of failOneIn. */
export function messagePage(ctx: PageContext, heading: string, message: string): SafeHtml {
  return layout({
    title: heading,
    cartCount: ctx.cartCount,
    body: html`<h1>${heading}</h1>
<p>${message}</p>
<p><a href="/">Back to the shop</a></p>`,
  });
}

/** What went wrong with a sign-in form, read out at once. */
function errorBox(error: string | undefined): SafeHtml | '' {
  return error ? html`<p class="error-summary" role="alert">${error}</p>` : '';
}

export interface SignInPageOptions {
  /** Where the form posts. */
  action: string;
  /** The email given, kept in the form. */
  email?: string;
  error?: string;
  /** A line above the form, such as the demo account's sign-in. */
  hint?: string;
  /** The button's label, 'Sign in' by default ('Continue' when a code follows). */
  submit?: string;
}

export function signInPage(ctx: PageContext, { action, email = '', error, hint, submit = 'Sign in' }: SignInPageOptions): SafeHtml {
  return layout({
    title: 'Sign in',
    cartCount: ctx.cartCount,
    body: html`<h1>Sign in</h1>
${errorBox(error)}
${hint ? html`<p class="hint">${hint}</p>` : ''}
<form method="post" action="${action}">
<div class="field">
<label for="sign-in-email">Email</label>
<input id="sign-in-email" name="email" type="email" autocomplete="username" value="${email}" required>
</div>
<div class="field">
<label for="sign-in-password">Password</label>
<input id="sign-in-password" name="password" type="password" autocomplete="current-password" required>
</div>
<button type="submit">${submit}</button>
</form>`,
  });
}

/** The second factor: the code of an authenticator app, posted to /mfa/code. */
export function codePage(ctx: PageContext, { error }: { error?: string }): SafeHtml {
  return layout({
    title: 'Enter your code',
    cartCount: ctx.cartCount,
    body: html`<h1>Enter your code</h1>
${errorBox(error)}
<p class="hint" id="mfa-code-hint">The 6-digit code your authenticator app shows for Pulse Demo Shop.</p>
<form method="post" action="/mfa/code">
<div class="field"><label for="mfa-code">One-time code</label><input id="mfa-code" name="code" inputmode="numeric" autocomplete="one-time-code" aria-describedby="mfa-code-hint" maxlength="8"></div>
<button type="submit">Verify</button>
</form>`,
  });
}

export interface AccountPageOptions {
  email: string;
  /** How the visitor signed in, after their email: 'with a password and a one-time code'. */
  note?: string;
  /** Where the sign-out form posts. */
  signOutAction: string;
}

export function accountPage(ctx: PageContext, { email, note, signOutAction }: AccountPageOptions): SafeHtml {
  return layout({
    title: 'Your account',
    cartCount: ctx.cartCount,
    body: html`<h1>Your account</h1>
<p>Signed in as <strong data-account-email>${email}</strong>${note ? html` ${note}` : ''}.</p>
<h2>Your orders</h2>
<p>No orders yet. <a href="/">Browse the shop</a></p>
<form method="post" action="${signOutAction}"><button type="submit" class="secondary">Sign out</button></form>`,
  });
}
