import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, CDPSession, Page } from 'playwright';
import type { Artifacts, Observations } from '../result.ts';
import type { Redactor } from '../redact.ts';
import { describeError } from '../errors.ts';
import { withDeadline } from './deadline.ts';
import type { OwnOrigins } from '../origins.ts';
import { RequestWatch } from './requests.ts';

const MAX_ENTRIES = 200;
const CAPTURE_TIMEOUT_MS = 3_000;
/** Past this many characters the DOM read is cut: one protocol message of a huge page can take the browser's pipe down. */
const DOM_READ_LIMIT = 2_000_000;
/** The DOM as it stands, before load included, cut at DOM_READ_LIMIT with a note saying so. */
const DOM_NOW = `(() => {
  const html = document.documentElement ? '<!DOCTYPE html>\\n' + document.documentElement.outerHTML : '';
  return html.length > ${DOM_READ_LIMIT} ? html.slice(0, ${DOM_READ_LIMIT}) + '\\n<!-- pulse: cut at ${DOM_READ_LIMIT} of ' + html.length + ' characters -->' : html;
})()`;
/** The last tries wait longer: a renderer busy parsing a huge page answers once it is through. */
const LAST_TRY_TIMEOUT_MS = 10_000;

export interface ConsoleEntry {
  at: string;
  kind: 'console' | 'pageerror' | 'dialog';
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

/** Console lines kept in the per-run summary, and how much of each. */
const MAX_OBSERVED_CONSOLE = 30;
const OBSERVED_CONSOLE_LENGTH = 200;

/**
 * Listens to one context for what on-call want when the run breaks: console errors, uncaught
 * page errors, dialogs the page opened, and requests that failed or answered with an error status.
 */
export class EvidenceRecorder {
  readonly console: ConsoleEntry[] = [];
  readonly requests: RequestEntry[] = [];
  readonly network: RequestWatch;

  constructor(context: BrowserContext, own: OwnOrigins, observe = true) {
    this.network = new RequestWatch(context, own, observe);
    context.on('console', (message) => {
      if (message.type() !== 'error') return;
      this.#push(this.console, { at: now(), kind: 'console', text: message.text(), url: message.location().url || undefined });
    });
    context.on('weberror', (webError) => {
      const error = webError.error();
      this.#push(this.console, { at: now(), kind: 'pageerror', text: error.stack ?? error.message, url: webError.page()?.url() });
    });
    context.on('dialog', (dialog) => {
      const page = dialog.page();
      this.#push(this.console, { at: now(), kind: 'dialog', text: `${dialog.type()}: ${dialog.message()}`, url: page?.url() });
      // Listening turns off Playwright's own dismissal; do it here unless the journey listens too.
      const journeyListens = listeners(page, 'dialog') > 0 || listeners(context, 'dialog') > 1;
      if (!journeyListens) dialog.dismiss().catch(() => undefined);
    });
    context.on('requestfailed', (request) => {
      this.#push(this.requests, {
        at: now(),
        method: request.method(),
        url: request.url(),
        resourceType: request.resourceType(),
        failure: request.failure()?.errorText ?? 'failed',
      });
    });
    context.on('response', (response) => {
      const status = response.status();
      if (status < 400) return;
      const request = response.request();
      this.#push(this.requests, { at: now(), method: request.method(), url: response.url(), resourceType: request.resourceType(), status });
    });
  }

  /** The per-run summary of what the pages did, small enough to keep for every run. */
  observations(): Observations {
    const console = new Set<string>();
    for (const entry of this.console) {
      if (console.size >= MAX_OBSERVED_CONSOLE) break;
      console.add(consoleKey(entry));
    }
    return { requests: this.network.observations(), console: [...console] };
  }

  #push<T>(list: T[], entry: T): void {
    if (list.length < MAX_ENTRIES) list.push(entry);
  }
}

/** Playwright's pages and contexts are event emitters underneath; their typings leave the count out. */
function listeners(emitter: Page | BrowserContext | null, event: string): number {
  const counted = emitter as unknown as { listenerCount?: (name: string) => number } | null;
  return counted?.listenerCount?.(event) ?? 0;
}

