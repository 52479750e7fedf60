/** The shop's fixed product range. Prices are integer cents so totals never drift. */
export interface Product {
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly priceCents: number;
  readonly category: CategorySlug;
  /** Units in the warehouse, as the catalog page's stock call reports them. */
  readonly stock: number;
}

export type CategorySlug = 'footwear' | 'packs' | 'clothing' | 'camp-kitchen' | 'lighting';

export interface Category {
  readonly slug: CategorySlug;
  readonly name: string;
}

/** The catalog page's filters, in the order it shows them. */
export const CATEGORIES: readonly Category[] = Object.freeze(
  (
    [
      { slug: 'footwear', name: 'Footwear' },
      { slug: 'packs', name: 'Packs' },
      { slug: 'clothing', name: 'Clothing' },
      { slug: 'camp-kitchen', name: 'Camp kitchen' },
      { slug: 'lighting', name: 'Lighting' },
    ] satisfies Category[]
  ).map((c) => Object.freeze(c)),
);

export const PRODUCTS: readonly Product[] = Object.freeze(
  (
    [
      {
        slug: 'trail-runner-shoes',
        name: 'Trail Runner Shoes',
        description: 'Lightweight running shoes with a grippy sole for muddy paths and rocky climbs.',
        priceCents: 12900,
        category: 'footwear',
        stock: 14,
      },
      {
        slug: 'alpine-daypack',
        name: 'Alpine Daypack 24L',
        description: 'A 24 litre backpack with a rain cover, hip belt and a sleeve for a water bladder.',
        priceCents: 8900,
        category: 'packs',
        stock: 9,
      },
      {
        slug: 'merino-hoodie',
        name: 'Merino Wool Hoodie',
        description: 'Soft merino wool that keeps you warm on cold mornings and does not smell after a long day.',
        priceCents: 11950,
        category: 'clothing',
        stock: 0,
      },
      {
        slug: 'insulated-bottle',
        name: 'Insulated Water Bottle',
        description: 'Keeps drinks cold for 24 hours or hot for 12. Holds 750 ml.',
        priceCents: 3495,
        category: 'camp-kitchen',
        stock: 42,
      },
      {
        slug: 'rechargeable-headlamp',
        name: 'Rechargeable Headlamp',
        description: 'A 400 lumen headlamp with a red night mode, charged over USB-C.',
        priceCents: 4900,
        category: 'lighting',
        stock: 23,
      },
      {
        slug: 'enamel-camp-mug',
        name: 'Enamel Camp Mug',
        description: 'A classic enamel mug for coffee by the campfire. Holds 350 ml.',
        priceCents: 1400,
        category: 'camp-kitchen',
        stock: 61,
      },
    ] satisfies Product[]
  ).map((p) => Object.freeze(p)),
);

export function findProduct(slug: string): Product | undefined {
  return PRODUCTS.find((p) => p.slug === slug);
}

export function findCategory(slug: string): Category | undefined {
  return CATEGORIES.find((c) => c.slug === slug);
}

/** The product the catalog page features in its banner. */
export const FEATURED_SLUG = 'alpine-daypack';

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
