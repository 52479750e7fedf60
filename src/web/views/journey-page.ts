import { describeScope, type Pause } from '../../operations/pauses.ts';
import { html, type SafeHtml } from '../../html.ts';
import type { CostFigure, JourneyStats, RunRecord, StepFigures } from '../../store/run-queries.ts';
import { isNearMiss, NEAR_MISS_SHARE, timeoutShare } from '../../near-miss.ts';
import { ago, flakeShare, left, mebibytes, ms, percent, thresholdFigure, time } from '../format.ts';
import type { ThresholdLimits } from '../../thresholds.ts';
import { THRESHOLD_METRICS } from '../../result.ts';
import { stepChart, type StepSeriesPoint } from './chart.ts';
import { layout, statusBadge } from './layout.ts';
import { runVitals } from '../../web-vitals.ts';

export interface JourneyPageData {
  stats: JourneyStats;
  /** Pauses holding this journey now. */
  pauses: readonly Pause[];
  /** The UI's write controls: shown only where writes are possible, each form with the page's token. */
  controls: { csrf: string } | undefined;
  /** What a form just did: a run started, or one already running. */
  notice?: { started?: string; busy?: string };
  schedule: string | undefined;
  file: string | undefined;
  /** The Playwright test it runs, when it comes from a spec file: its title path and project. */
  test?: { title: string; project: string };
  /** The journey's thresholds, when it has any (on this replica's definition). */
  thresholds?: ThresholdLimits;
  /** The budgets of an attempt and of each step, from this replica's definition; absent where it is not configured. */
  budgets?: { timeoutMs: number; stepTimeoutMs: number };
  /** Each step's p95 over 24 h, to hold against its timeout. */
  stepFigures: StepFigures;
  runs: RunRecord[];
  failures: RunRecord[];
  history: StepSeriesPoint[];
}

