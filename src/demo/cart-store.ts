import { findProduct, type Product } from './catalog.ts';

export interface CartLine {
  readonly product: Product;
  readonly quantity: number;
  readonly lineCents: number;
}

export interface CartStoreOptions {
  /** Oldest carts are dropped beyond this, so a prober opening fresh sessions forever cannot grow memory without bound. */
  maxCarts?: number;
}

const MAX_LINE_QUANTITY = 99;

/** Carts of one shop, keyed by the visitor's session id; each cart maps product slug to quantity. */
export class CartStore {
  readonly #carts = new Map<string, Map<string, number>>();
  readonly #maxCarts: number;

  constructor(options: CartStoreOptions = {}) {
    this.#maxCarts = options.maxCarts ?? 10_000;
  }

  lines(session: string): CartLine[] {
    const cart = this.#carts.get(session);
    if (!cart) return [];
    const lines: CartLine[] = [];
    for (const [slug, quantity] of cart) {
      const product = findProduct(slug);
      if (product) lines.push({ product, quantity, lineCents: product.priceCents * quantity });
    }
    return lines;
  }

  /** Total quantity of all items, as shown in the header's "Cart (N)". */
  count(session: string): number {
    let total = 0;
    for (const quantity of this.#carts.get(session)?.values() ?? []) total += quantity;
    return total;
  }

  /** Adds to a line (capped at MAX_LINE_QUANTITY) and returns the new total count. */
  add(session: string, slug: string, quantity: number): number {
    const cart = this.#cart(session);
    cart.set(slug, Math.min(MAX_LINE_QUANTITY, (cart.get(slug) ?? 0) + quantity));
    return this.count(session);
  }

  /** Sets a line's quantity; 0 removes the line. */
  set(session: string, slug: string, quantity: number): void {
    if (quantity <= 0) {
      this.remove(session, slug);
      return;
    }
    this.#cart(session).set(slug, Math.min(MAX_LINE_QUANTITY, quantity));
  }

  remove(session: string, slug: string): void {
    this.#carts.get(session)?.delete(slug);
  }

  clear(session: string): void {
    this.#carts.delete(session);
  }

  #cart(session: string): Map<string, number> {
    let cart = this.#carts.get(session);
    if (!cart) {
      cart = new Map();
      this.#carts.set(session, cart);
      if (this.#carts.size > this.#maxCarts) {
        const oldest = this.#carts.keys().next().value;
        if (oldest !== undefined) this.#carts.delete(oldest);
      }
    }
    return cart;
  }
}
