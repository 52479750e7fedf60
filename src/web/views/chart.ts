import { html, type SafeHtml } from '../../html.ts';
import type { PageVitals } from '../../result.ts';

const COLOURS = ['#0969da', '#1a7f37', '#bf3989', '#9a6700', '#8250df', '#cf222e', '#1b7c83', '#6e7781'];
const WIDTH = 900;
const HEIGHT = 220;
const PAD = { left: 56, right: 12, top: 10, bottom: 24 };

export interface StepSeriesPoint {
  steps: { name: string; durationMs: number; vitals?: PageVitals[] }[];
}

export interface ChartOptions {
  /** What the chart shows, for screen readers. */
  label: string;
  /** How an axis value reads, e.g. "120 ms". */
  format: (value: number) => string;
}

const STEP_CHART: ChartOptions = { label: 'step durations', format: (value) => `${Math.round(value)} ms` };

/**
 * Series over time as one line each (steps, or vitals: a point's `steps` are its named values);
 * an inline SVG needs no script and no build.
 */
export function stepChart(runs: StepSeriesPoint[], options: ChartOptions = STEP_CHART): SafeHtml {
  if (runs.length < 2) return html`<p class="muted">Not enough successful runs for a chart yet.</p>`;
  const names = [...new Set(runs.flatMap((run) => run.steps.map((s) => s.name)))];
  const max = Math.max(1, ...runs.flatMap((run) => run.steps.map((s) => s.durationMs)));
  const x = (i: number) => PAD.left + (i * (WIDTH - PAD.left - PAD.right)) / (runs.length - 1);
  const y = (value: number) => PAD.top + (1 - value / max) * (HEIGHT - PAD.top - PAD.bottom);
  const ticks = [0, 0.5, 1].map((f) => f * max);
  return html`<svg role="img" aria-label="${options.label} over the last ${runs.length} successful runs" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" style="background:#fff;border:1px solid #d1d9e0">
${ticks.map((tick) => html`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="#eaeef2"/><text x="${PAD.left - 6}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#59636e">${options.format(tick)}</text>`)}
${names.map((name, index) => {
  const points = runs
    .map((run, i) => {
      const step = run.steps.find((s) => s.name === name);
      return step ? `${x(i).toFixed(1)},${y(step.durationMs).toFixed(1)}` : undefined;
    })
    .filter(Boolean)
    .join(' ');
  return html`<polyline fill="none" stroke="${COLOURS[index % COLOURS.length]}" stroke-width="1.5" points="${points}"><title>${name}</title></polyline>`;
})}
</svg>
<p>${names.map((name, index) => html`<span style="color:${COLOURS[index % COLOURS.length]}">■</span> ${name} &nbsp; `)}</p>`;
}
