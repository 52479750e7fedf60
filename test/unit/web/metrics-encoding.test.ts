// GET /metrics through the real web server, asked for its body in every way a scraper, a person
// or a hostile client may ask: always the whole body, gzip only when gzip is acceptable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Counter, Registry } from 'prom-client';
import { CachedExposition } from '../../../src/web/exposition.ts';
import { createWebServer } from '../../../src/web/server.ts';

const cases: { accept: string | undefined; gzip: boolean }[] = [
  { accept: 'gzip', gzip: true },
  { accept: 'gzip, deflate, br', gzip: true },
  { accept: 'GZIP', gzip: true },
  { accept: '*', gzip: true },
  { accept: undefined, gzip: false },
  { accept: '', gzip: false },
  { accept: 'identity', gzip: false },
  { accept: 'br, deflate', gzip: false },
  { accept: 'gzip;q=0', gzip: false },
  { accept: 'gzip;q=0, identity', gzip: false },
  { accept: '*;q=0', gzip: false },
  { accept: 'gzip;q=abc', gzip: false },
  { accept: ',,,;;;=', gzip: false },
  { accept: `${'x;q=1, '.repeat(1_000)}gzip;q=0.1`, gzip: true },
];

test('every Accept-Encoding gets the whole body, compressed only when gzip is acceptable; the server stays up', async (t) => {
  const registry = new Registry();
  const live = new Registry();
  new Counter({ name: 'pulse_journey_runs_total', help: 'runs', registers: [registry] }).inc(7);
  new Counter({ name: 'process_live_total', help: 'live', registers: [live] }).inc(3);
  const exposition = new CachedExposition({ registry, live });
  const app = await createWebServer({ metrics: exposition, readiness: () => ({ ready: true, checks: {} }) });
  t.after(async () => {
    exposition.close();
    await app.close();
  });
  const expected = await exposition.metrics();
  for (const { accept, gzip } of cases) {
    const shown = accept === undefined ? 'no Accept-Encoding' : `Accept-Encoding: ${accept.slice(0, 40)}`;
    const answer = await app.inject({ method: 'GET', url: '/metrics', headers: accept === undefined ? {} : { 'accept-encoding': accept } });
    assert.equal(answer.statusCode, 200, shown);
    assert.equal(answer.headers['vary'], 'accept-encoding', shown);
    assert.equal(answer.headers['content-encoding'], gzip ? 'gzip' : undefined, shown);
    assert.equal(gzip ? gunzipSync(answer.rawPayload).toString() : answer.body, expected, shown);
  }
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'still answering');
});
