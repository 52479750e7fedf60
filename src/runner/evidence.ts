import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright';
import type { Artifacts } from '../result.ts';
import type { Redactor } from '../redact.ts';

const MAX_ENTRIES = 200;
const CAPTURE_TIMEOUT_MS = 5_000;

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
  /** HTTP error statuses since the current step began. */
  stepHttpErrors: number[] = [];

  constructor(context: BrowserContext) {
    context.on('console', (message) => {
      if (message.type() !== 'error') return;
      this.#push(this.console, { at: now(), kind: 'console', text: message.text(), url: message.location().url || undefined });
    });
    context.on('weberror', (webError) => {
      const error = webError.error();
      this.#push(this.console, { at: now(), kind: 'pageerror', text: error.stack ?? error.message, url: webError.page()?.url() });
    });
    context.on('requestfailed', (request) => {
      this.#push(this.requests, { at: now(), method: request.method(), url: request.url(), resourceType: request.resourceType(), failure: request.failure()?.errorText ?? 'failed' });
    });
    context.on('response', (response) => {
      const status = response.status();
      if (status < 400) return;
      const request = response.request();
      const type = request.resourceType();
      this.#push(this.requests, { at: now(), method: request.method(), url: response.url(), resourceType: type, status });
      const isDocument = type === 'document' && request.frame().parentFrame() === null;
      if ((isDocument && status >= 400) || ((type === 'fetch' || type === 'xhr') && status >= 500)) this.stepHttpErrors.push(status);
    });
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
  /** Data folder the returned paths are relative to. */
  dataDir: string;
  prefix: string;
  redact: Redactor;
  /** Called for each piece that could not be captured or written; the run goes on. */
  onProblem: (what: string, error: unknown) => void;
}

/** Screenshot, HTML and console/network log, taken at once at the moment of failure. */
export async function captureEvidence(options: CaptureOptions): Promise<Artifacts> {
  const { page, recorder, dir, dataDir, prefix, redact, onProblem } = options;
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    onProblem('artifact folder', error);
    return {};
  }
  const file = (name: string) => path.join(dir, `${prefix}${name}`);
  const relative = (absolute: string) => path.relative(dataDir, absolute);
  const artifacts: Artifacts = {};

  const screenshot = async () => {
    if (!page || page.isClosed()) return;
    const target = file('screenshot.png');
    await page.screenshot({ path: target, fullPage: true, timeout: CAPTURE_TIMEOUT_MS, animations: 'disabled', caret: 'hide' });
    artifacts.screenshot = relative(target);
  };
  const html = async () => {
    if (!page || page.isClosed()) return;
    const target = file('page.html');
    const content = await withTimeout(page.content(), CAPTURE_TIMEOUT_MS, 'page.content');
    await writeFile(target, redact(content));
    artifacts.html = relative(target);
  };
  const log = async () => {
    const target = file('console.json');
    const body = { url: page && !page.isClosed() ? page.url() : undefined, console: recorder.console, requests: recorder.requests };
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

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function now(): string {
  return new Date().toISOString();
}
