// The end-of-run check of a journey worker, in this process: what a run leaves is found, named,
// and told apart from garbage and from what pulse itself holds.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFile, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFile as readFilePromise } from 'node:fs/promises';
import { before, test } from 'node:test';
import { GlobalsGuard, settleLazyGlobals } from '../../../src/worker/globals-guard.ts';
import { LeftoverCheck } from '../../../src/worker/leftovers.ts';

const MIB = 1024 * 1024;
/** About `count` MiB, in arrays of 64 KiB: held long enough while made that they are in the old generation, which no scavenge takes. */
const megabytes = (count: number) => Array.from({ length: count * 16 }, () => new Array<number>(8192).fill(0.5));

before(settleLazyGlobals);

test("a journey's first use of Node's lazy globals is not a change: fetch's dispatcher, atob, Headers, FormData, MessageChannel... were settled before the baseline", async () => {
  const guard = new GlobalsGuard();
  const response = await fetch('data:,hello');
  assert.equal(await response.text(), 'hello');
  assert.equal(atob(btoa('u:p')), 'u:p');
  new Headers({ a: 'b' });
  new FormData();
  new MessageChannel().port1.close();
  new BroadcastChannel('pulse-test').close();
  new DOMException('x');
  new CompressionStream('gzip');
  new TextDecoderStream();
  assert.deepEqual(guard.changed(), []);
});

test('replaced, added and removed built-ins and changed values are named; put back, nothing is', () => {
  const guard = new GlobalsGuard();
  assert.deepEqual(guard.changed(), [], 'nothing changed yet');
  const exec = Object.getOwnPropertyDescriptor(RegExp.prototype, 'exec')!;
  const get = Object.getOwnPropertyDescriptor(Map.prototype, 'get')!;
  const limit = Error.stackTraceLimit;
  const trim = Object.getOwnPropertyDescriptor(String.prototype, 'trim')!;
  const hidden = Object.getOwnPropertyDescriptor(Array.prototype, 'map')!;
  try {
    RegExp.prototype.exec = function (this: RegExp, text: string) {
      const original = exec.value as RegExp['exec'];
      return original.call(this, text);
    };
    Map.prototype.get = function (this: Map<unknown, unknown>, key: unknown): unknown {
      const original = get.value as Map<unknown, unknown>['get'];
      return original.call(this, key);
    };
    Error.stackTraceLimit = 0;
    (globalThis as { sharedCache?: object }).sharedCache = {};
    delete (String.prototype as { trim?: unknown }).trim;
    Object.defineProperty(Array.prototype, 'map', { ...hidden, enumerable: true });
    const changed = guard.changed();
    for (const expected of [
      'RegExp.prototype.exec (replaced)',
      'Map.prototype.get (replaced)',
      `Error.stackTraceLimit (was ${limit}, now 0)`,
      'globalThis.sharedCache (added)',
      'String.prototype.trim (removed)',
      'Array.prototype.map (its flags changed)',
    ])
      assert.ok(changed.includes(expected), `${expected} in ${JSON.stringify(changed)}`);
  } finally {
    Object.defineProperty(RegExp.prototype, 'exec', exec);
    Object.defineProperty(Map.prototype, 'get', get);
    Error.stackTraceLimit = limit;
    delete (globalThis as { sharedCache?: object }).sharedCache;
    Object.defineProperty(String.prototype, 'trim', trim);
    Object.defineProperty(Array.prototype, 'map', hidden);
  }
  assert.deepEqual(guard.changed(), [], 'put back as it was');
});

test('a timer left running is found by kind; one cleared is not', async () => {
  const check = new LeftoverCheck({ capBytes: 64 * 1024 * MIB });
  check.begin();
  const cleared = setTimeout(() => undefined, 60_000);
  clearTimeout(cleared);
  assert.deepEqual(check.end({ handles: true }).found, []);

  check.begin();
  const left = setInterval(() => undefined, 60_000);
  try {
    const { found } = check.end({ handles: true });
    assert.deepEqual(
      found.map((leftover) => leftover.kind),
      ['handles'],
    );
    assert.match(found[0]!.message, /it left 1 Timeout running after its run ended/);
    assert.deepEqual(check.end({ handles: false }).found, [], 'not looked at after a failed attempt');
  } finally {
    clearInterval(left);
  }
  await Promise.resolve();
});

test('a file-system request still in flight as the run ends is no leftover once it has settled: it ends by itself', async () => {
  const check = new LeftoverCheck({ capBytes: 64 * 1024 * MIB });
  check.begin();
  readFile(import.meta.filename, () => undefined);
  const read = readFilePromise(import.meta.filename);
  assert.ok(
    process.getActiveResourcesInfo().some((kind) => kind.startsWith('FSReq')),
    'the reads are in flight',
  );
  await check.settleFileRequests();
  assert.deepEqual(check.end({ handles: true }).found, []);
  await read;
});

