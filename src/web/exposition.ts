import type { Registry } from 'prom-client';
import { deflateHead, gzipWith, type DeflatedHead } from './gzip-parts.ts';

/** What /metrics serves: a prom-client Registry fits, and so does the cache below. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
  /** The same body gzip-compressed, where the source keeps it compressed (a scraper asks for gzip). */
  gzipped?(): Promise<Buffer>;
}

export interface CachedExpositionOptions {
  /** pulse_* metrics: change only when runs end, and are costly to write out with many journeys. */
  registry: Registry;
  /** Process metrics (CPU, memory): cheap, and fresh at every scrape. */
  live?: Registry;
  /** At most one rebuild per this many ms while results keep coming. */
  minIntervalMs?: number;
}

/** Metrics text is very repetitive: the fastest level already cuts the bytes by an order of magnitude (bench section 3). */
export const GZIP_LEVEL = 1;
/** A rebuild compresses its body too while someone asked for gzip this recently (Prometheus does, every scrape). */
const GZIP_WANTED_MS = 10 * 60_000;

/** One build of the pulse_* part: its text, and its deflate blocks once compressed. */
interface Build {
  readonly text: string;
  deflated?: Promise<DeflatedHead>;
}

/**
 * Builds the pulse_* part of /metrics off the scrape path: a change schedules a rebuild (at
 * once, or a second after the last one), and a scrape sends the last body plus the live
 * process metrics. With hundreds of journeys a scrape then costs the HTTP transfer only, and
 * the series are at most about a second old. While scrapers ask for gzip, a rebuild compresses
 * its body as well (on the thread pool), and a scrape compresses only the live part.
 */
export class CachedExposition implements MetricsSource {
  readonly contentType: string;
  readonly #registry: Registry;
  readonly #live: Registry | undefined;
  readonly #minIntervalMs: number;
  #build: Promise<Build> | undefined;
  #builtAt = 0;
  #gzipAskedAt = Number.NEGATIVE_INFINITY;
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
    const [build, live] = await Promise.all([this.#current(), this.#liveText()]);
    return `${build.text}${live}`;
  }

  async gzipped(): Promise<Buffer> {
    this.#gzipAskedAt = Date.now();
    const build = await this.#current();
    // The first gzip scrape (or the first after a long while) compresses the body it finds, once.
    build.deflated ??= deflateHead(Buffer.from(build.text), GZIP_LEVEL);
    const [head, live] = await Promise.all([build.deflated, this.#liveText()]);
    return gzipWith(head, Buffer.from(live));
  }

  #current(): Promise<Build> {
    return (this.#build ??= this.#rebuild());
  }

  async #liveText(): Promise<string> {
    return this.#live ? this.#live.metrics() : '';
  }

  #rebuild(): Promise<Build> {
    this.#builtAt = Date.now();
    const compress = this.#builtAt - this.#gzipAskedAt < GZIP_WANTED_MS;
    const live = this.#live !== undefined;
    const next = this.#registry.metrics().then(async (text): Promise<Build> => {
      const build: Build = { text: live && text !== '' && !text.endsWith('\n') ? `${text}\n` : text };
      if (compress) {
        build.deflated = deflateHead(Buffer.from(build.text), GZIP_LEVEL);
        await build.deflated;
      }
      return build;
    });
    // Until the new build is ready, scrapes get the previous one.
    next.then(
      () => {
        this.#build = next;
      },
      () => undefined,
    );
    return (this.#build ??= next);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