export function journeyPage(data: JourneyPageData, location: string, now = Date.now()): SafeHtml {
  const { stats } = data;
  const body = html`<h1>${stats.journey} ${stats.lastRun ? statusBadge(stats.lastRun.status === 'success' ? 'up' : 'down', stats.lastRun.status === 'success' ? 'UP' : 'DOWN') : ''}${stats.lastRun?.degraded ? html` ${statusBadge('degraded', 'DEGRADED')}` : ''}</h1>
<dl class="facts">
<dt>schedule</dt><dd>${data.schedule ?? 'not configured on this replica'}</dd>
${data.file ? html`<dt>file</dt><dd><code>${data.file}</code></dd>` : ''}
${data.test ? html`<dt>Playwright test</dt><dd data-testid="spec-test">${data.test.title}${data.test.project ? html` <span class="muted">(project ${data.test.project})</span>` : ''}</dd>` : ''}
<dt>last success</dt><dd>${ago(stats.lastSuccessAt, now)}</dd>
<dt>success rate</dt><dd>${percent(stats.successRate1h)} over 1 h (${stats.runs1h} runs), ${percent(stats.successRate24h)} over 24 h (${stats.runs24h} runs)</dd>
<dt>duration</dt><dd>p50 ${ms(stats.p50Ms)}, p95 ${ms(stats.p95Ms)} (successful runs, 24 h)${data.budgets ? `; budget ${ms(data.budgets.timeoutMs)} an attempt, ${ms(data.budgets.stepTimeoutMs)} a step` : ''}</dd>
<dt>cost</dt><dd data-testid="cost">${describeCost(stats.cost24h, stats.lastRun)}</dd>
<dt>flaky</dt><dd data-flaky-24h="${stats.flaky24h.share ?? ''}">${flakeShare(stats.flaky24h)} of successful runs needed a retry over 24 h, ${flakeShare(stats.flaky7d)} over 7 days</dd>
${
  data.thresholds
    ? html`<dt>thresholds</dt><dd data-testid="thresholds">${describeThresholds(data.thresholds)}</dd>
<dt>degraded</dt><dd data-degraded-24h="${stats.degraded24h.share ?? ''}">${stats.degraded24h.share === undefined ? '–' : `${percent(stats.degraded24h.share)} (${stats.degraded24h.degraded} of ${stats.degraded24h.successes})`} of successful runs broke a threshold over 24 h</dd>`
    : ''
}
</dl>
${data.notice?.started ? html`<p class="note">Run <a href="/runs/${encodeURIComponent(data.notice.started)}">${data.notice.started}</a> started; it shows up here when it ends.</p>` : ''}
${data.notice?.busy !== undefined ? html`<p class="note">A run of this journey is in flight already${data.notice.busy ? html` (<a href="/runs/${encodeURIComponent(data.notice.busy)}">${data.notice.busy}</a>)` : ''}; no second one was started.</p>` : ''}
${data.pauses.map((pause) => html`<p class="note paused" data-pause-id="${pause.id}"><strong>Paused</strong> (${describeScope(pause.scope)}) until ${time(pause.until)}, ${left(pause.until, now)}, by ${pause.by}: ${pause.reason}</p>`)}
${data.controls ? controls(stats.journey, data.controls.csrf, data.pauses.length > 0) : ''}
<h2>Step durations</h2>
${stepChart(data.history)}
${nearMisses(data.stepFigures, data.budgets?.stepTimeoutMs)}
${vitalsCharts(data.history)}
<h2>Failures</h2>
${
  data.failures.length === 0
    ? html`<p class="muted">No failures in the recent history.</p>`
    : html`<div class="scroll-box"><table><thead><tr><th>when</th><th>step</th><th>reason</th><th>cause</th><th>error</th></tr></thead><tbody>
${data.failures.map((run) => html`<tr><td><a href="/runs/${encodeURIComponent(run.runId)}">${time(run.startedAt)}</a></td><td>${run.error?.step ?? '–'}</td><td>${run.error?.reason ?? run.status}</td><td>${run.cause ?? '–'}</td><td class="breakable">${firstLine(run.error?.message)}</td></tr>`)}
</tbody></table></div>`
}
<h2>Recent runs</h2>
<div class="scroll-box"><table><thead><tr><th>started</th><th>status</th><th>duration</th><th>attempts</th><th>failed step</th><th>reason</th><th>cause</th></tr></thead><tbody>
${data.runs.map((run) => html`<tr><td><a href="/runs/${encodeURIComponent(run.runId)}">${time(run.startedAt)}</a></td><td>${statusBadge(run.status)}${run.degraded ? html` ${statusBadge('degraded')}` : ''}${run.flaky ? html` <span class="muted">flaky</span>` : ''}</td><td class="figure">${ms(run.durationMs)}</td><td>${run.attempts}</td><td>${run.error?.step ?? ''}</td><td>${run.error?.reason ?? ''}</td><td>${run.cause ?? ''}</td></tr>`)}
</tbody></table></div>`;
  return layout({ title: stats.journey, location }, body);
}

/** How near its timeout each step runs: its p95 over 24 h as a share of the step timeout, highlighted past a near miss. */
function nearMisses(figures: StepFigures, stepTimeoutMs: number | undefined): SafeHtml {
  if (figures.steps.length === 0) return html``;
  const line = NEAR_MISS_SHARE * 100;
  return html`<h2>Near misses</h2>
<p class="muted">${
    stepTimeoutMs === undefined
      ? 'The p95 of each step in successful runs over 24 h; its step timeout is not known here (the journey is not configured on this replica).'
      : `The p95 of each step in successful runs over 24 h, against its step timeout of ${ms(stepTimeoutMs)}: past ${line}% is highlighted, and an hour of that warns the team (PulseStepNearTimeout).`
  }</p>
<div class="scroll-box"><table class="near-misses"><thead><tr><th>step</th><th>runs</th><th>p95 of the timeout</th></tr></thead><tbody>
${figures.steps.map((step) => {
  const share = stepTimeoutMs === undefined ? undefined : timeoutShare(step.p95Ms, stepTimeoutMs);
  const near = stepTimeoutMs !== undefined && isNearMiss(step.p95Ms, stepTimeoutMs);
  return html`<tr${near ? html` class="near-miss"` : ''} data-step="${step.name}" data-timeout-share="${share ?? ''}"><td>${step.name}</td><td>${step.runs}</td><td>p95 ${ms(step.p95Ms)}${stepTimeoutMs === undefined ? '' : ` of ${ms(stepTimeoutMs)} (${percent(share)})`}</td></tr>`;
})}
</tbody></table></div>
${figures.more > 0 ? html`<p class="muted">and ${figures.more} more step names, left out.</p>` : ''}`;
}

