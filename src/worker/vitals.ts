// What the user felt, measured by the page itself: time to first byte, first and largest
// contentful paint, layout shift and interaction to next paint, for every page load and
// client-side navigation. A script added to every context keeps PerformanceObservers (buffered,
// so nothing is slowed or missed); pulse reads what a step caused when the step ends, and a
// document that goes away mid-step hands its last figures over on `pagehide`.
import type { BrowserContext, ConsoleMessage, Page } from 'playwright';
import type { PageVitals } from '../result.ts';
import { withDeadline } from './deadline.ts';

/** Marks the console line a leaving document reports itself with; never shown as evidence. */
const VITALS_MARK = '__pulse_vitals__';
const READ_TIMEOUT_MS = 1_000;
/** Page views kept per step: a step that navigates more than this is summarised by its first ones. */
const MAX_VIEWS = 10;

/**
 * Runs in the top frame of every document. A view is a document load or a client-side navigation
 * (history.pushState/replaceState, popstate); each gets its own figures. Layout shift follows the
 * session windows of CLS (gaps under 1 s, windows under 5 s, the largest counts); interaction to
 * next paint is the slowest interaction of the view, close to the 98th percentile at the few
 * interactions a journey makes. Paint figures exist only for document loads.
 */
function pageScript(mark: string): void {
  if (window.top !== window || (window as unknown as Record<string, unknown>).__pulseVitals) return;
  interface View {
    kind: 'load' | 'route';
    url: string;
    start: number;
    ttfbMs?: number;
    fcpMs?: number;
    lcpMs?: number;
    cls: number;
    windowValue: number;
    windowStart: number;
    lastShift: number;
    inpMs?: number;
    /** Reported since it last changed. */
    taken: boolean;
    /** Reported at least once: a later report is of a page an earlier step opened. */
    reported: boolean;
  }
  const views: View[] = [];
  const open = (kind: View['kind'], start: number): View => {
    const view: View = { kind, url: location.href, start, cls: 0, windowValue: 0, windowStart: -1, lastShift: -1, taken: false, reported: false };
    views.push(view);
    if (views.length > 20) views.shift();
    return view;
  };
  const load = open('load', 0);
  let current = load;
  // Entries the browser has recorded but whose callback has not run yet (it waits behind other
  // tasks on a busy page or machine): a read takes them first, or it reports the last LCP but one.
  const flushes: (() => void)[] = [];
  // A page that replaced takeRecords (or broke it) loses only what was pending, never the read.
  const flush = () =>
    flushes.forEach((take) => {
      try {
        take();
      } catch {
        // The observers' callbacks still bring those entries, a little later.
      }
    });
  const observe = (type: string, handle: (entry: PerformanceEntry) => void, extra: Record<string, unknown> = {}) => {
    try {
      const observer = new PerformanceObserver((list) => list.getEntries().forEach(handle));
      observer.observe({ type, buffered: true, ...extra });
      flushes.push(() => observer.takeRecords().forEach(handle));
    } catch {
      // This browser does not report that entry type.
    }
  };
  // Bytes over the wire since the last report: exact for the page's own origin, 0 for other
  // origins that do not send Timing-Allow-Origin (the browser hides their sizes from the page).
  let bytes = 0;
  observe('navigation', (entry) => {
    const nav = entry as PerformanceNavigationTiming & { activationStart?: number };
    if (nav.responseStart > 0) load.ttfbMs = Math.max(0, nav.responseStart - (nav.activationStart ?? 0));
    bytes += nav.transferSize || 0;
  });
  observe('resource', (entry) => {
    bytes += (entry as PerformanceResourceTiming).transferSize || 0;
  });
  observe('paint', (entry) => {
    if (entry.name === 'first-contentful-paint') load.fcpMs = entry.startTime;
  });
  observe('largest-contentful-paint', (entry) => {
    load.lcpMs = entry.startTime;
  });
  observe('layout-shift', (entry) => {
    const shift = entry as PerformanceEntry & { value: number; hadRecentInput: boolean };
    if (shift.hadRecentInput) return;
    const view = current;
    const t = shift.startTime;
    if (view.windowStart < 0 || t - view.lastShift > 1000 || t - view.windowStart > 5000) {
      view.windowStart = t;
      view.windowValue = 0;
    }
    view.windowValue += shift.value;
    view.lastShift = t;
    view.cls = Math.max(view.cls, view.windowValue);
    view.taken = false;
  });
  // The first interaction is always reported, however fast; later ones from 16 ms up.
  observe('first-input', (entry) => {
    const view = current;
    view.inpMs = Math.max(view.inpMs ?? 0, entry.duration);
    view.taken = false;
  });
  observe(
    'event',
    (entry) => {
      const event = entry as PerformanceEntry & { interactionId?: number };
      if (!event.interactionId) return;
      const view = current;
      view.inpMs = Math.max(view.inpMs ?? 0, event.duration);
      view.taken = false;
    },
    { durationThreshold: 16 },
  );
  const route = () => {
    if (location.href === current.url) return;
    current = open('route', performance.now());
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method].bind(history);
    history[method] = (...args: Parameters<History['pushState']>) => {
      const result = original(...args);
      route();
      return result;
    };
  }
  addEventListener('popstate', route);
  const report = (all: boolean) => {
    const out = views
      .filter((view) => all || !view.taken)
      .map((view) => {
        const continued = view.reported;
        view.taken = true;
        view.reported = true;
        return { kind: view.kind, url: view.url, continued, ttfbMs: view.ttfbMs, fcpMs: view.fcpMs, lcpMs: view.lcpMs, cls: view.cls, inpMs: view.inpMs };
      });
    // Only the view shown now can change later; older ones are final once reported.
    views.splice(0, views.length - 1);
    const sent = bytes;
    bytes = 0;
    return { views: out, bytes: sent };
  };
  // A page that has loaded but not painted yet paints within a frame or two: wait for that
  // (at most 100 ms), so the step that loaded it gets its paint figures.
  const painted = () =>
    new Promise<void>((resolve) => {
      if (load.fcpMs !== undefined || current !== load || document.visibilityState !== 'visible') return resolve();
      const timer = setTimeout(resolve, 100);
      requestAnimationFrame(() =>
        requestAnimationFrame(() =>
          setTimeout(() => {
            clearTimeout(timer);
            resolve();
          }, 0),
        ),
      );
    });
  (window as unknown as Record<string, unknown>).__pulseVitals = {
    take: async () => {
      await painted();
      flush();
      return report(false);
    },
  };
  addEventListener('pagehide', () => {
    flush();
    console.debug(mark + JSON.stringify(report(false)));
  });
}

