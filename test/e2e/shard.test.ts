import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startShop, type Shop } from '../../src/demo/shop.ts';
import { ownedBy, ownerOf } from '../../src/scheduler/shard.ts';
import { resolveConfig, shardFromHostname } from '../../src/config.ts';
import { formatProblem } from '../../src/problem.ts';
import { DaemonProcess, ROOT } from '../support/daemon-process.ts';
import { writeJourney } from '../support/journey-files.ts';
import { parseSamples, sample } from '../support/prom-text.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { tempDir } from '../support/temp.ts';

const NAMES = Array.from({ length: 20 }, (_, i) => `probe-${String(i + 1).padStart(2, '0')}`);
// Inside the package, so that `import 'pulse'` resolves as in a real journeys folder.
const DIR = path.join(ROOT, 'test', 'fixtures', 'generated', 'twenty-journeys');
const ONE = path.join(ROOT, 'test', 'fixtures', 'generated', 'one-journey');

/** Opens the shop's home page: what every journey of these tests does. */
const FRONT_PAGE = `async ({ page, step, params }) => {
  await step('open home', async () => {
    await page.goto(params.baseUrl);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  });
}`;

/** No test here is about the control journey: none of its runs on the cores the other files share. */
const NO_CONTROL = { PULSE_CONTROL_INTERVAL: 'off' };

