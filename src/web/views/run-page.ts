import { artifactUrl } from '../../artifacts.ts';
import { html, type SafeHtml } from '../../html.ts';
import type { Artifacts, Breach, FailureCause, StepResult } from '../../result.ts';
import { shortVersion } from '../../journey.ts';
import type { RunRecord, RunVersion } from '../../store/run-queries.ts';
import type { JourneyChange, SinceLastGood } from '../../store/since-last-good.ts';
import { ms, thresholdFigure, time } from '../format.ts';
import { layout, statusBadge } from './layout.ts';
import { openTraceLink, traceHelp, type TraceOpening } from './trace-page.ts';

/** One run: the step waterfall with the failed step marked, the error, the screenshot and links to the rest. */
/** What each cause tells on-call to do first. */
const CAUSES: Record<FailureCause, string> = {
  target: 'the product: its own origins answered wrongly, or the page did not show what the step expected',
  third_party: 'a third party: only requests to other origins failed (a CDN, a payment provider, a script)',
  journey: "the journey's own code: fix the journey, the product may be fine",
  prober: "pulse's side: it could not run or observe the journey (browser, renderer, worker, store)",
};

export function runPage(run: RunRecord, location: string, publicUrl: string | undefined, since?: SinceLastGood, traces: TraceOpening = 'viewer'): SafeHtml {
  const body = html`<h1><a href="/journeys/${encodeURIComponent(run.journey)}">${run.journey}</a> run ${statusBadge(run.status)}${run.degraded ? html` ${statusBadge('degraded')}` : ''}</h1>
<dl class="facts">
<dt>run</dt><dd><code>${run.runId}</code></dd>
${run.traceId ? html`<dt>trace id</dt><dd><code data-testid="trace-id">${run.traceId}</code></dd>` : ''}
<dt>started</dt><dd>${time(run.startedAt)}</dd>
<dt>duration</dt><dd>${ms(run.durationMs)}</dd>
<dt>attempts</dt><dd>${run.attempts}${run.flaky ? ' (flaky: succeeded on a retry)' : ''}</dd>
<dt>location</dt><dd>${run.location}</dd>
${run.version ? html`<dt>journey version</dt><dd data-testid="journey-version">${versionLabel(run.version)}</dd>` : ''}
${run.error ? html`<dt>failed step</dt><dd data-testid="failed-step">${run.error.step ?? 'outside any step'}</dd><dt>reason</dt><dd>${run.error.reason ?? 'prober error: pulse could not run the journey'}</dd>` : ''}
${run.cause ? html`<dt>cause</dt><dd data-testid="cause"><strong>${run.cause}</strong>: ${CAUSES[run.cause]}${changedHere(run, since) ? html`. <strong data-testid="journey-changed-here">The journey changed at this step since the last good run</strong>: read the change below before suspecting the product.` : ''}</dd>` : ''}
</dl>
${run.error ? html`<h2>Error</h2><pre class="error">${run.error.message}</pre>` : ''}
${run.status === 'success' ? '' : sinceSection(since)}
${run.degraded ? degradedSection(run.degraded) : ''}
<h2>Steps</h2>
${waterfall(run.steps, new Set(run.degraded?.flatMap((breach) => (breach.step === undefined ? [] : [breach.step]))))}
${feltTable(run.steps)}
${certificatesTable(run)}
${evidence(run, publicUrl, traces)}
${
  run.attemptResults.length > 1
    ? html`<h2>Attempts</h2><div class="scroll-box"><table><thead><tr><th>attempt</th><th>status</th><th>duration</th><th>failed step</th><th>reason</th><th>cause</th><th>evidence</th></tr></thead><tbody>
${run.attemptResults.map((attempt) => html`<tr><td>${attempt.attempt}</td><td>${statusBadge(attempt.status)}</td><td class="figure">${ms(attempt.durationMs)}</td><td>${attempt.error?.step ?? ''}</td><td>${attempt.error?.reason ?? ''}</td><td>${attempt.cause ?? ''}</td><td>${links(attempt.artifacts, run.artifactsPrunedAt !== undefined)}${attempt.artifacts.trace && run.artifactsPrunedAt === undefined && traces === 'viewer' ? html` · ${openTraceLink(run.runId, attempt.attempt)}` : ''}</td></tr>`)}
</tbody></table></div>`
    : ''
}`;
  return layout({ title: `${run.journey} ${run.runId}`, location }, body);
}

/** A success that broke thresholds: still the heartbeat, but slower than the journey promises. */
function degradedSection(breaches: readonly Breach[]): SafeHtml {
  return html`<h2>Thresholds broken</h2>
<p class="muted">The run succeeded and counts as a heartbeat, but broke ${breaches.length === 1 ? 'a threshold' : `${breaches.length} thresholds`} of its journey.</p>
<div class="scroll-box"><table data-testid="degraded"><thead><tr><th>step</th><th>metric</th><th>threshold</th><th>measured</th></tr></thead><tbody>
${breaches.map((breach) => html`<tr data-step="${breach.step ?? ''}" data-metric="${breach.metric}"><td>${breach.step ?? html`<span class="muted">the whole run</span>`}</td><td>${breach.metric}</td><td>${thresholdFigure(breach.metric, breach.limit)}</td><td><strong>${thresholdFigure(breach.metric, breach.actual)}</strong></td></tr>`)}
</tbody></table></div>`;
}

