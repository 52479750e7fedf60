/**
 * What a page or API answer computed from the run store, kept for a moment: a reload storm or a
 * client polling in a loop then costs one query per second, not one per request.
 */
export class ViewCache<T> {
  readonly #entries = new Map<string, { value: T; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Forgets everything: after a write, the next view shows it. */
  clear(): void {
    this.#entries.clear();
  }

  get(key: string, compute: () => T): T {
    const at = this.now();
    const hit = this.#entries.get(key);
    if (hit && hit.expires > at) return hit.value;
    const value = compute();
    this.#entries.delete(key);
    // Oldest first out: a client walking many distinct URLs cannot grow the cache without bound.
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, expires: at + this.ttlMs });
    return value;
  }
}
