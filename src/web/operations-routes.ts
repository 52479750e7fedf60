import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { parseDuration } from '../duration.ts';
import type { Operations, RunNowOutcome } from '../operations/operations.ts';
import type { Pause, PauseScope } from '../operations/pauses.ts';
import type { WriteGuard } from './writes.ts';

/** Longest pause one request may set: a maintenance window, not a way to switch a journey off. */
const MAX_PAUSE_MS = 7 * 24 * 3_600_000;

const scopeFields = {
  journey: z.string().min(1).max(100).optional(),
  tag: z.string().min(1).max(100).optional(),
  all: z.boolean().optional(),
};
const pauseBody = z
  .object({
    ...scopeFields,
    for: z.string().max(20).optional(),
    until: z.string().max(40).optional(),
    reason: z.string().trim().min(1, 'say why (it is shown to on-call)').max(500),
  })
  .strict();
const resumeBody = z.object({ ...scopeFields, id: z.number().int().optional() }).strict();
const formPause = z.object({ csrf: z.string(), for: z.string().max(20), reason: z.string().trim().min(1).max(500) });

/** Run now, pause and resume: JSON for tools and `pulse trigger/pause/resume`, forms for the UI. */
export function registerOperations(
  app: FastifyInstance,
  options: { operations: Operations; guard: WriteGuard; publicUrl: string | undefined; onChange: () => void },
): void {
  const { operations, guard } = options;
  const runUrl = (runId: string) => `${options.publicUrl ?? ''}/runs/${encodeURIComponent(runId)}`;

  app.post<{ Params: { name: string } }>('/api/journeys/:name/runs', async (request, reply) => {
    if (!guard.allow(request, reply, 'api')) return reply;
    const outcome = operations.runNow(request.params.name, guard.identity(request));
    options.onChange();
    return answerRunNow(reply, request.params.name, outcome, runUrl);
  });

  app.get('/api/pauses', async () => ({ pauses: operations.pauses().map(describePause) }));

  app.post('/api/pauses', async (request, reply) => {
    if (!guard.allow(request, reply, 'api')) return reply;
    const body = pauseBody.safeParse(request.body ?? {});
    if (!body.success) return reply.code(400).send({ error: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    const scope = scopeOf(body.data);
    if (typeof scope === 'string') return reply.code(400).send({ error: scope });
    const untilMs = endOf(body.data);
    if (typeof untilMs === 'string') return reply.code(400).send({ error: untilMs });
    const pause = operations.pause({ scope, untilMs, reason: body.data.reason, by: guard.identity(request) });
    options.onChange();
    if ('error' in pause) return reply.code(404).send({ error: `no journey here matches ${JSON.stringify(body.data.journey ?? body.data.tag)}` });
    return reply.code(201).send({ pause: describePause(pause) });
  });

  app.post('/api/pauses/resume', async (request, reply) => {
    if (!guard.allow(request, reply, 'api')) return reply;
    const body = resumeBody.safeParse(request.body ?? {});
    if (!body.success) return reply.code(400).send({ error: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    const scope = body.data.id === undefined ? scopeOf(body.data) : undefined;
    if (typeof scope === 'string') return reply.code(400).send({ error: scope });
    const resumed = operations.resume(body.data.id === undefined ? { scope } : { ids: [body.data.id] }, guard.identity(request));
    options.onChange();
    if (resumed.length === 0) return reply.code(404).send({ error: 'no pause in force matches' });
    return { resumed: resumed.map(describePause) };
  });

  // The UI's forms: each posts back here with the page's token and lands on the journey page.
  app.post<{ Params: { name: string } }>('/journeys/:name/run', async (request, reply) => {
    if (!guard.allow(request, reply, 'form')) return reply;
    const outcome = operations.runNow(request.params.name, guard.identity(request));
    options.onChange();
    if ('error' in outcome && outcome.error === 'unknown') return reply.code(404).type('text/plain').send('no such journey');
    const note = 'error' in outcome ? `busy=${encodeURIComponent(outcome.runId ?? '')}` : `started=${encodeURIComponent(outcome.runId)}`;
    return reply.redirect(`/journeys/${encodeURIComponent(request.params.name)}?${note}`, 303);
  });

  app.post<{ Params: { name: string } }>('/journeys/:name/pause', async (request, reply) => {
    if (!guard.allow(request, reply, 'form')) return reply;
    const form = formPause.safeParse(request.body);
    const ms = form.success ? parseDuration(form.data.for) : undefined;
    if (!form.success || ms === undefined || ms <= 0 || ms > MAX_PAUSE_MS)
      return reply.code(400).type('text/plain').send('a pause needs a duration such as 30m (at most 7d) and a reason');
    const pause = operations.pause({
      scope: { kind: 'journey', journey: request.params.name },
      untilMs: Date.now() + ms,
      reason: form.data.reason,
      by: guard.identity(request),
    });
    options.onChange();
    if ('error' in pause) return reply.code(404).type('text/plain').send('no such journey');
    return reply.redirect(`/journeys/${encodeURIComponent(request.params.name)}`, 303);
  });

  app.post<{ Params: { name: string } }>('/journeys/:name/resume', async (request, reply) => {
    if (!guard.allow(request, reply, 'form')) return reply;
    operations.resume({ scope: { kind: 'journey', journey: request.params.name } }, guard.identity(request));
    options.onChange();
    return reply.redirect(`/journeys/${encodeURIComponent(request.params.name)}`, 303);
  });
}

function answerRunNow(reply: FastifyReply, journey: string, outcome: RunNowOutcome, runUrl: (runId: string) => string) {
  if (!('error' in outcome))
    return reply.code(202).send({ journey, runId: outcome.runId, url: runUrl(outcome.runId), status: `/api/runs/${encodeURIComponent(outcome.runId)}` });
  if (outcome.error === 'unknown') return reply.code(404).send({ error: `no journey ${journey} on this replica` });
  if (outcome.error === 'stopping') return reply.code(503).send({ error: 'pulse is shutting down' });
  return reply.code(409).send({ error: `${journey} is already running`, ...(outcome.runId ? { runId: outcome.runId, url: runUrl(outcome.runId) } : {}) });
}

function scopeOf(body: { journey?: string; tag?: string; all?: boolean }): PauseScope | string {
  const given = [body.journey !== undefined, body.tag !== undefined, body.all === true].filter(Boolean).length;
  if (given !== 1) return 'name exactly one of journey, tag or all: true';
  if (body.journey !== undefined) return { kind: 'journey', journey: body.journey };
  if (body.tag !== undefined) return { kind: 'tag', tag: body.tag };
  return { kind: 'all' };
}

function endOf(body: { for?: string; until?: string }): number | string {
  if ((body.for === undefined) === (body.until === undefined)) return "give either 'for' (a duration such as 30m) or 'until' (an ISO 8601 time)";
  const now = Date.now();
  const until = body.for !== undefined ? (parseDuration(body.for) ?? Number.NaN) + now : Date.parse(body.until!);
  if (!Number.isFinite(until))
    return body.for !== undefined
      ? `'for' ${JSON.stringify(body.for)} is not a duration such as 30m or 2h`
      : `'until' ${JSON.stringify(body.until)} is not an ISO 8601 time`;
  if (until <= now) return 'the pause would already be over';
  if (until - now > MAX_PAUSE_MS) return 'a pause lasts at most 7 days; pause again when it ends';
  return until;
}

export function describePause(pause: Pause) {
  return {
    id: pause.id,
    scope: pause.scope,
    until: pause.until,
    since: pause.since,
    by: pause.by,
    reason: pause.reason,
    remainingSeconds: Math.max(0, Math.round((Date.parse(pause.until) - Date.now()) / 1000)),
  };
}
