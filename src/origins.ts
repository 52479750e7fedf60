/**
 * A journey's own origins: where a failed request is the target's fault and where synthetic
 * traffic is marked. The origin of `params.baseUrl` plus the journey's `origins` option; an
 * entry may name every subdomain as `https://*.example.com`.
 */
export class OwnOrigins {
  readonly #exact = new Set<string>();
  /** scheme, '.domain' suffix and port of the `*.` entries. */
  readonly #wild: { protocol: string; suffix: string; port: string }[] = [];

  constructor(entries: readonly string[]) {
    for (const entry of entries) this.add(entry);
  }

  /** Adds an origin or any URL on it; a `*.` host adds every subdomain. Ignores what is not an http(s) URL. */
  add(entry: string): void {
    const wildcard = /^(https?:)\/\/\*\.([^/:]+)(?::(\d+))?\/?$/i.exec(entry.trim());
    if (wildcard) {
      const [, protocol, domain, port] = wildcard;
      this.#wild.push({ protocol: protocol!.toLowerCase(), suffix: `.${domain!.toLowerCase()}`, port: port ?? '' });
      return;
    }
    const origin = originOf(entry);
    if (origin) this.#exact.add(origin);
  }

  get empty(): boolean {
    return this.#exact.size === 0 && this.#wild.length === 0;
  }

  /** True when the URL is on one of the journey's own origins. */
  has(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    if (this.#exact.has(parsed.origin)) return true;
    const port = parsed.port;
    return this.#wild.some((w) => w.protocol === parsed.protocol && w.port === port && parsed.hostname.endsWith(w.suffix));
  }

  list(): string[] {
    return [...this.#exact, ...this.#wild.map((w) => `${w.protocol}//*${w.suffix}${w.port ? `:${w.port}` : ''}`)];
  }
}

/** The origin of an http(s) URL, or undefined. */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Checks one `origins` entry of a journey; undefined when it is fine, else what is wrong. */
export function originProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'string') return `${JSON.stringify(entry)} is not a string`;
  if (/^https?:\/\/\*\.[^/:*]+(?::\d+)?\/?$/i.test(entry.trim())) return undefined;
  // A '*' anywhere else would be taken for a host name that matches nothing, silently.
  if (entry.includes('*') && originOf(entry))
    return `'${entry}' is not an http(s) origin: a wildcard is written https://*.example.com, with nothing after the host or port`;
  if (!originOf(entry)) return `'${entry}' is not an http(s) origin`;
  return undefined;
}

/** The journey's own origins for one run: the origin of `params.baseUrl` and the journey's `origins`. */
export function ownOriginsOf(baseUrl: string | undefined, origins: readonly string[] | undefined): OwnOrigins {
  return new OwnOrigins([...(baseUrl ? [baseUrl] : []), ...(origins ?? [])]);
}
