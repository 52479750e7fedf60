/** The shop's fixed product range. Prices are integer cents so totals never drift. */
export interface Product {
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly priceCents: number;
}

export const PRODUCTS: readonly Product[] = Object.freeze([
  {
    slug: 'trail-runner-shoes',
    name: 'Trail Runner Shoes',
    description: 'Lightweight running shoes with a grippy sole for muddy paths and rocky climbs.',
    priceCents: 12900,
  },
  {
    slug: 'alpine-daypack',
    name: 'Alpine Daypack 24L',
    description: 'A 24 litre backpack with a rain cover, hip belt and a sleeve for a water bladder.',
    priceCents: 8900,
  },
  {
    slug: 'merino-hoodie',
    name: 'Merino Wool Hoodie',
    description: 'Soft merino wool that keeps you warm on cold mornings and does not smell after a long day.',
    priceCents: 11950,
  },
  {
    slug: 'insulated-bottle',
    name: 'Insulated Water Bottle',
    description: 'Keeps drinks cold for 24 hours or hot for 12. Holds 750 ml.',
    priceCents: 3495,
  },
  {
    slug: 'rechargeable-headlamp',
    name: 'Rechargeable Headlamp',
    description: 'A 400 lumen headlamp with a red night mode, charged over USB-C.',
    priceCents: 4900,
  },
  {
    slug: 'enamel-camp-mug',
    name: 'Enamel Camp Mug',
    description: 'A classic enamel mug for coffee by the campfire. Holds 350 ml.',
    priceCents: 1400,
  },
].map((p) => Object.freeze(p)));

export function findProduct(slug: string): Product | undefined {
  return PRODUCTS.find((p) => p.slug === slug);
}

/** Case-insensitive match on name and description; an empty query matches everything. */
export function searchProducts(query: string): Product[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [...PRODUCTS];
  return PRODUCTS.filter((p) => p.name.toLowerCase().includes(q) || p.description.toLowerCase().includes(q));
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** 12900 -> "$129.00" */
export function formatPrice(cents: number): string {
  return usd.format(cents / 100);
}
