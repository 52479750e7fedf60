import { html, raw, type SafeHtml } from '../html.ts';

const STYLES = raw(`
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933; background: #f5f7fa; }
a { color: #0b5cad; }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #f0b429; outline-offset: 2px; }
.site-header { display: flex; align-items: center; justify-content: space-between; padding: 0.75rem 1.5rem; background: #102a43; }
.site-header a { color: #fff; text-decoration: none; font-weight: 600; }
.site-header .brand { font-size: 1.25rem; }
.site-header .cart-link { padding: 0.35rem 0.8rem; border: 1px solid #829ab1; border-radius: 999px; }
main { max-width: 960px; margin: 0 auto; padding: 1.5rem; }
h1 { margin-top: 0; }
form[role="search"] { display: flex; gap: 0.5rem; align-items: end; margin-bottom: 1.5rem; }
label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
input { font: inherit; padding: 0.45rem 0.6rem; border: 1px solid #9fb3c8; border-radius: 6px; background: #fff; }
input[aria-invalid="true"] { border: 2px solid #c81e1e; }
button, .button { font: inherit; font-weight: 600; padding: 0.5rem 1rem; border: 0; border-radius: 6px; background: #0b5cad; color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary { background: #e4e7eb; color: #1f2933; }
.products { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 1rem; }
.products li { background: #fff; border: 1px solid #d9e2ec; border-radius: 10px; padding: 1rem; }
.products a { font-weight: 600; font-size: 1.1rem; }
.price { font-weight: 700; color: #243b53; }
.buy { display: flex; gap: 0.75rem; align-items: end; margin: 1rem 0; }
.buy input { width: 5rem; }
table { width: 100%; border-collapse: collapse; background: #fff; margin-bottom: 1rem; }
caption { text-align: left; font-weight: 600; padding: 0.5rem 0; }
th, td { text-align: left; padding: 0.6rem; border-bottom: 1px solid #d9e2ec; }
td input { width: 5rem; }
tfoot th, tfoot td { font-weight: 700; }
.actions { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; }
.checkout { display: grid; grid-template-columns: 2fr 1fr; gap: 2rem; align-items: start; }
.field { margin-bottom: 1rem; }
.field input { width: 100%; }
.hint { color: #52606d; margin: 0 0 0.25rem; }
.field-error { color: #c81e1e; font-weight: 600; margin: 0 0 0.25rem; }
.error-summary { border: 3px solid #c81e1e; background: #fff; padding: 1rem 1.25rem; margin-bottom: 1.5rem; }
.error-summary h2 { margin-top: 0; font-size: 1.2rem; }
.summary { background: #fff; border: 1px solid #d9e2ec; border-radius: 10px; padding: 1rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 700px) { .checkout { grid-template-columns: 1fr; } }
`);

export interface LayoutOptions {
  /** Page-specific title; the shop name is appended. */
  title: string;
  /** Total quantity in the visitor's cart, shown as "Cart (N)". */
  cartCount: number;
  body: SafeHtml;
  /** Inline script placed at the end of the body. */
  script?: SafeHtml;
  /** More for the head after the shop's own styles: a page's stylesheets and scripts. */
  head?: SafeHtml;
}

export function layout({ title, cartCount, body, script, head }: LayoutOptions): SafeHtml {
  const fullTitle = title === 'Pulse Demo Shop' ? title : `${title} · Pulse Demo Shop`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${fullTitle}</title>
<link rel="icon" href="data:,">
<style>${STYLES}</style>${
    head
      ? html`
${head}`
      : ''
  }
</head>
<body>
<header class="site-header">
<a class="brand" href="/">Pulse Demo Shop</a>
<nav aria-label="Site">
<a class="cart-link" href="/cart" data-cart-link>Cart (${cartCount})</a>
</nav>
</header>
<main>
${body}
</main>
${script ? html`<script>${script}</script>` : ''}
</body>
</html>
`;
}