describe('shards and locations', () => {
  let shop: Shop;
  before(async () => {
    shop = await startShop();
    mkdirSync(DIR, { recursive: true });
    // Twenty every twenty seconds: each shard's share runs within a tick, and three daemons do not keep six browsers busy while the test waits.
    for (const name of NAMES) writeJourney(DIR, { name, schedule: '*/20 * * * * *', retries: 0 }, FRONT_PAGE);
    mkdirSync(ONE, { recursive: true });
    writeJourney(ONE, { name: 'front-page', schedule: '*/2 * * * * *', retries: 0 }, FRONT_PAGE);
  });
  after(async () => {
    await shop.close();
    rmSync(DIR, { recursive: true, force: true });
    rmSync(ONE, { recursive: true, force: true });
  });

  test('rendezvous hashing: every journey has one owner, shares are even, a 4th shard moves about a quarter', () => {
    const many = Array.from({ length: 2_000 }, (_, i) => `journey-${i}`);
    const owners3 = many.map((j) => ownerOf(j, 3));
    const owners4 = many.map((j) => ownerOf(j, 4));
    for (let shard = 1; shard <= 3; shard += 1) {
      const share = owners3.filter((o) => o === shard).length / many.length;
      assert.ok(share > 0.28 && share < 0.39, `shard ${shard} owns ${share}`);
    }
    const moved = owners3.filter((owner, i) => owner !== owners4[i]).length / many.length;
    assert.ok(moved < 0.3, `adding a 4th shard moved ${moved} of the journeys`);
    // Only moves to the new shard: nothing reshuffles between the old ones.
    assert.ok(owners3.every((owner, i) => owners4[i] === owner || owners4[i] === 4));
    const twenty = NAMES.map((n) => ({ name: n }));
    const parts = [1, 2, 3].map((index) => ownedBy(twenty, { index, total: 3 }).map((j) => j.name));
    assert.deepEqual(parts.flat().sort(), NAMES);
    const moved20 = NAMES.filter((n) => ownerOf(n, 3) !== ownerOf(n, 4)).length;
    assert.ok(moved20 <= Math.ceil(NAMES.length / 3), `4 shards moved ${moved20} of 20`);
  });

  test('a StatefulSet pod takes its shard from the ordinal in its hostname', () => {
    assert.deepEqual(shardFromHostname('pulse-eu-west-1-0', 3), { index: 1, total: 3 });
    assert.deepEqual(shardFromHostname('pulse-eu-west-1-2', 3), { index: 3, total: 3 });
    assert.equal(shardFromHostname('pulse-eu-west-1-3', 3), undefined);
    const fromPod = resolveConfig({ env: { PULSE_SHARD_COUNT: '3', HOSTNAME: 'pulse-1' } });
    assert.deepEqual(fromPod.config?.shard, { index: 2, total: 3 });
    const bad = resolveConfig({ env: { PULSE_SHARD_COUNT: '3', HOSTNAME: 'laptop' } });
    assert.match(bad.problems.map(formatProblem)[0] ?? '', /PULSE_SHARD_COUNT=3: hostname 'laptop' does not end in a pod ordinal/);
    assert.match(resolveConfig({ env: { PULSE_SHARD: '4/3' } }).problems.map(formatProblem)[0] ?? '', /PULSE_SHARD \(--shard\)="4\/3": must be 'i\/n'/);
  });

  test('three pulse run processes, shards 1/3, 2/3, 3/3 over 20 journeys: each journey runs on exactly one', async (t) => {
    const daemons = [1, 2, 3].map((index) => {
      const daemon = new DaemonProcess(
        ['--journeys', DIR, '--base-url', shop.url, '--data-dir', tempDir(t), '--shard', `${index}/3`, '--concurrency', '2', '--location', 'eu-1'],
        NO_CONTROL,
      );
      t.after(() => daemon.stop());
      return daemon;
    });
    const owned = await Promise.all(
      daemons.map(async (daemon) => {
        await daemon.started();
        const started = daemon.lines.find((l) => l.event === 'started')!;
        return started.journeys as string[];
      }),
    );
    assert.deepEqual(owned.flat().sort(), NAMES, 'the shards partition the journeys');
    // Each replica runs what it owns, and nothing else.
    await Promise.all(
      daemons.map(async (daemon, i) => {
        for (const name of owned[i]!) await daemon.waitFor((l) => l.event === 'heartbeat' && l.journey === name, 60_000);
        const metrics = parseSamples(await daemon.metricsWhen((text) => text.includes('pulse_shard_journeys')));
        assert.equal(sample(metrics, 'pulse_shard_journeys', { shard: `${i + 1}/3` }), owned[i]!.length);
        const ran = new Set(daemon.lines.filter((l) => l.event === 'heartbeat').map((l) => l.journey));
        assert.deepEqual([...ran].sort(), [...owned[i]!].sort());
        // Done with this one: it runs no more ticks while the others finish theirs.
        await daemon.stop();
      }),
    );
    const list = await runPulse(['list', '--journeys', DIR, '--shard', '2/3']);
    assert.equal(list.code, 0, list.stderr);
    for (const name of NAMES) assert.match(list.stdout, new RegExp(`^${name} .* ${ownerOf(name, 3)}/3( \\(this replica\\))?$`, 'm'));
  });

  test('two locations side by side: two series per journey', async (t) => {
    const [eu, us] = ['eu-1', 'us-1'].map((location) => {
      const daemon = new DaemonProcess(
        ['--journeys', ONE, '--base-url', shop.url, '--data-dir', tempDir(t), '--location', location, '--concurrency', '1'],
        NO_CONTROL,
      );
      t.after(() => daemon.stop());
      return daemon;
    }) as [DaemonProcess, DaemonProcess];
    await Promise.all([eu.started(), us.started()]);
    await Promise.all([
      eu.waitFor((l) => l.event === 'heartbeat' && l.journey === 'front-page'),
      us.waitFor((l) => l.event === 'heartbeat' && l.journey === 'front-page'),
    ]);
    const beat = (text: string) => /^pulse_heartbeats_total\{journey="front-page"[^}]*\} [1-9]/m.test(text);
    const series = [...(await eu.metricsWhen(beat)).split('\n'), ...(await us.metricsWhen(beat)).split('\n')].filter((l) =>
      l.startsWith('pulse_heartbeats_total{journey="front-page"'),
    );
    assert.equal(series.length, 2, series.join('\n'));
    assert.ok(series.some((s) => s.includes('location="eu-1"')) && series.some((s) => s.includes('location="us-1"')));
    const line = us.lines.find((l) => l.event === 'heartbeat')!;
    assert.equal(line.location, 'us-1', 'log lines carry the location too');
  });
});
