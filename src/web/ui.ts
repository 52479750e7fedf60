import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { ProberStatus } from '../control/prober-health.ts';
import type { JourneyDefinition } from '../journey.ts';
import type { Operations } from '../operations/operations.ts';
import { RUN_STATUSES } from '../result.ts';
import type { RunQueries, RunRecord } from '../store/run-queries.ts';
import { compareWithLastGood, type SinceLastGood } from '../store/since-last-good.ts';
import { authConfigured, registerAuth } from './auth.ts';
import { registerEvidenceFiles } from './evidence-files.ts';
import { describePause, registerOperations } from './operations-routes.ts';
import { TRACE_VIEWER_PREFIX } from './trace-links.ts';
import { TracePass } from './trace-pass.ts';
import { admittedByPass, registerTraceViewer, requestReach } from './trace-viewer.ts';
import { ViewCache } from './view-cache.ts';
import { journeyPage } from './views/journey-page.ts';
import { overviewPage } from './views/overview.ts';
import { runPage } from './views/run-page.ts';
import { WriteGuard } from './writes.ts';

export interface UiOptions {
  /** The run store's read side: the UI cannot write history. */
  store: RunQueries;
  journeys: readonly JourneyDefinition[];
  artifactsRoot: string;
  config: Pick<Config, 'location' | 'publicUrl' | 'auth' | 'allowOpenWrites'>;
  operations: Operations;
  /** pulse's own health, for the overview's panel and /api/prober. */
  prober?: () => ProberStatus;
}

const VIEW_TTL_MS = 1_000;
/** A failed run against the last good one does not change once both are stored; retention may drop one, so not forever. */
const COMPARISON_TTL_MS = 10 * 60_000;

