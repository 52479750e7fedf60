/** Display helpers for the UI: wall-clock only for display, never for durations. */

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

export function percent(ratio: number | undefined): string {
  return ratio === undefined ? '–' : `${(ratio * 100).toFixed(ratio === 1 ? 0 : 1)}%`;
}

export function ms(value: number | undefined): string {
  if (value === undefined) return '–';
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
}

export function time(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Time until an ISO instant, e.g. "in 25m". */
export function left(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((Date.parse(iso) - now) / 1000));
  if (seconds < 60) return `${seconds}s left`;
  if (seconds < 3600) return `${Math.ceil(seconds / 60)}m left`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m left`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h left`;
}

/** A threshold's limit or measured figure: a duration, or a layout shift score. */
export function thresholdFigure(metric: string, value: number): string {
  return metric === 'cls' ? String(value) : ms(value);
}

/** The flake ledger's figure: "4.2% (3 of 71)". */
export function flakeShare(figure: { successes: number; flaky: number; share: number | undefined }): string {
  return figure.share === undefined ? '–' : `${percent(figure.share)} (${figure.flaky} of ${figure.successes})`;
}

/** Bytes as whole MiB, e.g. "412 MiB". */
export function mebibytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}
