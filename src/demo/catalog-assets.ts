/**
 * The catalog page's static files, made in code: five stylesheets, five scripts, images and a web
 * font, served by the shop under /assets/catalog/ like a shop's own asset folder. The rest of the shop
 * inlines its CSS and script; this page is the heavy one, with what a real product page loads
 * (a bench journey there pays for every static request the way a prober would).
 */
import { html } from '../html.ts';
import { PRODUCTS, type CategorySlug } from './catalog.ts';
import { ICON_FONT_FAMILY, iconFont } from './icon-font.ts';

export const CATALOG_ASSET_PREFIX = '/assets/catalog/';

export interface Asset {
  contentType: string;
  body: string | Buffer;
}

const CSS = 'text/css; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const SVG = 'image/svg+xml';

const STYLESHEETS: Record<string, string> = {
  'base.css': `
@font-face { font-family: '${ICON_FONT_FAMILY}'; src: url(${CATALOG_ASSET_PREFIX}icons.ttf) format('truetype'); font-display: swap; }
.stars { font-family: '${ICON_FONT_FAMILY}', system-ui, sans-serif; color: #d97706; letter-spacing: 0.1em; }
.catalog h1 { margin-bottom: 0.5rem; }
`,
  'banner.css': `
.catalog-banner { display: flex; align-items: center; gap: 1rem; background: #102a43 url(${CATALOG_ASSET_PREFIX}banner.svg) right center / auto 100% no-repeat; color: #fff; border-radius: 10px; padding: 1rem 1.25rem; margin-bottom: 1.25rem; min-height: 96px; }
.catalog-banner a { color: #fff; }
.perks { display: flex; gap: 1.5rem; list-style: none; padding: 0; margin: 0 0 1.25rem; color: #52606d; }
.perks li { display: flex; align-items: center; gap: 0.4rem; }
`,
  'filters.css': `
.catalog-layout { display: grid; grid-template-columns: 230px 1fr; gap: 1.5rem; align-items: start; }
.catalog-filters { background: #fff; border: 1px solid #d9e2ec; border-radius: 10px; padding: 1rem; }
.catalog-filters h2 { display: flex; align-items: center; gap: 0.4rem; font-size: 1rem; margin: 0 0 0.75rem; }
.catalog-filters [role="group"] { display: flex; flex-direction: column; gap: 0.4rem; }
.catalog-filters button { background: #e4e7eb; color: #1f2933; text-align: left; display: flex; justify-content: space-between; }
.catalog-filters button[aria-pressed="true"] { background: #0b5cad; color: #fff; }
@media (max-width: 700px) { .catalog-layout { grid-template-columns: 1fr; } }
`,
  'grid.css': `
.catalog-grid { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 1rem; }
.catalog-grid[aria-busy="true"] { opacity: 0.6; }
`,
  'card.css': `
.card { background: #fff; border: 1px solid #d9e2ec; border-radius: 10px; overflow: hidden; }
.card img { display: block; width: 100%; height: auto; }
.card h2 { font-size: 1.05rem; margin: 0.75rem 1rem 0.25rem; }
.card p { margin: 0.25rem 1rem; }
.card .stock { color: #2f8132; font-weight: 600; margin-bottom: 1rem; }
.card .stock[data-units="0"] { color: #c81e1e; }
`,
};

// Plain scripts, run in order (defer), sharing one namespace; product data only ever reaches the page as text.
const SCRIPTS: Record<string, string> = {
  'format.js': `
window.Catalog = window.Catalog || {};
(() => {
  const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
  Catalog.formatPrice = (cents) => usd.format(cents / 100);
  Catalog.stockText = (units) => (units === 0 ? 'Sold out' : units < 10 ? 'Only ' + units + ' left' : 'In stock');
})();
`,
  'api.js': `
Catalog.getJson = async (path) => {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error('GET ' + path + ' answered ' + response.status);
  return response.json();
};
`,
  'cards.js': `
Catalog.renderProducts = (list, products) => {
  list.replaceChildren(...products.map((product) => {
    const item = document.createElement('li');
    item.className = 'card';
    const image = document.createElement('img');
    image.src = product.image;
    image.alt = '';
    image.width = 240;
    image.height = 160;
    const link = document.createElement('a');
    link.href = '/products/' + encodeURIComponent(product.slug);
    link.textContent = product.name;
    const heading = document.createElement('h2');
    heading.append(link);
    const price = document.createElement('p');
    price.className = 'price';
    price.textContent = Catalog.formatPrice(product.priceCents);
    const stock = document.createElement('p');
    stock.className = 'stock';
    stock.dataset.slug = product.slug;
    stock.textContent = 'Checking stock…';
    item.append(image, heading, price, stock);
    return item;
  }));
};
Catalog.showStock = (list, stock) => {
  for (const line of list.querySelectorAll('.stock')) {
    const units = stock[line.dataset.slug] ?? 0;
    line.dataset.units = String(units);
    line.textContent = Catalog.stockText(units);
  }
};
`,
  'filters.js': `
Catalog.renderFilters = (group, categories, onPick) => {
  const all = { slug: '', name: 'All', count: categories.reduce((sum, c) => sum + c.count, 0) };
  const buttons = [all, ...categories].map((category) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.category = category.slug;
    button.setAttribute('aria-pressed', String(category === all));
    const count = document.createElement('span');
    count.setAttribute('aria-hidden', 'true');
    count.textContent = String(category.count);
    button.append(category.name, count);
    button.addEventListener('click', () => {
      for (const other of buttons) other.setAttribute('aria-pressed', String(other === button));
      onPick(category === all ? null : category);
    });
    return button;
  });
  group.replaceChildren(...buttons);
};
`,
  'main.js': `
(async () => {
  const list = document.getElementById('catalog-products');
  const status = document.getElementById('catalog-status');
  const featured = document.getElementById('catalog-featured');
  const fail = (error) => {
    list.setAttribute('aria-busy', 'false');
    status.textContent = 'Sorry, the catalog could not be loaded. Please try again.';
    console.error(error);
  };
  const show = async (category) => {
    list.setAttribute('aria-busy', 'true');
    const query = category ? '?category=' + encodeURIComponent(category.slug) : '';
    const { products } = await Catalog.getJson('/api/catalog/products' + query);
    Catalog.renderProducts(list, products);
    const { stock } = await Catalog.getJson('/api/catalog/stock?slugs=' + products.map((p) => encodeURIComponent(p.slug)).join(','));
    Catalog.showStock(list, stock);
    list.setAttribute('aria-busy', 'false');
    status.textContent = 'Showing ' + products.length + (products.length === 1 ? ' product' : ' products') + (category ? ' in ' + category.name : '');
  };
  try {
    const [{ categories }, { product }] = await Promise.all([
      Catalog.getJson('/api/catalog/categories'),
      Catalog.getJson('/api/catalog/featured'),
      show(null),
    ]);
    Catalog.renderFilters(document.getElementById('catalog-filters'), categories, (category) => show(category).catch(fail));
    const link = document.createElement('a');
    link.href = '/products/' + encodeURIComponent(product.slug);
    link.textContent = product.name;
    featured.replaceChildren('Featured: ', link, ' at ' + Catalog.formatPrice(product.priceCents));
  } catch (error) {
    fail(error);
  }
})();
`,
};

