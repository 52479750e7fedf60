// The figures the docs quote (FIGURE_DOCS), rendered from one bench run and written into
// bench/RESULTS.md and into those files between the same two marker lines, so that a test can
// tell when the docs no longer say what the last full bench measured.
import { markerPair, type CostResult, type VariantResult } from './cost.ts';
import type { BenchResults } from './report.ts';
import { fmt, fmtBytes, median } from './stats.ts';

export const FIGURES_BEGIN = '<!-- figures from bench/RESULTS.md: written by npm run bench, do not edit by hand -->';
export const FIGURES_END = '<!-- end of figures from bench/RESULTS.md -->';
/** The docs that carry the block, relative to the repository root. */
export const FIGURE_DOCS: readonly string[] = ['docs/scaling.md'];

const cpuOf = (v: VariantResult | undefined) => (v && v.samples.length > 0 ? median(v.samples.map((s) => s.cpuS)) : Number.NaN);
const variantOf = (cost: CostResult, id: string) => cost.variants.find((v) => v.id === id);

/** The block, markers included. */
export function renderFigures(results: BenchResults): string {
  const pages = [...(results.cost ? [results.cost] : []), ...(results.moreCosts ?? [])];
  const rows = pages.map((page) => {
    const pulse = cpuOf(variantOf(page, 'pulse'));
    const floor = cpuOf(variantOf(page, 'floor'));
    const marker = markerPair(page);
    const attributed = variantOf(page, 'pulse')?.samples.flatMap((s) => s.attributedCpuS ?? []) ?? [];
    return `| \`${page.journey}\` | ${fmt(pulse)} | ${fmt(floor)} | ${fmt(pulse / floor)}x | ${fmt(cpuOf(marker.on) / cpuOf(marker.off))}x | ${attributed.length ? fmt(median(attributed)) : '–'} |`;
  });
  const capacity = results.capacity;
  const best = capacity?.best;
  const soak = capacity?.soak?.slots;
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const perMinute = best ? 0.8 * best.heartbeatsPerMin : undefined;
  const lines = [
    FIGURES_BEGIN,
    '',
    `Measured by \`${results.command}\` on ${results.machine.date.slice(0, 10)}, ${results.machine.cores} cores (${results.machine.cpuModel}), headless shell, defaults on:`,
    '',
    '| journey | CPU-s per heartbeat, pulse | plain Playwright | pulse / plain | traffic marker on / off | `pulse_journey_cpu_seconds_total` per run |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| most heartbeats per minute, saturated (checkout) | ${capacity ? capacity.levels.map((l) => `${fmt(l.heartbeatsPerMin, 3)} at concurrency ${l.concurrency}`).join(', ') : '–'} |`,
    `| schedule lag p99 at 80% of that | ${capacity?.atEighty ? `${fmt(capacity.atEighty.lag.p99)} s; under a UI flood ${capacity.underFlood ? `${fmt(capacity.underFlood.lag.p99)} s` : '–'}` : '–'} |`,
    `| memory at concurrency ${capacity?.soak?.concurrency ?? '–'} | ${soak && soak.workers.length ? `daemon ${fmtBytes(soak.daemon.rssBytes)} RSS; each worker ${fmtBytes(mean(soak.workers.map((w) => w.worker.rssBytes)))} RSS; each worker's browser ${fmtBytes(mean(soak.workers.map((w) => w.browser.pssBytes)))} PSS; in all ${fmtBytes(soak.daemon.rssBytes + soak.workers.reduce((sum, w) => sum + w.worker.rssBytes + w.browser.pssBytes, 0))}` : '–'} |`,
    `| \`GET /metrics\`, one location of ${results.scrape ? `${results.scrape.journeys} journeys × ${results.scrape.steps} steps` : '–'} | ${results.scrape?.oneLocation ? `${results.scrape.oneLocation.series} series, ${fmtBytes(results.scrape.oneLocation.bodyBytes)} (${fmtBytes(results.scrape.oneLocation.gzipBytes)} gzip), median ${fmt(results.scrape.oneLocation.httpMs.median)} ms` : '–'} |`,
    '',
    perMinute !== undefined
      ? `At 80% of the best rate, one replica of this size carries about ${fmt(perMinute, 3)} checkout-sized runs per minute: by CPU, ${[1, 5, 15].map((minutes) => `${Math.floor(perMinute * minutes)} journeys every ${minutes === 1 ? 'minute' : `${minutes} minutes`}`).join(', ')}; past about 200 journeys of 10 steps, \`/metrics\` size is the limit instead.`
      : 'Capacity was not measured in this run.',
    '',
    FIGURES_END,
  ];
  return lines.join('\n');
}

/** The block in a text, markers included; undefined when it has none. */
export function figuresBlock(text: string): string | undefined {
  const begin = text.indexOf(FIGURES_BEGIN);
  const end = text.indexOf(FIGURES_END);
  return begin >= 0 && end > begin ? text.slice(begin, end + FIGURES_END.length) : undefined;
}

/** The text with its block replaced; unchanged when it has none. */
export function withFigures(text: string, block: string): string {
  const old = figuresBlock(text);
  return old === undefined ? text : text.replace(old, () => block);
}
