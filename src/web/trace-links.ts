// The addresses of the trace viewer, shared by its routes and the pages that link to it.

/** The viewer's own path: its files, its service worker's scope, and the traces it loads. */
export const TRACE_VIEWER_PREFIX = '/trace-viewer/';
export const TRACES_PREFIX = `${TRACE_VIEWER_PREFIX}traces/`;

/** Where the viewer opens one trace (a path relative to the artifacts root, as in RunResult.artifacts). */
export function viewerUrl(traceFile: string): string {
  const trace = `${TRACES_PREFIX}${traceFile.split('/').map(encodeURIComponent).join('/')}`;
  return `${TRACE_VIEWER_PREFIX}index.html?${new URLSearchParams({ trace }).toString()}`;
}

/** Where "Open trace" points: the run's trace, or one attempt's. */
export function openTraceUrl(runId: string, attempt?: number): string {
  return `/runs/${encodeURIComponent(runId)}/trace${attempt === undefined ? '' : `?attempt=${attempt}`}`;
}
