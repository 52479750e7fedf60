import { randomInt } from 'node:crypto';
import type { CartLine } from './cart-store.ts';

export interface Order {
  readonly number: string;
  readonly lines: readonly CartLine[];
  readonly totalCents: number;
  readonly placedAt: Date;
}

export interface OrderStoreOptions {
  /** Oldest orders are forgotten beyond this many. */
  maxOrders?: number;
}

export const ORDER_NUMBER_PATTERN = /^PD-\d{6}$/;

/** Placed orders of one shop; numbers look like PD-123456 and are unique within the shop. */
export class OrderStore {
  readonly #orders = new Map<string, Order>();
  readonly #maxOrders: number;

  constructor(options: OrderStoreOptions = {}) {
    this.#maxOrders = Math.min(options.maxOrders ?? 10_000, 500_000);
  }

  place(lines: readonly CartLine[]): Order {
    const order: Order = {
      number: this.#newNumber(),
      lines: [...lines],
      totalCents: lines.reduce((sum, line) => sum + line.lineCents, 0),
      placedAt: new Date(),
    };
    this.#orders.set(order.number, order);
    if (this.#orders.size > this.#maxOrders) {
      const oldest = this.#orders.keys().next().value;
      if (oldest !== undefined) this.#orders.delete(oldest);
    }
    return order;
  }

  get(number: string): Order | undefined {
    return this.#orders.get(number);
  }

  #newNumber(): string {
    // The cap above keeps the 900,000-number space sparse, so this finds a free number quickly.
    for (;;) {
      const number = `PD-${randomInt(100_000, 1_000_000)}`;
      if (!this.#orders.has(number)) return number;
    }
  }
}