/** A version as on-call read it: the short hash (the full one on hover), and the git commit where there is one. */
function versionLabel(version: RunVersion): SafeHtml {
  return html`<code title="${version.hash}">${shortVersion(version.hash)}</code>${version.commit ? html` at git commit <code title="${version.commit}">${version.commit.slice(0, 12)}</code>` : ''}`;
}

/** The run failed at a step its journey changed (or added) since the last good run: pulse's own code is no suspect, the journey's new code is. */
function changedHere(run: RunRecord, since: SinceLastGood | undefined): boolean {
  return run.cause !== 'prober' && since?.journeyChanged?.atFailedStep === true;
}

function journeyChangeSection(change: JourneyChange): SafeHtml {
  return html`<h3>The journey changed</h3>
<div data-testid="journey-changed">
<p>The last good run ran version ${versionLabel(change.then)}; this run ran ${versionLabel(change.now)}.${change.atFailedStep ? ' The change reaches the step that failed.' : ''}</p>
${
  change.diff === undefined
    ? html`<p class="muted">The source of one of the two versions is no longer kept (retention), so there is no diff to show.</p>`
    : change.diff === ''
      ? html`<p class="muted">The files themselves are the same; what changed is an import left out of the version (a missing file, or one outside the journeys folder).</p>`
      : html`${change.partial ? html`<p class="muted">Part of the change only: a source was cut to its size limit, or the diff is too long to show whole.</p>` : ''}<div class="scroll-box"><pre class="diff" data-testid="journey-diff">${change.diff}</pre></div>`
}
</div>`;
}

function sinceSection(since: SinceLastGood | undefined): SafeHtml {
  if (!since)
    return html`<h2>Since the last good run</h2><p class="muted" data-testid="since-last-good">No earlier successful run of this journey here to compare with.</p>`;
  const nothing =
    !since.journeyChanged &&
    since.newConsole.length + since.newlyFailing.length + since.failingUnseen.length + since.slowerRequests.length + since.slowerSteps.length === 0;
  return html`<h2>Since the last good run</h2>
<div data-testid="since-last-good">
<p class="muted">Compared with <a href="/runs/${encodeURIComponent(since.runId)}">${since.runId}</a> (${time(since.startedAt)}).${since.complete ? '' : ' One of the two runs kept no summary of its requests (recorded before pulse kept them), so this is partial.'}</p>
${nothing ? html`<p>Nothing new: no new console error, no request that failed now and worked then, nothing much slower.</p>` : ''}
${since.journeyChanged ? journeyChangeSection(since.journeyChanged) : ''}
${since.newlyFailing.length ? html`<h3>Failing now, fine then</h3><ul data-testid="newly-failing">${since.newlyFailing.map((r) => html`<li><code>${r.key}</code>: now ${r.now}, then ${r.then}</li>`)}</ul>` : ''}
${since.failingUnseen.length ? html`<h3>Failing now, not requested then</h3><ul>${since.failingUnseen.map((r) => html`<li><code>${r.key}</code>: ${r.now}</li>`)}</ul>` : ''}
${since.newConsole.length ? html`<h3>New console errors</h3><ul data-testid="new-console">${since.newConsole.map((line) => html`<li><code>${line}</code></li>`)}</ul>` : ''}
${since.slowerSteps.length ? html`<h3>Steps much slower</h3><ul>${since.slowerSteps.map((s) => html`<li>${s.name}: ${ms(s.nowMs)} now, ${ms(s.thenMs)} then</li>`)}</ul>` : ''}
${since.slowerRequests.length ? html`<h3>Requests much slower</h3><ul>${since.slowerRequests.map((r) => html`<li><code>${r.key}</code>: ${ms(r.nowMs)} now, ${ms(r.thenMs)} then</li>`)}</ul>` : ''}
</div>`;
}

