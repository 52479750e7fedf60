import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { gunzipSync } from 'node:zlib';
import { CachedExposition } from '../../../src/web/exposition.ts';

function setup(minIntervalMs = 20) {
  const registry = new Registry();
  const live = new Registry();
  const runs = new Counter({ name: 'pulse_journey_runs_total', help: 'runs', registers: [registry] });
  new Counter({ name: 'process_live_total', help: 'live', registers: [live] }).inc(3);
  const exposition = new CachedExposition({ registry, live, minIntervalMs });
  return { registry, runs, exposition };
}

const until = async (what: string, check: () => Promise<boolean>) => {
  const end = Date.now() + 2_000;
  while (!(await check())) {
    assert.ok(Date.now() < end, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

test("a scrape serves the registry body plus the live metrics, with the registry's content type", async (t) => {
  const { registry, runs, exposition } = setup();
  t.after(() => exposition.close());
  runs.inc();
  const body = await exposition.metrics();
  assert.equal(exposition.contentType, registry.contentType);
  assert.match(body, /^pulse_journey_runs_total 1$/m);
  assert.match(body, /^process_live_total 3$/m);
});

test('a change is not seen until invalidate(); after it the body is rebuilt off the scrape path', async (t) => {
  const { runs, exposition } = setup();
  t.after(() => exposition.close());
  assert.match(await exposition.metrics(), /^pulse_journey_runs_total 0$/m);
  runs.inc(2);
  assert.match(await exposition.metrics(), /^pulse_journey_runs_total 0$/m, 'the cached body until told of a change');
  exposition.invalidate();
  await until('the rebuilt body', async () => /^pulse_journey_runs_total 2$/m.test(await exposition.metrics()));
});

test("without a live registry the body is the registry's alone", async () => {
  const registry = new Registry();
  new Counter({ name: 'pulse_x_total', help: 'x', registers: [registry] });
  const exposition = new CachedExposition({ registry });
  assert.equal(await exposition.metrics(), await registry.metrics());
  exposition.close();
});

test('gzipped() is the same body compressed, live part included, and follows a rebuild', async (t) => {
  const { runs, exposition } = setup();
  t.after(() => exposition.close());
  runs.inc();
  assert.equal(gunzipSync(await exposition.gzipped()).toString(), await exposition.metrics());
  runs.inc(4);
  exposition.invalidate();
  // Asked for gzip once, a rebuild compresses as it builds: the scrape after it finds both ready.
  await until('the rebuilt body, compressed', async () => /^pulse_journey_runs_total 5$/m.test(gunzipSync(await exposition.gzipped()).toString()));
  const text = gunzipSync(await exposition.gzipped()).toString();
  assert.equal(text, await exposition.metrics());
  assert.match(text, /^process_live_total 3$/m);
});
