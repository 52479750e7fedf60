// What the pages of one attempt asked for and got: which requests failed during the step in
// progress (on the journey's own origins or elsewhere), which are still waiting, and a small
// per-run summary of every request that a failed run is later compared against.
import { performance } from 'node:perf_hooks';
import type { BrowserContext, Request, Response } from 'playwright';
import type { CertificateInfo, RequestObservation } from '../result.ts';
import type { OwnOrigins } from '../origins.ts';

/** A request that went wrong while a step ran, worded for on-call. */
export interface RequestProblem {
  kind: 'http' | 'network' | 'timeout';
  /** On one of the journey's own origins. */
  own: boolean;
  /** A page load, script, style sheet or API call: what a step can wait on. */
  blocking: boolean;
  /** e.g. "GET /api/pets answered 500" or "GET https://cdn.example.net/app.js failed: net::ERR_CONNECTION_REFUSED". */
  text: string;
}

/** Resource types whose failure can break what a step waits for; images, fonts and beacons cannot. */
const BLOCKING_TYPES = new Set(['document', 'script', 'stylesheet', 'fetch', 'xhr']);
/** A request open this long when a step timed out is one it waited for in vain. */
const STUCK_AFTER_MS = 1_000;
/** Distinct requests kept in the per-run summary. */
const MAX_OBSERVED = 100;
const MAX_PROBLEMS = 20;
/** Chromium's word for a request the page itself dropped (a navigation away): nobody's failure. */
const ABORTED = 'net::ERR_ABORTED';

interface Open {
  started: number;
  /** Status of the answer's head, once it came (its body may still be arriving). */
  status?: number;
}

export class RequestWatch {
  readonly #own: OwnOrigins;
  readonly #open = new Map<Request, Open>();
  readonly #observed = new Map<string, RequestObservation>();
  #stepProblems: RequestProblem[] = [];
  /** Since the page shown now started loading: a script that failed as it loaded breaks later steps. */
  #pageProblems: RequestProblem[] = [];
  /** What the step in progress asked for: started, failed, and the slowest that finished. */
  #step = { requests: 0, failed: 0, slowest: undefined as { key: string; ms: number } | undefined };
  /** The certificate of each own https origin, asked for once per origin per attempt. */
  readonly #certificates = new Map<string, Promise<CertificateInfo | undefined>>();
  /** The answer to the document the main frame shows now. */
  #document: { status: number; url: string; method: string } | undefined;

  readonly #observing: boolean;

