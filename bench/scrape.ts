// /metrics at scale: the run metrics sink fed synthetic results for many journeys, steps and locations.
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { journey, type JourneyDefinition } from '../src/journey.ts';
import type { RunResult, StepResult } from '../src/result.ts';
import { validateJourney } from '../src/registry/validate.ts';
import { ProberMetrics } from '../src/sinks/prober-metrics.ts';
import { RUN_METRICS } from '../src/sinks/metric-definitions.ts';
import { RunMetrics } from '../src/sinks/run-metrics.ts';
import { CachedExposition, GZIP_LEVEL, type MetricsSource } from '../src/web/exposition.ts';
import { deflateHead } from '../src/web/gzip-parts.ts';
import { createWebServer } from '../src/web/server.ts';
import { summarize, type Summary } from './stats.ts';

export interface ScrapeOptions {
  journeys: number;
  steps: number;
  locations: number;
  /** Measured scrapes of each kind, after warm-up. */
  iterations: number;
}

export interface ScrapeFigures {
  journeys: number;
  steps: number;
  locations: number;
  series: number;
  bodyBytes: number;
  /** registry.metrics(): the serialisation alone. */
  serialiseMs: Summary;
  /** A real GET /metrics through createWebServer, over loopback TCP, asking for gzip as Prometheus does (decompressed by the client, in the time). */
  httpMs: Summary;
  /** The same GET asking for the text as it is (`Accept-Encoding: identity`). */
  plainHttpMs: Summary;
  /** Bytes on the wire with gzip. */
  gzipBytes: number;
  /** What a rebuild adds while scrapers ask for gzip: compressing the body (on the thread pool). */
  compressMs: Summary;
  /** GET /metrics when the body is already built (a cached string): the floor of the HTTP part. */
  cachedHttpMs: Summary;
}

export interface ScrapeResult extends ScrapeFigures {
  iterations: number;
  /** Where the time goes: the two histograms' share of the lines, and the serialisation without them. */
  histogramSeries: number;
  withoutHistogramsMs: Summary;
  /**
   * Not the product: the same two histograms written out by a few lines of code that keep each
   * series' label string (bench/scrape.ts renderHistogram), plus prom-client for the rest.
   */
  prototypeMs: Summary;
  prototypeMatches: boolean;
  /** One pulse process has one location: the size a single scrape target really has. */
  oneLocation: ScrapeFigures | undefined;
  /** The same journeys without web vitals, certificates and thresholds: /metrics as it was before them. */
  withoutFelt: ScrapeFigures;
}

export async function runScrape(options: ScrapeOptions): Promise<ScrapeResult> {
  const full = await measure(options, true);
  const oneLocation = options.locations > 1 ? await measure({ ...options, locations: 1 }, false) : undefined;
  const withoutFelt = await measure(options, false, false);
  const { extra, ...figures } = full;
  return {
    ...figures,
    iterations: options.iterations,
    ...extra!,
    oneLocation: oneLocation ? withoutExtra(oneLocation) : undefined,
    withoutFelt: withoutExtra(withoutFelt),
  };
}

/** runScrape in a fresh Node.js process (bench/scrape-child.ts), so what the bench did before does not weigh on it. */
export async function runScrapeInChild(root: string, options: ScrapeOptions): Promise<ScrapeResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(root, 'bench/scrape-child.ts'), JSON.stringify(options)], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as ScrapeResult;
}

function withoutExtra(result: Awaited<ReturnType<typeof measure>>): ScrapeFigures {
  const { extra: _extra, ...figures } = result;
  return figures;
}

type HistogramInternals = {
  name: string;
  help: string;
  upperBounds: number[];
  hashMap: Record<string, { labels: Record<string, string>; bucketValues: Record<number, number>; sum: number; count: number }>;
};

