/**
 * Synthetic traffic is marked: every document, XHR or fetch, EventSource and beacon a journey's pages
 * send to its own origins carries the run id and a W3C `traceparent`, so the target's logs and traces
 * can be filtered out and joined to the run. Those are what a backend traces; scripts, styles, images,
 * fonts and media are not, and a page has many more of them: each paused request costs a DevTools
 * round trip, so static assets are never paused at all.
 *
 * Done with the DevTools Fetch domain on a session of pulse's own per page, paused only for those
 * resource types on the own origins, rather than with Playwright's `route`: any route makes Playwright
 * answer every CORS preflight itself (so a broken CORS policy would pass), turns off the HTTP cache and
 * carries the added headers along redirects to other origins. Fetch overrides end at a redirect hop,
 * and requests to other origins are never paused, so they go out exactly as without the marker.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright';
import { ownOriginsOf, type OwnOrigins } from '../origins.ts';
import { newSpanId, traceparent, type RandomBytes } from '../trace-context.ts';
import type { AttemptRequest } from '../worker-protocol.ts';

const RUN_ID_HEADER = 'X-Pulse-Run-Id';
const ATTEMPT_HEADER = 'X-Pulse-Attempt';
const TRACEPARENT_HEADER = 'traceparent';

export interface TrafficMarkerOptions {
  runId: string;
  attempt: number;
  traceId: string;
  origins: OwnOrigins;
  /** Told when a page could not be marked; the attempt goes on, that page unmarked. */
  onProblem?: (message: string) => void;
  random?: RandomBytes;
}

/** What the worker marks an attempt with; undefined when marking is off or there is no own origin to mark. */
export function trafficMarkerFor(
  request: Pick<AttemptRequest, 'runId' | 'attempt' | 'traceId' | 'params' | 'journey'>,
  onProblem?: (message: string) => void,
): TrafficMarkerOptions | undefined {
  if (!request.traceId) return undefined;
  const origins = ownOriginsOf(request.params.baseUrl, request.journey.origins);
  if (origins.empty) return undefined;
  return { runId: request.runId, attempt: request.attempt, traceId: request.traceId, origins, ...(onProblem ? { onProblem } : {}) };
}

/**
 * Marks the traffic of every page of the context: a page from `context.newPage()` is marked before
 * it is handed out; a page the browser opens (a popup) from the moment pulse sees it.
 */
export function markTraffic(context: BrowserContext, options: TrafficMarkerOptions): void {
  const patterns = fetchPatterns(options.origins);
  const attached = new WeakMap<Page, Promise<void>>();
  const attach = (page: Page): Promise<void> => {
    let done = attached.get(page);
    if (!done) attached.set(page, (done = markPage(context, page, patterns, options)));
    return done;
  };
  context.on('page', (page) => void attach(page));
  const newPage = context.newPage.bind(context);
  context.newPage = async () => {
    const page = await newPage();
    await attach(page);
    return page;
  };
}

async function markPage(context: BrowserContext, page: Page, patterns: FetchPattern[], options: TrafficMarkerOptions): Promise<void> {
  let session: CDPSession;
  try {
    session = await context.newCDPSession(page);
    session.on('Fetch.requestPaused', (event) => continueMarked(session, event.requestId, event.request, options));
    await session.send('Fetch.enable', { patterns });
  } catch (error) {
    // A page closed at once needs no marking; anything else is worth a word, not a failed run.
    if (!page.isClosed()) options.onProblem?.(`could not mark the traffic of a page: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function continueMarked(
  session: CDPSession,
  requestId: string,
  request: { url: string; headers: Record<string, string> },
  options: TrafficMarkerOptions,
): void {
  // The patterns only pre-filter ('*' in them may span a path): the origin decides.
  if (!options.origins.has(request.url)) {
    session.send('Fetch.continueRequest', { requestId }).catch(() => undefined);
    return;
  }
  const headers: { name: string; value: string }[] = [];
  let pageTraceparent = false;
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (lower === RUN_ID_HEADER.toLowerCase() || lower === ATTEMPT_HEADER.toLowerCase()) continue;
    if (lower === TRACEPARENT_HEADER) pageTraceparent = true;
    headers.push({ name, value });
  }
  headers.push({ name: RUN_ID_HEADER, value: options.runId }, { name: ATTEMPT_HEADER, value: String(options.attempt) });
  // The page's own tracing wins: its span is the one the backend should hang its spans under.
  if (!pageTraceparent) headers.push({ name: TRACEPARENT_HEADER, value: traceparent(options.traceId, newSpanId(options.random)) });
  // The page may be gone by now; its request with it.
  session.send('Fetch.continueRequest', { requestId, headers }).catch(() => undefined);
}

/**
 * What the marker pauses. Chromium files fetch() and EventSource under XHR in this filter; they are
 * named anyway for what is meant. A WebSocket handshake never passes the Fetch domain, and Chromium
 * refuses 'WebSocket' in a filter ("Unknown resource type in fetch filter"), which would leave the
 * whole page unmarked.
 */
const MARKED_RESOURCE_TYPES = ['Document', 'XHR', 'Fetch', 'EventSource', 'Ping'] as const;

type MarkedResourceType = (typeof MARKED_RESOURCE_TYPES)[number];

/** One DevTools `Fetch.RequestPattern`. */
interface FetchPattern {
  urlPattern: string;
  resourceType: MarkedResourceType;
  requestStage: 'Request';
}

/** DevTools patterns, one per own origin and marked resource type: `*` and `?` are wildcards there, `\` escapes. */
export function fetchPatterns(origins: OwnOrigins): FetchPattern[] {
  return origins.list().flatMap((entry) => {
    const escaped = entry.replace(/[\\*?]/g, (c) => `\\${c}`).replace('//\\*.', '//*.');
    return MARKED_RESOURCE_TYPES.map((resourceType) => ({ urlPattern: `${escaped}/*`, resourceType, requestStage: 'Request' as const }));
  });
}
