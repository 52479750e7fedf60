import { html, type SafeHtml } from '../../html.ts';
import type { ProberStatus } from '../../control/prober-health.ts';
import type { StoreHealth } from '../../store/database.ts';
import type { JourneyStats } from '../../store/run-queries.ts';
import { ago, flakeShare, left, ms, percent, time } from '../format.ts';
import { layout, statusBadge } from './layout.ts';

export interface OverviewRow {
  stats: JourneyStats;
  schedule: string | undefined;
  /** When it is paused, until when. */
  pausedUntil: string | undefined;
}

/** Every journey: up/down and since when, last success, success rates, p50/p95, the last runs. */
export function overviewPage(rows: OverviewRow[], location: string, now = Date.now(), store?: StoreHealth, prober?: ProberStatus): SafeHtml {
  const body = html`<h1>Journeys</h1>
${prober ? proberPanel(prober, now) : ''}
${store ? storeNotice(store, now) : ''}
<div class="scroll-box"><table>
<thead><tr><th><a href="/">journey</a></th><th>state</th><th>last success</th><th>success 1 h</th><th>success 24 h</th><th><a href="/?sort=flaky" title="sort by the share of successful runs that needed a retry, 24 h">flaky 24 h</a></th><th>p50</th><th>p95</th><th>last runs (newest right)</th></tr></thead>
<tbody>
${rows.map(({ stats, schedule, pausedUntil }) => {
  const last = stats.lastRun;
  const state = !last
    ? statusBadge('unknown', 'no runs yet')
    : last.status === 'success'
      ? html`${statusBadge('up', 'UP')}${last.degraded ? html` ${statusBadge('degraded', 'DEGRADED')}` : ''}`
      : statusBadge('down', last.status === 'error' ? 'DOWN (prober error)' : 'DOWN');
  return html`<tr data-journey="${stats.journey}">
<td><a class="breakable" href="/journeys/${encodeURIComponent(stats.journey)}">${stats.journey}</a>${schedule ? html`<div class="muted">${schedule}</div>` : ''}</td>
<td>${state}${stats.since ? html`<div class="muted">since ${ago(stats.since, now)}</div>` : ''}${pausedUntil ? html`<div><span class="badge skipped">PAUSED</span> <span class="muted">${left(pausedUntil, now)}</span></div>` : ''}</td>
<td>${ago(stats.lastSuccessAt, now)}</td>
<td>${percent(stats.successRate1h)} <span class="muted">(${stats.runs1h})</span></td>
<td>${percent(stats.successRate24h)} <span class="muted">(${stats.runs24h})</span></td>
<td data-flaky-24h="${stats.flaky24h.share ?? ''}">${flakeShare(stats.flaky24h)}</td>
<td class="figure">${ms(stats.p50Ms)}</td>
<td class="figure">${ms(stats.p95Ms)}</td>
<td><div class="strip">${[...stats.recent].reverse().map((run) => html`<a class="${run.status}${run.degraded ? ' degraded' : ''}" href="/runs/${encodeURIComponent(run.runId)}" title="${run.status}${run.degraded ? ', degraded' : ''} at ${time(run.startedAt)}"></a>`)}</div></td>
</tr>`;
})}
</tbody>
</table></div>`;
  return layout({ title: 'Journeys', location, refreshSeconds: 30 }, body);
}

/** pulse's own health first: while it is down, the journeys' states below say little about the product. */
function proberPanel(prober: ProberStatus, now: number): SafeHtml {
  const last = prober.control.lastRun;
  const interval = prober.control.intervalMs;
  const badge =
    prober.state === 'up' ? statusBadge('up', 'UP') : prober.state === 'degraded' ? statusBadge('degraded', 'DEGRADED') : statusBadge('down', 'DOWN');
  return html`<section class="prober" data-prober-up="${prober.up ? '1' : '0'}" data-prober-state="${prober.state}">
<h2>Prober health ${badge} <span class="muted">since ${ago(prober.since, now)}</span></h2>
${prober.up ? '' : html`<p class="note">pulse itself is sick: failures and errors below may be its own, and the alerts of this replica's journeys are held (PulseProberDown).</p>`}
${
  prober.store
    ? html`<p class="note" data-store-condition="${prober.store.condition}"><strong>Run store degraded:</strong> ${prober.store.message}. Probing, the heartbeat and the metrics go on${prober.up ? html` and the journeys' alerts are not held` : ''}, but run history and evidence are being lost. Fix: ${prober.store.fix}.</p>`
    : ''
}
<div class="scroll-box"><table>
<thead><tr><th>check</th><th>state</th><th>detail</th></tr></thead>
<tbody>
${Object.entries(prober.checks).map(([check, state]) => {
  const failing = prober.failing.find((each) => each.check === check);
  const badge = !failing ? statusBadge('up', 'OK') : failing.degrading ? statusBadge('degraded', 'FAILING') : statusBadge('down', 'FAILING');
  return html`<tr data-check="${check}"><td>${check}</td><td>${badge}</td><td>${state.detail}</td></tr>`;
})}
</tbody>
</table></div>
<p class="muted">${
    interval === undefined
      ? 'The control journey is off (PULSE_CONTROL_INTERVAL=off).'
      : html`Control journey every ${Math.round(interval / 1000)} s against pulse's own page; last run ${last ? html`<span class="badge ${last.status}">${last.status}</span> ${ago(last.startedAt, now)}, ${ms(last.durationMs)}` : 'not yet'}; last passed ${ago(prober.control.lastSuccessAt, now)}.`
  }</p>
</section>`;
}

/** Run history being lost is on-call's business too: the heartbeat goes on, but evidence and history may not. */
function storeNotice(store: StoreHealth, now: number): SafeHtml | '' {
  if (store.failures === 0 && !store.inMemory) return '';
  const reset = store.resets.at(-1);
  return html`<p class="note" data-store-failures="${store.failures}"><strong>Run history:</strong> ${store.failures} store failure${store.failures === 1 ? '' : 's'} since pulse started${
    store.last ? html`, the last ${ago(store.last.at, now)} (${store.last.operation}: ${store.last.message})` : ''
  }.${store.inMemory ? html` History is kept in memory only until pulse restarts.` : ''}${
    reset
      ? html` The store was started afresh ${ago(reset.at, now)}${reset.reset?.setAside ? html`; the damaged file is kept at <code>${reset.reset.setAside}</code>` : ''}.`
      : ''
  } Probing and the heartbeat go on.</p>`;
}
