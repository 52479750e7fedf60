import { html, type SafeHtml } from '../../html.ts';
import type { JourneyStats, RunRecord } from '../../store/run-store.ts';
import { ago, ms, percent, time } from '../format.ts';
import { stepChart, type StepSeriesPoint } from './chart.ts';
import { layout, statusBadge } from './layout.ts';

export interface JourneyPageData {
  stats: JourneyStats;
  schedule: string | undefined;
  file: string | undefined;
  runs: RunRecord[];
  failures: RunRecord[];
  history: StepSeriesPoint[];
}

export function journeyPage(data: JourneyPageData, location: string, now = Date.now()): SafeHtml {
  const { stats } = data;
  const body = html`<h1>${stats.journey} ${stats.lastRun ? statusBadge(stats.lastRun.status === 'success' ? 'up' : 'down', stats.lastRun.status === 'success' ? 'UP' : 'DOWN') : ''}</h1>
<dl class="facts">
<dt>schedule</dt><dd>${data.schedule ?? 'not configured on this replica'}</dd>
${data.file ? html`<dt>file</dt><dd><code>${data.file}</code></dd>` : ''}
<dt>last success</dt><dd>${ago(stats.lastSuccessAt, now)}</dd>
<dt>success rate</dt><dd>${percent(stats.successRate1h)} over 1 h (${stats.runs1h} runs), ${percent(stats.successRate24h)} over 24 h (${stats.runs24h} runs)</dd>
<dt>duration</dt><dd>p50 ${ms(stats.p50Ms)}, p95 ${ms(stats.p95Ms)} (successful runs, 24 h)</dd>
</dl>
<h2>Step durations</h2>
${stepChart(data.history)}
<h2>Failures</h2>
${data.failures.length === 0
  ? html`<p class="muted">No failures in the recent history.</p>`
  : html`<table><thead><tr><th>when</th><th>step</th><th>reason</th><th>error</th></tr></thead><tbody>
${data.failures.map((run) => html`<tr><td><a href="/runs/${encodeURIComponent(run.runId)}">${time(run.startedAt)}</a></td><td>${run.error?.step ?? '–'}</td><td>${run.error?.reason ?? run.status}</td><td>${firstLine(run.error?.message)}</td></tr>`)}
</tbody></table>`}
<h2>Recent runs</h2>
<table><thead><tr><th>started</th><th>status</th><th>duration</th><th>attempts</th><th>failed step</th><th>reason</th></tr></thead><tbody>
${data.runs.map((run) => html`<tr><td><a href="/runs/${encodeURIComponent(run.runId)}">${time(run.startedAt)}</a></td><td>${statusBadge(run.status)}${run.flaky ? html` <span class="muted">flaky</span>` : ''}</td><td>${ms(run.durationMs)}</td><td>${run.attempts}</td><td>${run.error?.step ?? ''}</td><td>${run.error?.reason ?? ''}</td></tr>`)}
</tbody></table>`;
  return layout({ title: stats.journey, location }, body);
}

function firstLine(text: string | undefined): string {
  const line = (text ?? '').split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