/** A console entry's first line, kind first, so the same error reads the same in every run. */
function consoleKey(entry: ConsoleEntry): string {
  const firstLine = entry.text.split('\n', 1)[0]!.trim();
  const text = firstLine.length > OBSERVED_CONSOLE_LENGTH ? `${firstLine.slice(0, OBSERVED_CONSOLE_LENGTH)}…` : firstLine;
  return `${entry.kind}: ${text}`;
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
  /** What could not be captured, and why: kept as a note beside the rest. */
  const notCaptured: string[] = [];

  // Always a picture, or a note saying why not: the whole page within its budget (a very long or
  // endlessly growing page may not make it), else what the user saw (the viewport), else Chromium's
  // own capture of its last frame (a page stuck mid-navigation keeps Playwright waiting).
  const screenshot = async () => {
    if (!page || page.isClosed()) return;
    const target = file('screenshot.png');
    const tries: [string, () => Promise<unknown>][] = [
      ['full page', () => page.screenshot({ path: target, fullPage: true, timeout: CAPTURE_TIMEOUT_MS, animations: 'disabled', caret: 'hide' })],
      ['viewport', () => page.screenshot({ path: target, fullPage: false, timeout: CAPTURE_TIMEOUT_MS, animations: 'disabled', caret: 'hide' })],
      ["the browser's last frame", async () => writeFile(target, await rawScreenshot(page, LAST_TRY_TIMEOUT_MS))],
    ];
    const failures: string[] = [];
    for (const [what, take] of tries) {
      try {
        await take();
        artifacts.screenshot = relative(target);
        return;
      } catch (error) {
        failures.push(`${what}: ${describeError(error).message.split('\n')[0]}`);
      }
    }
    notCaptured.push(`No picture of the page could be taken at the moment of failure:\n  ${failures.join('\n  ')}`);
  };
  const html = async () => {
    if (!page || page.isClosed()) return;
    const target = file('page.html');
    const read = () => withDeadline(page.content(), CAPTURE_TIMEOUT_MS, 'page.content');
    // A page caught mid-navigation refuses once; the next document is worth a second look.
    const content = await read()
      .catch(async (error: unknown) => {
        if (/navigating/.test(String(error))) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          return read().catch(() => rawHtml(page));
        }
        return rawHtml(page);
      })
      .catch((error: unknown) => {
        notCaptured.push(`The page's HTML could not be read: its renderer did not answer (${describeError(error).message.split('\n')[0]}).`);
        return undefined;
      });
    if (content === undefined) return;
    await writeFile(target, redact(content));
    artifacts.html = relative(target);
  };
  const log = async () => {
    const target = file('console.json');
    const body = {
      url: page && !page.isClosed() ? page.url() : undefined,
      console: recorder.console,
      requests: recorder.requests,
      pending: recorder.network.pending(),
    };
    await writeFile(target, redact(JSON.stringify(body, null, 2)));
    artifacts.console = relative(target);
  };
  const results = await Promise.allSettled([screenshot(), html(), log()]);
  if (page && page.context().browser()?.isConnected() === false)
    notCaptured.push("The browser went away while pulse took this evidence (what is missing went with it); the attempt's outcome was decided before.");
  if (notCaptured.length > 0) {
    const note = file('not-captured.txt');
    await writeFile(note, redact(`${notCaptured.join('\n')}\n`)).then(
      () => (artifacts.notCaptured = relative(note)),
      (error: unknown) => onProblem('note of what was not captured', error),
    );
  }
  const names = ['screenshot', 'page HTML', 'console log'];
  results.forEach((result, index) => {
    if (result.status === 'rejected') onProblem(names[index]!, result.reason);
  });
  return artifacts;
}

// Playwright waits for a page stuck mid-navigation; Chromium itself still answers for what the user sees.
async function rawScreenshot(page: Page, timeoutMs = CAPTURE_TIMEOUT_MS): Promise<Buffer> {
  const shot = await withCdp(page, (session) => session.send('Page.captureScreenshot', { format: 'png' }), timeoutMs);
  return Buffer.from(shot.data, 'base64');
}

async function rawHtml(page: Page): Promise<string> {
  // What the DOM holds right now, even while the document is still arriving (Playwright waits for it).
  const now = await withCdp(page, (session) => session.send('Runtime.evaluate', { expression: DOM_NOW, returnByValue: true }), LAST_TRY_TIMEOUT_MS).catch(
    () => undefined,
  );
  const held: unknown = now?.result.value;
  if (typeof held === 'string' && held !== '') return held;
  // The document under a pending navigation only answers once that navigation is stopped.
  await withCdp(page, (session) => session.send('Page.stopLoading'));
  return withDeadline(page.content(), CAPTURE_TIMEOUT_MS, 'page.content');
}

async function withCdp<T>(page: Page, use: (session: CDPSession) => Promise<T>, timeoutMs = CAPTURE_TIMEOUT_MS): Promise<T> {
  const session = await withDeadline(page.context().newCDPSession(page), CAPTURE_TIMEOUT_MS, 'newCDPSession');
  try {
    return await withDeadline(use(session), timeoutMs, 'CDP');
  } finally {
    // Detaching from a page stuck mid-navigation can wait as long as the page does; closing the context ends it.
    session.detach().catch(() => undefined);
  }
}

function now(): string {
  return new Date().toISOString();
}