  /** `observe`: keep the per-run summary too (off only to measure what it costs). */
  constructor(context: BrowserContext, own: OwnOrigins, observe = true) {
    this.#own = own;
    this.#observing = observe;
    context.on('request', (request) => this.#onRequest(request));
    context.on('response', (response) => this.#onResponse(response));
    context.on('requestfinished', (request) => this.#onEnd(request, undefined));
    context.on('requestfailed', (request) => this.#onEnd(request, request.failure()?.errorText ?? 'failed'));
  }

  /** A new step starts: only what fails from now on can be blamed for it. */
  beginStep(): void {
    this.#stepProblems = [];
    this.#step = { requests: 0, failed: 0, slowest: undefined };
  }

  /** The step's requests so far; requests still open count as failed only when the step is over (see `stepNetwork`). */
  stepNetwork(): { requests: number; failed: number; slowest?: { key: string; ms: number } } {
    const { requests, failed, slowest } = this.#step;
    return slowest ? { requests, failed, slowest: { ...slowest } } : { requests, failed };
  }

  /** The journey's own origins, once known (the first page load names them when nothing else did). */
  get own(): OwnOrigins {
    return this.#own;
  }

  /**
   * What went wrong with requests during the step that failed or on the page it acted on:
   * answers >= 500 and network errors since the step began or the page started loading,
   * and, when the step timed out, what was still open after a second.
   */
  problems(options: { timedOut: boolean }): RequestProblem[] {
    const found = [...this.#stepProblems];
    for (const problem of this.#pageProblems) if (!found.includes(problem)) found.push(problem);
    if (options.timedOut) {
      const now = performance.now();
      for (const [request, open] of this.#open) {
        const waited = now - open.started;
        if (waited < STUCK_AFTER_MS || found.length >= MAX_PROBLEMS) continue;
        const answered = open.status === undefined ? 'got no answer' : `answered ${open.status} but its body was still arriving`;
        found.push(this.#problem(request, 'timeout', `${answered} after ${(waited / 1000).toFixed(1)} s`));
      }
    }
    return found;
  }

  /** The page answered with an error status (>= 400): what the user saw instead of the page. */
  documentProblem(): RequestProblem | undefined {
    const doc = this.#document;
    if (!doc || doc.status < 400) return undefined;
    const own = this.#own.has(doc.url);
    return { kind: 'http', own, blocking: true, text: `${doc.method} ${shown(doc.url, own)} answered ${doc.status}` };
  }

  /** The page load or same-origin API call a user would still be waiting for. */
  stillLoading(): boolean {
    for (const request of this.#open.keys()) if (isAwaited(request)) return true;
    return false;
  }

  /** Every open request, as "METHOD url (what happened so far)", for the evidence. */
  pending(): string[] {
    const now = performance.now();
    return [...this.#open].map(([request, open]) => {
      const state = open.status === undefined ? 'no answer yet' : `answered ${open.status}, body incomplete`;
      return `${request.method()} ${request.url()} (${state} after ${((now - open.started) / 1000).toFixed(1)} s)`;
    });
  }

  /** The per-run summary: each distinct request once, with its worst outcome and slowest time. */
  observations(): RequestObservation[] {
    const now = performance.now();
    // Still open at the end: an error head counts as that error; otherwise it never completed.
    for (const [request, open] of this.#open) {
      const outcome = open.status === undefined ? 'pending' : open.status >= 400 ? String(open.status) : `${open.status}, unfinished`;
      this.#observe(keyOf(request), outcome, now - open.started, true);
    }
    return [...this.#observed.values()];
  }

  #onRequest(request: Request): void {
    if (isMainDocument(request)) {
      if (this.#own.empty) this.#own.add(request.url());
      this.#pageProblems = [];
    }
    this.#open.set(request, { started: performance.now() });
    this.#step.requests += 1;
  }

  /** The certificates of the own https origins the attempt reached. */
  async certificates(): Promise<CertificateInfo[]> {
    const found = await Promise.all(this.#certificates.values());
    return found.filter((certificate): certificate is CertificateInfo => certificate !== undefined);
  }

  #noteCertificate(response: Response): void {
    const url = response.url();
    if (!url.startsWith('https:') || !this.#own.has(url)) return;
    const origin = new URL(url).origin;
    if (this.#certificates.has(origin)) return;
    const details = response.securityDetails().then(
      (security) =>
        security && typeof security.validTo === 'number'
          ? {
              origin,
              validTo: security.validTo,
              ...(typeof security.validFrom === 'number' ? { validFrom: security.validFrom } : {}),
              ...(security.subjectName ? { subject: security.subjectName } : {}),
              ...(security.issuer ? { issuer: security.issuer } : {}),
            }
          : undefined,
      () => undefined,
    );
    this.#certificates.set(origin, details);
  }

  #onResponse(response: Response): void {
    this.#noteCertificate(response);
    const request = response.request();
    const status = response.status();
    const open = this.#open.get(request);
    if (open) open.status = status;
    if (isMainDocument(request)) this.#document = { status, url: response.url(), method: request.method() };
    else if (status >= 500) this.#noteProblem(this.#problem(request, 'http', `answered ${status}`));
  }

  #onEnd(request: Request, failure: string | undefined): void {
    const open = this.#open.get(request);
    this.#open.delete(request);
    const ms = open ? performance.now() - open.started : 0;
    // One name per request, for the step's slowest and the run's summary alike.
    const key = keyOf(request);
    if (open && (!this.#step.slowest || ms > this.#step.slowest.ms)) this.#step.slowest = { key, ms: Math.round(ms) };
    if (failure === undefined) {
      const status = open?.status ?? 0;
      this.#observe(key, String(status), ms, status >= 400);
      if (status >= 400) this.#step.failed += 1;
      return;
    }
    if (failure === ABORTED) return;
    this.#step.failed += 1;
    this.#observe(key, failure, ms, true);
    this.#noteProblem(this.#problem(request, 'network', `failed: ${failure}`));
  }

  #noteProblem(problem: RequestProblem): void {
    if (this.#stepProblems.length < MAX_PROBLEMS) this.#stepProblems.push(problem);
    if (this.#pageProblems.length < MAX_PROBLEMS) this.#pageProblems.push(problem);
  }

  #problem(request: Request, kind: RequestProblem['kind'], what: string): RequestProblem {
    const own = this.#own.has(request.url());
    return { kind, own, blocking: BLOCKING_TYPES.has(request.resourceType()), text: `${request.method()} ${shown(request.url(), own)} ${what}` };
  }

  #observe(key: string, outcome: string, ms: number, failed: boolean): void {
    if (!this.#observing) return;
    let entry = this.#observed.get(key);
    if (!entry) {
      if (this.#observed.size >= MAX_OBSERVED) return;
      this.#observed.set(key, (entry = { key, count: 0, failed: 0, outcome, maxMs: 0 }));
    }
    entry.count += 1;
    if (failed) {
      entry.failed += 1;
      entry.outcome = outcome;
    }
    entry.maxMs = Math.max(entry.maxMs, Math.round(ms));
  }
}

/** A request as the step's slowest and the run's summary name it, e.g. "GET http://shop.test/api/orders/:id". */
function keyOf(request: Request): string {
  return `${request.method()} ${requestKey(request.url())}`;
}

/** Own origins by path (on-call know their host), others in full; never the query string, where tokens hide. */
function shown(url: string, own: boolean): string {
  try {
    const parsed = new URL(url);
    return own ? parsed.pathname : `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}

/**
 * One name for the same request across runs: origin and path, with what looks like an id (long
 * numbers, hex or UUID segments) folded to `:id`, so /orders/1234 and /orders/1250 compare.
 */
function requestKey(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.slice(0, 200);
  }
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:') return `${parsed.protocol}…`;
  const path = parsed.pathname
    .split('/')
    .map((segment) => (/^\d{3,}$|^[0-9a-f]{12,}$|^[0-9a-f-]{32,36}$/i.test(segment) ? ':id' : segment))
    .join('/');
  return `${parsed.origin}${path}`.slice(0, 300);
}

/**
 * Requests a user waits for: the page itself and its own API calls (same origin as the page);
 * third-party long-polls and analytics beacons do not make a page "still loading".
 */
function isAwaited(request: Request): boolean {
  if (isMainDocument(request)) return true;
  const type = request.resourceType();
  if (type !== 'fetch' && type !== 'xhr') return false;
  try {
    return new URL(request.url()).origin === new URL(request.frame().url()).origin;
  } catch {
    return false;
  }
}

function isMainDocument(request: Request): boolean {
  if (!request.isNavigationRequest()) return false;
  try {
    return request.frame().parentFrame() === null;
  } catch {
    // Service-worker requests have no frame.
    return false;
  }
}
