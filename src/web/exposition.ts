import type { Registry } from 'prom-client';

/** What /metrics serves: a prom-client Registry fits, and so does the cache below. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface CachedExpositionOptions {
  /** pulse_* metrics: change only when runs end, and are costly to write out with many journeys. */
  registry: Registry;
  /** Process metrics (CPU, memory): cheap, and fresh at every scrape. */
  live?: Registry;
  /** At most one rebuild per this many ms while results keep coming. */
  minIntervalMs?: number;
}

/**
 * Builds the pulse_* part of /metrics off the scrape path: a change schedules a rebuild (at
 * once, or a second after the last one), and a scrape sends the last body plus the live
 * process metrics. With hundreds of journeys a scrape then costs the HTTP transfer only, and
 * the series are at most about a second old.
 */
export class CachedExposition implements MetricsSource {
  readonly contentType: string;
  readonly #registry: Registry;
  readonly #live: Registry | undefined;
  readonly #minIntervalMs: number;
  #body: Promise<string> | undefined;
  #builtAt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CachedExpositionOptions) {
    this.#registry = options.registry;
    this.#live = options.live;
    this.#minIntervalMs = options.minIntervalMs ?? 1_000;
    this.contentType = options.registry.contentType;
  }

  /** Called by the metrics sink on every change. */
  invalidate(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#builtAt + this.#minIntervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#rebuild();
    }, wait);
    this.#timer.unref();
  }

  async metrics(): Promise<string> {
    this.#body ??= this.#rebuild();
    const [body, live] = await Promise.all([this.#body, this.#live?.metrics() ?? Promise.resolve('')]);
    return live ? `${body}${body.endsWith('\n') ? '' : '\n'}${live}` : body;
  }

  #rebuild(): Promise<string> {
    this.#builtAt = Date.now();
    const next = this.#registry.metrics();
    // Until the new body is ready, scrapes get the previous one.
    next.then(
      () => {
        this.#body = next;
      },
      () => undefined,
    );
    return (this.#body ??= next);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
