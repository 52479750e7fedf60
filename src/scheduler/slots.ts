/** A counting semaphore: at most `size` holders; waiters are served in arrival order. */
export class Slots {
  #free: number;
  readonly #waiters: { resolve: (granted: boolean) => void }[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  /** Resolves true with a slot held, or false when given up (deadline or cancel). */
  acquire(deadlineMs?: number): Promise<boolean> {
    if (this.#free > 0) {
      this.#free -= 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter = {
        resolve: (granted: boolean) => {
          clearTimeout(timer);
          resolve(granted);
        },
      };
      const timer = deadlineMs === undefined ? undefined : setTimeout(() => this.#drop(waiter), deadlineMs);
      this.#waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next.resolve(true);
    else this.#free += 1;
  }

  /** Every waiter gives up at once (shutdown). */
  cancelAll(): void {
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(false);
  }

  #drop(waiter: { resolve: (granted: boolean) => void }): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) {
      this.#waiters.splice(index, 1);
      waiter.resolve(false);
    }
  }
}
