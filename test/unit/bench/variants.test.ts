// The bench's "pulse" variant is the defaults; the traffic marker's cost is measured against the
// one variant with the marker the other way, and the twin that would equal "pulse" is no variant.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { markerPair, OTHER_MARKER, VARIANT_IDS, type CostResult, type VariantId, type VariantResult } from '../../../bench/cost.ts';
import { DEFAULT_FEATURES } from '../../../bench/worker.ts';
import { defaultOf } from '../../../src/settings/table.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TWIN: VariantId = OTHER_MARKER === 'pulse-marked' ? 'pulse-unmarked' : 'pulse-marked';

const variant = (id: VariantId, cpuS: number): VariantResult => ({
  id,
  label: id,
  samples: [{ cpuS, wallMs: 1 }],
  failures: 0,
  failureExamples: [],
  memory: [],
  browserProcesses: [],
});

test('the bench runs what pulse run does with no setting, and the marker the other way beside it', () => {
  assert.equal(DEFAULT_FEATURES.markTraffic, defaultOf('markTraffic'));
  assert.equal(DEFAULT_FEATURES.vitals, defaultOf('webVitals'));
  assert.equal(OTHER_MARKER, defaultOf('markTraffic') ? 'pulse-unmarked' : 'pulse-marked');
  assert.ok(VARIANT_IDS.includes(OTHER_MARKER));
  assert.ok(!VARIANT_IDS.includes(TWIN), `${TWIN} would measure the defaults twice`);
});

test('the marker pair is the marked and the unmarked run, whichever of them is the defaults', () => {
  const cost: CostResult = {
    journey: 'checkout',
    variants: [variant('pulse', 1), variant(OTHER_MARKER, 2)],
    browserVersions: {},
    elastic: { ok: false, reason: 'not run' },
    cgroupUsed: false,
  };
  const { on, off } = markerPair(cost);
  assert.deepEqual([on?.id, off?.id], defaultOf('markTraffic') ? ['pulse', OTHER_MARKER] : [OTHER_MARKER, 'pulse']);
  assert.deepEqual(markerPair(undefined), { on: undefined, off: undefined });
});

test('naming the twin of the defaults on the command line is one line naming the variants there are, exit 2, nothing run', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--variants', `pulse,${TWIN}`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, new RegExp(`^bench: --variants: unknown variant '${TWIN}'; use .*\\b${OTHER_MARKER}\\b`, 'm'));
  assert.equal(run.stdout, '');
});