/** The exposition of one prom-client histogram, each series' label string built once and kept. */
function renderHistogram(histogram: HistogramInternals, labelCache: WeakMap<object, string>): string {
  const { name, upperBounds } = histogram;
  const parts: string[] = [`# HELP ${name} ${histogram.help}\n# TYPE ${name} histogram\n`];
  for (const series of Object.values(histogram.hashMap)) {
    let labels = labelCache.get(series.labels);
    if (labels === undefined) {
      labels = Object.entries(series.labels)
        .map(([key, value]) => `${key}="${String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
        .join(',');
      labelCache.set(series.labels, labels);
    }
    let cumulative = 0;
    for (const bound of upperBounds) {
      cumulative += series.bucketValues[bound] ?? 0;
      parts.push(`${name}_bucket{le="${bound}",${labels}} ${cumulative}\n`);
    }
    parts.push(`${name}_bucket{le="+Inf",${labels}} ${series.count}\n${name}_sum{${labels}} ${series.sum}\n${name}_count{${labels}} ${series.count}\n`);
  }
  return parts.join('');
}

async function measure(
  options: ScrapeOptions,
  extra: boolean,
  felt = true,
): Promise<ScrapeFigures & { extra?: Pick<ScrapeResult, 'histogramSeries' | 'withoutHistogramsMs' | 'prototypeMs' | 'prototypeMatches'> }> {
  // As the daemon wires it: pulse_* series in one registry served through the cached exposition,
  // the process metrics in another, written live at every scrape.
  const registry = new Registry();
  const processRegistry = new Registry();
  const exposition = new CachedExposition({ registry, live: processRegistry });
  collectDefaultMetrics({ register: processRegistry });
  const sink = new RunMetrics({ registry, location: 'loc-1', onChange: () => exposition.invalidate() });
  const proberMetrics = new ProberMetrics({ registry, location: 'loc-1', onChange: () => exposition.invalidate() });
  const definitions: JourneyDefinition[] = [];
  for (let j = 0; j < options.journeys; j += 1) {
    // Every journey with the two thresholds most are given (a run budget and an LCP budget), as a busy prober's would be.
    const { definition } = validateJourney(
      journey({ name: `journey-${j + 1}`, schedule: '*/1 * * * *', ...(felt ? { thresholds: { duration: '20s', lcp: '2.5s' } } : {}) }, async () => undefined),
      'bench.journey.ts',
    );
    definitions.push(definition!);
  }
  sink.registerJourneys(definitions);
  proberMetrics.registerJourneys(definitions);
  const stepNames = Array.from({ length: options.steps }, (_, i) => `step ${i + 1} of the journey`);
  // Every label combination a busy prober ends up with: success, a failure at one step, an error.
  for (let l = 0; l < options.locations; l += 1) {
    const location = `loc-${l + 1}`;
    for (const def of definitions) {
      for (let k = 0; k < 3; k += 1) sink.onResult(result(def.name, location, 'success', stepNames, k, felt));
      sink.onResult(result(def.name, location, 'failure', stepNames, 0, felt));
      sink.onResult(result(def.name, location, 'error', stepNames, 0, felt));
    }
  }

  const body = await registry.metrics();
  const series = body.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
  const warmup = Math.max(2, Math.ceil(options.iterations / 6));
  const serialise: number[] = [];
  for (let i = 0; i < warmup + options.iterations; i += 1) {
    const t0 = performance.now();
    await registry.metrics();
    if (i >= warmup) serialise.push(performance.now() - t0);
  }

  const compress: number[] = [];
  for (let i = 0; i < warmup + options.iterations; i += 1) {
    const t0 = performance.now();
    await deflateHead(Buffer.from(body), GZIP_LEVEL);
    if (i >= warmup) compress.push(performance.now() - t0);
  }

  // The daemon's /metrics between results: the body was rebuilt (and compressed) after the last result, off the scrape path.
  const { timings: http, wireBytes: gzipBytes } = await timeGets(exposition, warmup, options.iterations, 'gzip');
  const { timings: plainHttp, wireBytes: bodyBytes } = await timeGets(exposition, warmup, options.iterations, 'identity');
  exposition.close();
  // The body as a string already built: what serving a cache would cost.
  const cached = { metrics: async () => body, contentType: registry.contentType } as unknown as Registry;
  const { timings: cachedHttp } = await timeGets(cached, warmup, options.iterations, 'identity');
  const figures: ScrapeFigures = {
    journeys: options.journeys,
    steps: options.steps,
    locations: options.locations,
    series,
    bodyBytes,
    serialiseMs: summarize(serialise),
    httpMs: summarize(http),
    plainHttpMs: summarize(plainHttp),
    gzipBytes,
    compressMs: summarize(compress),
    cachedHttpMs: summarize(cachedHttp),
  };
  if (!extra) return figures;

  const histograms = [RUN_METRICS.stepDuration.name, RUN_METRICS.duration.name].map((name) =>
    registry.getSingleMetric(name),
  ) as unknown as HistogramInternals[];
  const names = new Set(histograms.map((h) => h.name));
  const histogramSeries = body.split('\n').filter((line) => names.has(line.replace(/(_bucket|_sum|_count)?[{ ].*$/, ''))).length;
  // The rest of the registry alone: the same metrics minus the two histograms.
  const rest = new Registry();
  for (const { name } of registry.getMetricsAsArray()) {
    const metric = registry.getSingleMetric(name);
    if (metric && !names.has(name)) rest.registerMetric(metric);
  }
  const labelCache = new WeakMap<object, string>();
  const without: number[] = [];
  const prototype: number[] = [];
  let prototypeText = '';
  for (let i = 0; i < warmup + options.iterations; i += 1) {
    const t0 = performance.now();
    await rest.metrics();
    const t1 = performance.now();
    const text = [await rest.metrics(), ...histograms.map((h) => renderHistogram(h, labelCache))].join('\n');
    const t2 = performance.now();
    if (i >= warmup) {
      without.push(t1 - t0);
      prototype.push(t2 - t1);
    }
    prototypeText = text;
  }
  const sortedLines = (text: string) =>
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .sort();
  const a = sortedLines(prototypeText);
  const b = sortedLines(await registry.metrics());
  // Gauges of process metrics move between two scrapes; compare the pulse_ series only.
  const pulseOnly = (lines: string[]) => lines.filter((line) => line.startsWith('pulse_')).join('\n');
  return {
    ...figures,
    extra: { histogramSeries, withoutHistogramsMs: summarize(without), prototypeMs: summarize(prototype), prototypeMatches: pulseOnly(a) === pulseOnly(b) },
  };
}

/**
 * GET /metrics through the product's web server over loopback, as a scraper sees it: one kept-alive
 * connection, the whole response read and, when gzip, decompressed (as Prometheus does before it
 * parses). node:http and zlib, not fetch(): undici's decompression through web streams spent about
 * 13 ms of its own on the 3.6 MiB body of one location, three times the rest of the scrape.
 */
async function timeGets(
  registry: MetricsSource,
  warmup: number,
  iterations: number,
  encoding: 'gzip' | 'identity',
): Promise<{ timings: number[]; wireBytes: number }> {
  const app = await createWebServer({ metrics: registry, readiness: () => ({ ready: true, checks: {} }) });
  const url = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const timings: number[] = [];
  let wireBytes = 0;
  try {
    for (let i = 0; i < warmup + iterations; i += 1) {
      const t0 = performance.now();
      const response = await get(url, agent, encoding);
      const elapsed = performance.now() - t0;
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
      if (response.encoding !== encoding && registry.gzipped) throw new Error(`GET /metrics asked for ${encoding}, got ${response.encoding}`);
      if (!response.body.includes('pulse_heartbeats_total')) throw new Error('GET /metrics answered without the pulse_* series');
      wireBytes = response.wireBytes;
      if (i >= warmup) timings.push(elapsed);
    }
  } finally {
    agent.destroy();
    await app.close();
  }
  return { timings, wireBytes };
}

interface Scraped {
  status: number;
  encoding: string;
  wireBytes: number;
  body: Buffer;
}

function get(url: URL, agent: http.Agent, encoding: 'gzip' | 'identity'): Promise<Scraped> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: url.hostname, port: url.port, path: '/metrics', agent, headers: { 'accept-encoding': encoding } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const wire = Buffer.concat(chunks);
        const contentEncoding = response.headers['content-encoding'] ?? 'identity';
        try {
          resolve({
            status: response.statusCode ?? 0,
            encoding: contentEncoding,
            wireBytes: wire.length,
            body: contentEncoding === 'gzip' ? gunzipSync(wire) : wire,
          });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    request.on('error', reject);
  });
}

function result(journeyName: string, location: string, status: RunResult['status'], stepNames: string[], variant: number, felt: boolean): RunResult {
  const failedAt = 3 % stepNames.length;
  const steps: StepResult[] = stepNames.map((name, i) => {
    const passed = status === 'success' || i < failedAt;
    return {
      name,
      status: status === 'success' ? 'passed' : i < failedAt ? 'passed' : i === failedAt ? 'failed' : 'skipped',
      durationMs: status !== 'success' && i > failedAt ? 0 : 40 + ((i * 37 + variant * 101) % 900),
      // What a passed step measures: a page view with every web vital, and its network.
      ...(passed && felt
        ? {
            vitals: [
              {
                kind: 'load' as const,
                url: `https://shop.example/${i}`,
                ttfbMs: 80 + i,
                fcpMs: 300 + i,
                lcpMs: 900 + variant * 50 + i,
                cls: 0.01 * (i % 3),
                inpMs: 40 + i,
              },
            ],
            network: { requests: 5 + i, bytes: 20_000 + i * 100, failed: 0 },
          }
        : {}),
    };
  });
  return {
    journey: journeyName,
    location,
    runId: `bench-${journeyName}-${location}-${status}-${variant}`,
    status,
    startedAt: new Date().toISOString(),
    durationMs: steps.reduce((sum, s) => sum + s.durationMs, 0),
    attempts: status === 'success' ? 1 : 2,
    flaky: false,
    steps,
    ...(status === 'success'
      ? {}
      : { error: { message: 'synthetic', step: stepNames[failedAt], ...(status === 'failure' ? { reason: 'assertion' as const } : {}) } }),
    artifacts: {},
    ...(felt ? { certificates: [{ origin: 'https://shop.example', validTo: 1_900_000_000 + variant }] } : {}),
    attemptResults: Array.from({ length: status === 'success' ? 1 : 2 }, (_, i) => ({ attempt: i + 1, status, durationMs: 1000, steps, artifacts: {} })),
  };
}
