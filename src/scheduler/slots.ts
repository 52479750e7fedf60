/** Whom a slot is for: a journey's name, or a symbol for pulse's own work. */
export type SlotKey = string | symbol;

interface Waiter {
  readonly key: SlotKey;
  /** Asked for by a person (run now): served before the rest, in arrival order. */
  readonly asked: boolean;
  readonly resolve: (granted: boolean) => void;
}

/**
 * A counting semaphore shared by keys (journeys): at most `size` holders. A freed slot goes to the
 * waiting key served longest ago (never served first), so that on a saturated replica every journey
 * keeps getting runs instead of the same few winning each tick; arrival order breaks ties. A run a
 * person asked for goes before them all.
 */
export class Slots {
  #free: number;
  readonly #waiters: Waiter[] = [];
  /** When each key was last granted a slot, as a running count of grants. */
  readonly #served = new Map<SlotKey, number>();
  #grants = 0;

  constructor(size: number) {
    this.#free = size;
  }

  /** Resolves true with a slot held for key, or false when given up (deadline or cancel). */
  acquire(key: SlotKey, { deadlineMs, asked = false }: { deadlineMs?: number; asked?: boolean } = {}): Promise<boolean> {
    if (this.#free > 0) {
      this.#free -= 1;
      this.#grant(key);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        key,
        asked,
        resolve: (granted) => {
          clearTimeout(timer);
          resolve(granted);
        },
      };
      const timer = deadlineMs === undefined ? undefined : setTimeout(() => this.#drop(waiter), deadlineMs);
      this.#waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.#next();
    if (!next) {
      this.#free += 1;
      return;
    }
    this.#waiters.splice(this.#waiters.indexOf(next), 1);
    this.#grant(next.key);
    next.resolve(true);
  }

  /** Every waiter gives up at once (shutdown). */
  cancelAll(): void {
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(false);
  }

  /** The first run a person asked for, else the waiter whose key was served longest ago; the earliest to arrive among equals. */
  #next(): Waiter | undefined {
    const asked = this.#waiters.find((waiter) => waiter.asked);
    if (asked) return asked;
    let best: Waiter | undefined;
    let bestServed = Infinity;
    for (const waiter of this.#waiters) {
      const served = this.#served.get(waiter.key) ?? -1;
      if (served < bestServed) {
        best = waiter;
        bestServed = served;
      }
    }
    return best;
  }

  #grant(key: SlotKey): void {
    this.#grants += 1;
    this.#served.set(key, this.#grants);
  }

  #drop(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) {
      this.#waiters.splice(index, 1);
      waiter.resolve(false);
    }
  }
}
