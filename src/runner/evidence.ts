import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, CDPSession, Page, Request } from 'playwright';
import type { Artifacts } from '../result.ts';
import type { Redactor } from '../redact.ts';
import { withDeadline } from './deadline.ts';

const MAX_ENTRIES = 200;
const CAPTURE_TIMEOUT_MS = 3_000;

export interface ConsoleEntry {
  at: string;
  kind: 'console' | 'pageerror';
  text: string;
  url?: string;
}

export interface RequestEntry {
  at: string;
  method: string;
  url: string;
  resourceType: string;
  /** HTTP status, or the network error text when there was no answer. */
  status?: number;
  failure?: string;
}

/**
 * Listens to one context for what on-call want when the run breaks: console errors,
 * uncaught page errors and requests that failed or answered with an error status.
 */
export class EvidenceRecorder {
  readonly console: ConsoleEntry[] = [];
  readonly requests: RequestEntry[] = [];
  /** fetch/XHR answers >= 500 since the current step began. */
  stepApiErrors: { status: number; url: string }[] = [];
  /** The answer to the document the main frame shows now. */
  document: { status: number; url: string; method: string } | undefined;
  /** Main-frame navigations and fetch/XHR calls sent and not yet answered: the page is still waiting. */
  readonly #pending = new Set<Request>();

  constructor(context: BrowserContext) {
    context.on('console', (message) => {
      if (message.type() !== 'error') return;
      this.#push(this.console, { at: now(), kind: 'console', text: message.text(), url: message.location().url || undefined });
    });
    context.on('weberror', (webError) => {
      const error = webError.error();
      this.#push(this.console, { at: now(), kind: 'pageerror', text: error.stack ?? error.message, url: webError.page()?.url() });
    });
    context.on('request', (request) => {
      if (isAwaited(request)) this.#pending.add(request);
    });
    context.on('requestfinished', (request) => this.#pending.delete(request));
    context.on('requestfailed', (request) => {
      this.#pending.delete(request);
      this.#push(this.requests, { at: now(), method: request.method(), url: request.url(), resourceType: request.resourceType(), failure: request.failure()?.errorText ?? 'failed' });
    });
    context.on('response', (response) => {
      const status = response.status();
      const request = response.request();
      this.#pending.delete(request);
      if (isMainDocument(request)) {
        this.document = { status, url: response.url(), method: request.method() };
      }
      if (status < 400) return;
      const type = request.resourceType();
      this.#push(this.requests, { at: now(), method: request.method(), url: response.url(), resourceType: type, status });
      if ((type === 'fetch' || type === 'xhr') && status >= 500) this.stepApiErrors.push({ status, url: response.url() });
    });
  }

  /** What the classifier needs: HTTP errors the user would have seen, and whether the page was still loading. */
  failureEvidence(): { httpErrors: string[]; stillLoading: boolean; pending: string[] } {
    const httpErrors: string[] = [];
    if (this.document && this.document.status >= 400) httpErrors.push(`${this.document.method} ${this.document.url} answered HTTP ${this.document.status}`);
    for (const call of this.stepApiErrors) httpErrors.push(`a request to ${call.url} answered HTTP ${call.status}`);
    return { httpErrors, stillLoading: this.#pending.size > 0, pending: this.pendingRequests() };
  }

  /** What the page was still waiting for, as "METHOD url". */
  pendingRequests(): string[] {
    return [...this.#pending].map((request) => `${request.method()} ${request.url()}`);
  }

  #push<T>(list: T[], entry: T): void {
    if (list.length < MAX_ENTRIES) list.push(entry);
  }
}

export interface CaptureOptions {
  page: Page | undefined;
  recorder: EvidenceRecorder;
  /** Absolute folder for this attempt's files. */
  dir: string;
  /** Folder the returned paths are relative to. */
  root: string;
  prefix: string;
  redact: Redactor;
  /** Called for each piece that could not be captured or written; the run goes on. */
  onProblem: (what: string, error: unknown) => void;
}

/** Screenshot, HTML and console/network log, taken at once at the moment of failure. */
export async function captureEvidence(options: CaptureOptions): Promise<Artifacts> {
  const { page, recorder, dir, root, prefix, redact, onProblem } = options;
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    onProblem('artifact folder', error);
    return {};
  }
  const file = (name: string) => path.join(dir, `${prefix}${name}`);
  const relative = (absolute: string) => path.relative(root, absolute);
  const artifacts: Artifacts = {};

  const screenshot = async () => {
    if (!page || page.isClosed()) return;
    const target = file('screenshot.png');
    try {
      await page.screenshot({ path: target, fullPage: true, timeout: CAPTURE_TIMEOUT_MS, animations: 'disabled', caret: 'hide' });
    } catch {
      // A page stuck mid-navigation can keep Playwright waiting; Chromium still paints what the user sees.
      await writeFile(target, await rawScreenshot(page));
    }
    artifacts.screenshot = relative(target);
  };
  const html = async () => {
    if (!page || page.isClosed()) return;
    const target = file('page.html');
    const read = () => withDeadline(page.content(), CAPTURE_TIMEOUT_MS, 'page.content');
    // A page caught mid-navigation refuses once; the next document is worth a second look.
    const content = await read().catch(async (error: unknown) => {
      if (/navigating/.test(String(error))) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return read().catch(() => rawHtml(page));
      }
      return rawHtml(page);
    });
    await writeFile(target, redact(content));
    artifacts.html = relative(target);
  };
  const log = async () => {
    const target = file('console.json');
    const body = { url: page && !page.isClosed() ? page.url() : undefined, console: recorder.console, requests: recorder.requests, pending: recorder.pendingRequests() };
    await writeFile(target, redact(JSON.stringify(body, null, 2)));
    artifacts.console = relative(target);
  };
  const results = await Promise.allSettled([screenshot(), html(), log()]);
  const names = ['screenshot', 'page HTML', 'console log'];
  results.forEach((result, index) => {
    if (result.status === 'rejected') onProblem(names[index]!, result.reason);
  });
  return artifacts;
}

// Playwright waits for a page stuck mid-navigation; Chromium itself still answers for what the user sees.
async function rawScreenshot(page: Page): Promise<Buffer> {
  const shot = await withCdp(page, (session) => session.send('Page.captureScreenshot', { format: 'png' }));
  return Buffer.from(shot.data, 'base64');
}

async function rawHtml(page: Page): Promise<string> {
  // The document under a pending navigation only answers once that navigation is stopped.
  await withCdp(page, (session) => session.send('Page.stopLoading'));
  return withDeadline(page.content(), CAPTURE_TIMEOUT_MS, 'page.content');
}

async function withCdp<T>(page: Page, use: (session: CDPSession) => Promise<T>): Promise<T> {
  const session = await withDeadline(page.context().newCDPSession(page), CAPTURE_TIMEOUT_MS, 'newCDPSession');
  try {
    return await withDeadline(use(session), CAPTURE_TIMEOUT_MS, 'CDP');
  } finally {
    // Detaching from a page stuck mid-navigation can wait as long as the page does; closing the context ends it.
    session.detach().catch(() => undefined);
  }
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

function now(): string {
  return new Date().toISOString();
}