/** Beside the waterfall: what each step made the user feel, per page view, and what it asked the network for. */
function feltTable(steps: StepResult[]): SafeHtml {
  if (!steps.some((step) => step.vitals?.length || step.network)) return html``;
  const figure = (value: number | undefined) => (value === undefined ? '–' : ms(value));
  return html`<h2>What the user felt</h2>
<div class="scroll-box"><table data-testid="vitals"><thead><tr><th>step</th><th>page</th><th>TTFB</th><th>FCP</th><th>LCP</th><th>CLS</th><th>INP</th><th>requests</th><th>bytes</th><th>failed</th><th>slowest request</th></tr></thead><tbody>
${steps
  .filter((step) => step.status !== 'skipped')
  .map((step) => {
    const views = step.vitals?.length ? step.vitals : [undefined];
    const network = step.network;
    return views.map(
      (
        view,
        index,
      ) => html`<tr>${index === 0 ? html`<td rowspan="${views.length}">${step.name}</td>` : ''}<td>${view ? html`${view.kind === 'route' ? 'route ' : view.continued ? 'same page ' : ''}<code>${pathOf(view.url)}</code>` : html`<span class="muted">no page view</span>`}</td>
<td class="figure">${figure(view?.ttfbMs)}</td><td class="figure">${figure(view?.fcpMs)}</td><td class="figure">${figure(view?.lcpMs)}</td><td>${view ? view.cls.toFixed(3) : '–'}</td><td class="figure">${figure(view?.inpMs)}</td>
${index === 0 ? html`<td rowspan="${views.length}">${network?.requests ?? '–'}</td><td class="figure" rowspan="${views.length}">${network ? bytes(network.bytes) : '–'}</td><td rowspan="${views.length}">${network?.failed ?? '–'}</td><td rowspan="${views.length}">${network?.slowest ? html`<code>${network.slowest.key}</code> ${ms(network.slowest.ms)}` : '–'}</td>` : ''}</tr>`,
    );
  })}
</tbody></table></div>`;
}

function certificatesTable(run: RunRecord): SafeHtml {
  if (!run.certificates?.length) return html``;
  const now = Date.now() / 1000;
  return html`<h2>Certificates</h2>
<div class="scroll-box"><table data-testid="certificates"><thead><tr><th>origin</th><th>subject</th><th>issuer</th><th>expires</th><th>days left</th></tr></thead><tbody>
${run.certificates.map((c) => html`<tr><td><code>${c.origin}</code></td><td>${c.subject ?? '–'}</td><td>${c.issuer ?? '–'}</td><td>${time(new Date(c.validTo * 1000).toISOString())}</td><td>${Math.floor((c.validTo - now) / 86_400)}</td></tr>`)}
</tbody></table></div>`;
}

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

function bytes(count: number): string {
  return count < 1024 ? `${count} B` : count < 1024 * 1024 ? `${(count / 1024).toFixed(1)} KiB` : `${(count / 1024 / 1024).toFixed(1)} MiB`;
}

function waterfall(steps: StepResult[], overThreshold: ReadonlySet<string> = new Set()): SafeHtml {
  if (steps.length === 0) return html`<p class="muted">No step ran.</p>`;
  const total = Math.max(
    1,
    steps.reduce((sum, s) => sum + s.durationMs, 0),
  );
  let offset = 0;
  return html`<div class="scroll-box"><table class="waterfall"><thead><tr><th>step</th><th>status</th><th>duration</th><th>timeline</th></tr></thead><tbody>
${steps.map((step) => {
  const left = (offset / total) * 100;
  const width = (step.durationMs / total) * 100;
  offset += step.durationMs;
  return html`<tr class="${step.status === 'failed' ? 'failed-step' : overThreshold.has(step.name) ? 'degraded-step' : ''}"><td>${step.status === 'failed' ? '✗ ' : step.status === 'skipped' ? '– ' : '✓ '}${step.name}</td><td>${step.status}</td><td class="figure">${step.status === 'skipped' ? '' : ms(step.durationMs)}</td>
<td class="bar"><div class="track">${step.status === 'skipped' ? '' : html`<div class="seg ${step.status}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></div>`}</div></td></tr>`;
})}
</tbody></table></div>`;
}

function evidence(run: RunRecord, publicUrl: string | undefined, traces: TraceOpening): SafeHtml {
  const { artifacts } = run;
  if (run.artifactsPrunedAt) {
    return html`<h2>Evidence</h2><p class="note" data-testid="pruned">The evidence of this run (screenshot, page HTML, console log, trace) was removed by retention at ${time(run.artifactsPrunedAt)}.</p>`;
  }
  if (Object.keys(artifacts).length === 0) return html``;
  return html`<h2>Evidence</h2>
<p>${links(artifacts, false)}</p>
${artifacts.trace ? traceHelp(traces, run.runId, artifacts.trace, publicUrl) : ''}
${artifacts.screenshot ? html`<h2>Screenshot at the moment of failure</h2><img class="screenshot" alt="screenshot of the page when ${run.journey} failed" src="${artifactUrl(artifacts.screenshot)}">` : ''}${artifacts.notCaptured ? html`<p class="note" data-testid="not-captured">Some evidence could not be captured (the page's renderer did not answer): <a href="${artifactUrl(artifacts.notCaptured)}">what, and why</a>.</p>` : ''}`;
}

function links(artifacts: Artifacts, pruned: boolean): SafeHtml {
  if (pruned) return html`<span class="muted">pruned</span>`;
  const entries: [keyof Artifacts, string][] = [
    ['screenshot', 'screenshot'],
    ['html', 'page HTML'],
    ['console', 'console and network log'],
    ['trace', 'Playwright trace'],
  ];
  return html`${entries
    .filter(([key]) => artifacts[key])
    .map(([key, label], index) => html`${index > 0 ? ' · ' : ''}<a href="${artifactUrl(artifacts[key]!)}">${label}</a>`)}`;
}