/**
 * The source added to every context pulse makes. Run from TypeScript source, the loader wraps
 * named functions in a `__name` helper that exists only in Node; the page gets a stand-in.
 */
export const VITALS_SCRIPT = `(() => { const __name = (f) => f; (${pageScript.toString()})(${JSON.stringify(VITALS_MARK)}); })();`;

interface Report {
  views: PageVitals[];
  bytes: number;
}

/** Collects the views each step caused: what leaving documents reported, then what the page shows now. */
export class VitalsReader {
  #left: PageVitals[] = [];
  #leftBytes = 0;

  constructor(context: BrowserContext) {
    context.on('console', (message: ConsoleMessage) => {
      if (message.type() !== 'debug') return;
      const text = message.text();
      if (!text.startsWith(VITALS_MARK)) return;
      try {
        const report = JSON.parse(text.slice(VITALS_MARK.length)) as Report;
        this.#left.push(...report.views.map(rounded));
        this.#leftBytes += Number(report.bytes) || 0;
      } catch {
        // A page that forged the mark: nothing to learn from it.
      }
    });
  }

  /** Forgets what came before the step. */
  begin(): void {
    this.#left = [];
    this.#leftBytes = 0;
  }

  /** The views the step caused or changed and the bytes it moved; never throws, never waits long for a page that does not answer. */
  async take(page: Page): Promise<{ views: PageVitals[]; bytes: number }> {
    const left = this.#left;
    let bytes = this.#leftBytes;
    this.begin();
    let now: PageVitals[] = [];
    if (!page.isClosed()) {
      try {
        const read = page.evaluate(
          () => (window as unknown as { __pulseVitals?: { take(): Promise<Report> } }).__pulseVitals?.take() ?? { views: [], bytes: 0 },
        );
        const report = await withDeadline(read, READ_TIMEOUT_MS, 'reading web vitals');
        now = report.views.map(rounded);
        bytes += Number(report.bytes) || 0;
      } catch {
        // Mid-navigation or busy: the next step's read covers what this one missed.
      }
    }
    return { views: [...left, ...now].slice(0, MAX_VIEWS), bytes };
  }
}

function rounded(view: PageVitals): PageVitals {
  const ms = (value: number | undefined) => (typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : undefined);
  const out: PageVitals = {
    kind: view.kind === 'route' ? 'route' : 'load',
    url: String(view.url).slice(0, 500),
    cls: Math.round((Number(view.cls) || 0) * 10_000) / 10_000,
  };
  if (view.continued === true) out.continued = true;
  const ttfb = ms(view.ttfbMs);
  const fcp = ms(view.fcpMs);
  const lcp = ms(view.lcpMs);
  const inp = ms(view.inpMs);
  if (ttfb !== undefined) out.ttfbMs = ttfb;
  if (fcp !== undefined) out.fcpMs = fcp;
  if (lcp !== undefined) out.lcpMs = lcp;
  if (inp !== undefined) out.inpMs = inp;
  return out;
}
