import { artifactUrl } from '../../artifacts.ts';
import { html, type SafeHtml } from '../../html.ts';
import type { RunRecord } from '../../store/run-queries.ts';
import { openTraceUrl } from '../trace-links.ts';
import { layout } from './layout.ts';

/** How the page's reader can open a trace: in the viewer pulse serves, or only by download (no secure context). */
export type TraceOpening = 'viewer' | 'download';

export const NEEDS_SECURE_CONTEXT =
  'The trace viewer cannot open here: browsers run it only over https or on localhost, and pulse is reached over plain http, so download the trace and open it with the command below.';

/** "Open trace" for the run (no attempt) or one attempt, where the viewer can run. */
export function openTraceLink(runId: string, attempt?: number): SafeHtml {
  return html`<a href="${openTraceUrl(runId, attempt)}" data-testid="open-trace">Open trace</a>`;
}

/** Beside a trace: the viewer link, or the sentence why there is none, and the command that opens the file. */
export function traceHelp(opening: TraceOpening, runId: string, file: string, publicUrl: string | undefined): SafeHtml {
  const command = html`<code>npx playwright show-trace ${showTraceTarget(file, publicUrl)}</code>`;
  if (opening === 'viewer') return html`<p>${openTraceLink(runId)} in Playwright's trace viewer, or run ${command}</p>`;
  return html`<p class="note" data-testid="trace-insecure">${NEEDS_SECURE_CONTEXT}</p>
<p><a href="${artifactUrl(file)}" download>Download the trace</a>, then ${command}</p>`;
}

// show-trace opens a URL itself when the UI is reachable at its public URL; otherwise the downloaded file.
function showTraceTarget(file: string, publicUrl: string | undefined): string {
  const traceUrl = artifactUrl(file, publicUrl);
  return traceUrl.startsWith('http') ? traceUrl : (file.split('/').pop() ?? 'trace.zip');
}

/** What /runs/:id/trace answers where the viewer cannot run. */
export function traceUnavailablePage(run: RunRecord, file: string, location: string, publicUrl: string | undefined): SafeHtml {
  return layout(
    { title: `trace of ${run.journey} ${run.runId}`, location },
    html`<h1>Trace of <a href="/runs/${encodeURIComponent(run.runId)}">${run.journey} run ${run.runId}</a></h1>
${traceHelp('download', run.runId, file, publicUrl)}`,
  );
}