const CATEGORY_COLOURS: Record<CategorySlug, string> = {
  footwear: '#9a3412',
  packs: '#1e40af',
  clothing: '#6b21a8',
  'camp-kitchen': '#166534',
  lighting: '#a16207',
};

function icon(path: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="#0b5cad" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="${path}"/></svg>`;
}

const IMAGES: Record<string, string> = {
  'logo.svg':
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><circle cx="32" cy="32" r="31" fill="#f0b429"/><path d="M8 46 L24 24 L32 34 L40 20 L56 46Z" fill="#102a43"/></svg>',
  'banner.svg':
    '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="120" viewBox="0 0 480 120"><path d="M0 120 L90 50 L150 90 L250 20 L340 80 L400 45 L480 100 L480 120Z" fill="#243b53"/><path d="M0 120 L120 85 L220 110 L330 70 L480 115 L480 120Z" fill="#334e68"/></svg>',
  'icon-filter.svg': icon('M3 5h18l-7 8v6l-4 2v-8z'),
  'icon-truck.svg': icon('M1 6h13v10H1zM14 10h5l3 3v3h-8zM5 19a2 2 0 1 0 0-.1M18 19a2 2 0 1 0 0-.1'),
  'icon-return.svg': icon('M3 12a9 9 0 1 0 3-6.7M3 4v5h5'),
};

for (const product of PRODUCTS) {
  const initials = product.name
    .split(' ')
    .slice(0, 2)
    .map((word) => word[0])
    .join('');
  IMAGES[`products/${product.slug}.svg`] =
    html`<svg xmlns="http://www.w3.org/2000/svg" width="240" height="160" viewBox="0 0 240 160"><rect width="240" height="160" fill="${CATEGORY_COLOURS[product.category]}"/><path d="M0 130 L60 80 L110 115 L170 55 L240 120 L240 160 L0 160Z" fill="#fff" opacity="0.25"/><text x="120" y="92" font-family="system-ui, sans-serif" font-size="44" font-weight="700" fill="#fff" text-anchor="middle">${initials}</text></svg>`.value;
}

/** Where the catalog page and its API find a product's picture. */
export function productImageUrl(slug: string): string {
  return `${CATALOG_ASSET_PREFIX}products/${slug}.svg`;
}

/** The page's own links, in the order it loads them. */
export const CATALOG_STYLESHEETS = Object.keys(STYLESHEETS).map((name) => CATALOG_ASSET_PREFIX + name);
export const CATALOG_SCRIPTS = Object.keys(SCRIPTS).map((name) => CATALOG_ASSET_PREFIX + name);

/** An image the page itself names. */
export function catalogImageUrl(name: 'logo.svg' | 'icon-filter.svg' | 'icon-truck.svg' | 'icon-return.svg'): string {
  return CATALOG_ASSET_PREFIX + name;
}

const FONT = iconFont();

/** The file at `/assets/catalog/<name>`, or undefined. */
export function catalogAsset(name: string): Asset | undefined {
  if (Object.hasOwn(STYLESHEETS, name)) return { contentType: CSS, body: STYLESHEETS[name]! };
  if (Object.hasOwn(SCRIPTS, name)) return { contentType: JS, body: SCRIPTS[name]! };
  if (Object.hasOwn(IMAGES, name)) return { contentType: SVG, body: IMAGES[name]! };
  if (name === 'icons.ttf') return { contentType: 'font/ttf', body: FONT };
  return undefined;
}