/** What users felt over time: the worst of each web vital per successful run. */
function vitalsCharts(history: StepSeriesPoint[]): SafeHtml {
  const runs = history.map((run) => runVitals(run.steps));
  if (!runs.some((run) => run.lcpMs !== undefined || run.inpMs !== undefined)) return html``;
  const timed = runs.map((run) => {
    const figures: [string, number | undefined][] = [
      ['TTFB', run.ttfbMs],
      ['FCP', run.fcpMs],
      ['LCP', run.lcpMs],
      ['INP', run.inpMs],
    ];
    return { steps: figures.flatMap(([name, value]) => (value === undefined ? [] : [{ name, durationMs: value }])) };
  });
  const shifts = runs.map((run) => ({ steps: [{ name: 'CLS', durationMs: run.cls ?? 0 }] }));
  return html`<h2>Web vitals</h2>
<p class="muted">The worst page view of each successful run: time to first byte, first and largest contentful paint, interaction to next paint; then cumulative layout shift.</p>
${stepChart(timed, { label: 'web vitals', format: (value) => `${Math.round(value)} ms` })}
${stepChart(shifts, { label: 'cumulative layout shift', format: (value) => value.toFixed(2) })}`;
}

/** e.g. "1.21 CPU-s per run (median of 40 runs, 24 h), 48.4 CPU-s in all; peak memory 412 MiB (last run), at most 430 MiB". */
function describeCost(cost: CostFigure, lastRun: RunRecord | undefined): string {
  if (cost.measured === 0 || cost.cpuMedianSeconds === undefined) return 'not measured yet (the worker and its browser are read from /proc, on Linux)';
  const last = lastRun?.usage ? `${mebibytes(lastRun.usage.peakRssBytes)} (last run), ` : '';
  return `${cost.cpuMedianSeconds.toFixed(2)} CPU-s per run (median of ${cost.measured} runs, 24 h), ${cost.cpuTotalSeconds.toFixed(1)} CPU-s in all; peak memory of worker and browser ${last}at most ${mebibytes(cost.peakRssBytes ?? 0)}`;
}

/** e.g. "run: duration 20.00 s, lcp 2.50 s · 'add to cart': duration 2.00 s". */
function describeThresholds(thresholds: ThresholdLimits): string {
  const list = (limits: ThresholdLimits['run']) =>
    THRESHOLD_METRICS.filter((metric) => limits[metric] !== undefined)
      .map((metric) => `${metric} ${thresholdFigure(metric, limits[metric]!)}`)
      .join(', ');
  const parts = [
    ...(Object.keys(thresholds.run).length ? [`run: ${list(thresholds.run)}`] : []),
    ...thresholds.steps.filter((step) => Object.keys(step.limits).length).map((step) => `'${step.name}': ${list(step.limits)}`),
  ];
  return parts.join(' · ');
}

function controls(journey: string, csrf: string, paused: boolean): SafeHtml {
  const action = (what: string) => `/journeys/${encodeURIComponent(journey)}/${what}`;
  return html`<div class="controls">
<form method="post" action="${action('run')}"><input type="hidden" name="csrf" value="${csrf}"><button type="submit">Run now</button></form>
${
  paused
    ? html`<form method="post" action="${action('resume')}"><input type="hidden" name="csrf" value="${csrf}"><button type="submit">Resume</button></form>`
    : html`<form method="post" action="${action('pause')}"><input type="hidden" name="csrf" value="${csrf}">
<label>Pause for <select name="for"><option>30m</option><option>1h</option><option>2h</option><option>8h</option><option>1d</option></select></label>
<label>because <input name="reason" required maxlength="500" placeholder="deploy of checkout-service"></label>
<button type="submit">Pause</button></form>`
}
</div>`;
}

function firstLine(text: string | undefined): string {
  const line = (text ?? '').split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