const runsQuery = z.object({
  journey: z.string().max(100).optional(),
  status: z.enum(RUN_STATUSES).optional(),
  before: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** The on-call UI, its JSON API and the artifact files, on the daemon's port. */
export async function registerUi(app: FastifyInstance, options: UiOptions): Promise<void> {
  const { store, config, operations } = options;
  const guard = new WriteGuard(config);
  const configured = new Map(options.journeys.map((j) => [j.name, j]));

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        imgSrc: ["'self'"],
        styleSrc: ["'unsafe-inline'"],
        baseUri: ["'none'"],
        // The journey page's forms (run now, pause) post back to pulse itself, nowhere else.
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
    // Links out of the UI carry no referrer; its own forms still tell pulse where they come from.
    referrerPolicy: { policy: 'same-origin' },
    hsts: false,
  });
  // Without auth the viewer is open like the rest: no pass to hand out.
  const tracePass = authConfigured(config.auth) ? new TracePass({ path: TRACE_VIEWER_PREFIX }) : undefined;
  await registerAuth(app, config.auth, tracePass ? { admit: admittedByPass(tracePass) } : {});

  registerEvidenceFiles(app, options.artifactsRoot);
  const reach = requestReach(config.publicUrl);
  registerTraceViewer(app, { store, artifactsRoot: options.artifactsRoot, pass: tracePass, location: config.location, publicUrl: config.publicUrl, reach });

  // Every view is a function of the store; a second of staleness costs nobody, and bounds what a flood of requests costs.
  const views = new ViewCache<unknown>(VIEW_TTL_MS, 200);
  const cached = <T>(key: string, compute: () => T) => views.get(key, compute) as T;
  const comparisons = new ViewCache<SinceLastGood | undefined>(COMPARISON_TTL_MS, 100);
  const journeyNames = () => cached('names', () => [...new Set([...configured.keys(), ...store.journeysWithHistory()])].sort());

  await app.register(fastifyFormbody, { bodyLimit: 16 * 1024 });
  registerOperations(app, { operations, guard, publicUrl: config.publicUrl, onChange: () => views.clear() });
  const pausedUntil = (name: string) => {
    const definition = configured.get(name);
    return definition
      ? operations
          .pausesOf(definition)
          .map((pause) => pause.until)
          .sort()
          .at(-1)
      : undefined;
  };

  app.get<{ Querystring: { sort?: string } }>('/', async (request, reply) => {
    const sort = request.query.sort === 'flaky' ? 'flaky' : 'name';
    const page = cached(`/?sort=${sort}`, () => {
      const rows = journeyNames().map((name) => ({ stats: store.stats(name), schedule: configured.get(name)?.schedule, pausedUntil: pausedUntil(name) }));
      if (sort === 'flaky') rows.sort((a, b) => (b.stats.flaky24h.share ?? -1) - (a.stats.flaky24h.share ?? -1));
      return overviewPage(rows, config.location, Date.now(), store.health(), options.prober?.()).value;
    });
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
  });

  app.get<{ Params: { name: string }; Querystring: { started?: string; busy?: string } }>('/journeys/:name', async (request, reply) => {
    const name = request.params.name;
    if (!journeyNames().includes(name)) return reply.code(404).type('text/plain').send('no such journey');
    const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 64) : undefined);
    const notice = { started: text(request.query.started), busy: text(request.query.busy) };
    const page = cached(`journey:${name}:${notice.started ?? ''}:${notice.busy ?? ''}`, () => {
      const definition = configured.get(name);
      const runs = store.listRuns({ journey: name, limit: 50 });
      const failures = store.listRuns({ journey: name, status: 'failure', limit: 20 });
      return journeyPage(
        {
          stats: store.stats(name),
          schedule: definition?.schedule,
          file: definition?.declaredAt,
          ...(definition?.spec ? { test: { title: definition.spec.title, project: definition.spec.project } } : {}),
          ...(definition?.thresholds ? { thresholds: definition.thresholds } : {}),
          ...(definition ? { budgets: { timeoutMs: definition.timeoutMs, stepTimeoutMs: definition.stepTimeoutMs } } : {}),
          stepFigures: store.stepFigures(name),
          runs,
          failures,
          history: store.stepHistory(name, 60),
          pauses: definition ? operations.pausesOf(definition) : [],
          controls: definition && guard.enabled ? { csrf: guard.csrfToken } : undefined,
          notice,
        },
        config.location,
      ).value;
    });
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
  });

  app.get<{ Params: { id: string } }>('/runs/:id', async (request, reply) => {
    const run = store.getRun(request.params.id);
    if (!run) return reply.code(404).type('text/plain').send('no such run');
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(runPage(run, config.location, config.publicUrl, sinceLastGood(run), reach(request).secure ? 'viewer' : 'download').value);
  });

  app.get('/api/journeys', async () =>
    cached('/api/journeys', () => ({
      store: store.health(),
      journeys: journeyNames().map((name) => {
        const stats = store.stats(name);
        const definition = configured.get(name);
        return {
          name,
          schedule: definition?.schedule,
          tags: definition?.tags,
          up: stats.lastRun ? stats.lastRun.status === 'success' : undefined,
          since: stats.since,
          lastSuccessAt: stats.lastSuccessAt,
          successRate1h: stats.successRate1h,
          successRate24h: stats.successRate24h,
          p50Ms: stats.p50Ms,
          p95Ms: stats.p95Ms,
          flaky24h: stats.flaky24h,
          flaky7d: stats.flaky7d,
          degraded24h: stats.degraded24h,
          paused: definition ? operations.pausesOf(definition).map(describePause) : [],
          lastRun: stats.lastRun ? summary(stats.lastRun) : undefined,
          url: `${config.publicUrl ?? ''}/journeys/${encodeURIComponent(name)}`,
        };
      }),
    })),
  );

  app.get('/api/prober', async (_request, reply) => {
    if (!options.prober) return reply.code(404).send({ error: 'no prober health here' });
    return reply.header('cache-control', 'no-store').send(options.prober());
  });

  app.get('/api/runs', async (request, reply) => {
    const query = runsQuery.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: 'bad query', issues: query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return cached(`/api/runs?${JSON.stringify(query.data)}`, () => ({ runs: store.listRuns(query.data).map(summary) }));
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id', async (request, reply) => {
    const run = store.getRun(request.params.id);
    if (!run) return reply.code(404).send({ error: 'no such run' });
    return { ...run, sinceLastGood: sinceLastGood(run) ?? null, url: `${config.publicUrl ?? ''}/runs/${encodeURIComponent(run.runId)}` };
  });

  /**
   * For a run that did not succeed: what differs from the last good run of its journey and
   * location. Neither run changes once stored, so the answer (with its diff of the journey's
   * sources, the costly part) is kept per run: a page reloaded or polled does not redo it.
   */
  function sinceLastGood(run: RunRecord): SinceLastGood | undefined {
    if (run.status === 'success') return undefined;
    return comparisons.get(run.runId, () => {
      const good = store.lastSuccessBefore(run.journey, run.location, Date.parse(run.startedAt));
      if (!good) return undefined;
      // The sources are read only when the versions differ: the diff is made from them.
      const [now, then] = [run.version?.hash, good.version?.hash];
      const sources = now && then && now !== then ? { now: store.journeyVersion(now), then: store.journeyVersion(then) } : {};
      return compareWithLastGood(run, good, sources);
    });
  }

  function summary(run: RunRecord) {
    return {
      runId: run.runId,
      traceId: run.traceId,
      journey: run.journey,
      location: run.location,
      status: run.status,
      startedAt: run.startedAt,
      durationMs: run.durationMs,
      attempts: run.attempts,
      flaky: run.flaky,
      step: run.error?.step,
      reason: run.error?.reason,
      cause: run.cause,
      degraded: run.degraded,
      version: run.version,
      artifactsPruned: run.artifactsPrunedAt !== undefined,
      url: `${config.publicUrl ?? ''}/runs/${encodeURIComponent(run.runId)}`,
    };
  }
}