test('a file-system request that never ends (a read of a pipe nobody writes) is found after the settling moment', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pulse-leftovers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'pipe');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const check = new LeftoverCheck({ capBytes: 64 * 1024 * MIB });
  check.begin();
  // Opening a pipe for reading waits for a writer: the request stays in flight.
  const read = readFilePromise(fifo);
  await check.settleFileRequests(100);
  const { found } = check.end({ handles: true });
  assert.deepEqual(
    found.map((leftover) => leftover.kind),
    ['handles'],
  );
  assert.match(found[0]!.message, /it left 1 FSReq\w+ running after its run ended/);
  // A writer that opens and closes the pipe ends the read (empty), and nothing is left after all.
  writeFileSync(fifo, '');
  assert.equal(String(await read), '');
});

test('memory a run keeps past an eighth of the cap is charged to it; garbage it made is not', () => {
  // A cap well above this process's peak, so that only what is kept counts.
  const capBytes = Math.max(process.resourceUsage().maxRSS * 1024 * 2, 512 * MIB);
  const allowance = capBytes / 8;
  const check = new LeftoverCheck({ capBytes });

  check.begin();
  // Made and dropped inside the run: garbage by its end.
  const made = (() => new Array<number>(Math.ceil((allowance * 1.5) / 8)).fill(0.5).length)();
  assert.ok(made > 0);
  assert.deepEqual(check.end({ handles: true }).found, [], 'garbage is collected, not charged');

  check.begin();
  const kept = new Array<number>(Math.ceil((allowance * 1.5) / 8)).fill(0.5);
  const { found, worn } = check.end({ handles: true });
  assert.equal(worn, undefined);
  assert.deepEqual(
    found.map((leftover) => leftover.kind),
    ['memory'],
  );
  assert.match(found[0]!.message, /it kept \d+ MiB after its run ended .* a run may leave at most \d+ MiB/);
  assert.ok(kept.length > 0);
});

test("garbage earlier runs left uncollected does not pass a later run's keeping off as many small keepers: it is collected between runs", () => {
  const capBytes = Math.max(process.resourceUsage().maxRSS * 1024 * 2, 512 * MIB);
  const allowance = capBytes / 8;
  const check = new LeftoverCheck({ capBytes });
  const before = check.collections;

  check.begin();
  // Three quarters of the allowance made and dropped, under what the check collects.
  assert.ok((() => megabytes(Math.round((allowance * 0.75) / MIB)).length)() > 0);
  assert.deepEqual(check.end({ handles: true }), { found: [] });
  check.tidy();
  assert.equal(check.collections, before + 1, 'the garbage was collected between the runs');

  check.begin();
  // More than the allowance, kept: this run's own, however much garbage came before it.
  const kept = megabytes(Math.round((allowance * 1.1) / MIB));
  const { found, worn } = check.end({ handles: true });
  assert.equal(worn, undefined, 'not taken for a worker worn by small keepers');
  assert.deepEqual(
    found.map((leftover) => leftover.kind),
    ['memory'],
  );
  assert.ok(kept.length > 0);
  const collected = check.collections;
  check.tidy();
  check.tidy();
  assert.equal(check.collections, collected, 'what was collected at the check is not collected again');
});

test('a peak over the cap during the run is found at its end, however short it was', () => {
  // This process has already been above a cap this low.
  const check = new LeftoverCheck({ capBytes: 16 * MIB });
  check.begin();
  const found = check.end({ handles: true }).found.filter((leftover) => /went up to/.test(leftover.message));
  assert.equal(found.length, 1);
  assert.equal(found[0]!.kind, 'memory');
  assert.match(found[0]!.message, /went up to \d+ MiB resident during the run, over its cap of 16 MiB/);
});

test('memory kept a little at a time by several runs wears the worker out, charged to none of them', () => {
  const capBytes = Math.max(process.resourceUsage().maxRSS * 1024 * 2, 512 * MIB);
  const allowance = capBytes / 8;
  const check = new LeftoverCheck({ capBytes });
  const kept: number[][] = [];
  let worn: string | undefined;
  for (let run = 0; run < 6 && worn === undefined; run += 1) {
    check.begin();
    // A third of the allowance each: under what charges a run, over it after three.
    kept.push(new Array<number>(Math.ceil(allowance / 3 / 8)).fill(0.5));
    const ended = check.end({ handles: true });
    assert.deepEqual(ended.found, [], `run ${run} is charged nothing`);
    worn = ended.worn;
  }
  assert.match(String(worn), /the worker holds \d+ MiB more than when it started, kept a little at a time by several runs/);
  assert.ok(kept.length >= 3);
});
