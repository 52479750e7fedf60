import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lifecycle } from '../../../src/lifecycle.ts';

function harness() {
  const said: string[] = [];
  const errors: { part?: string }[] = [];
  const life = new Lifecycle({ error: (fields) => errors.push(fields) });
  const part = (name: string, options: { failStart?: boolean; failStop?: boolean } = {}) =>
    life.start(
      name,
      async () => {
        if (options.failStart) throw new Error(`${name} cannot start`);
        said.push(`start ${name}`);
        return name;
      },
      async (started) => {
        said.push(`stop ${started}`);
        if (options.failStop) throw new Error(`${name} cannot stop`);
      },
    );
  return { life, said, errors, part };
}

test('parts start in the order declared and stop in reverse, once however often stop is called', async () => {
  const { life, said, part } = harness();
  await part('lock');
  life.add('sinks', () => void said.push('stop sinks'));
  await part('store');
  await part('web');
  assert.deepEqual(life.parts, ['lock', 'sinks', 'store', 'web']);
  await Promise.all([life.stop(), life.stop()]);
  assert.deepEqual(said, ['start lock', 'start store', 'start web', 'stop web', 'stop store', 'stop sinks', 'stop lock']);
});

test('a failed start stops by the same path only what had started', async () => {
  const { life, said, part } = harness();
  await part('lock');
  await part('store');
  await assert.rejects(part('web', { failStart: true }), /web cannot start/);
  await life.stop();
  assert.deepEqual(said, ['start lock', 'start store', 'stop store', 'stop lock']);
  await assert.rejects(part('late'), /late not started: stopping/);
});

test('a part that fails to stop is logged, the others still stop, and the stop fails with its error', async () => {
  const { life, said, errors, part } = harness();
  await part('lock');
  await part('store', { failStop: true });
  await part('web');
  await assert.rejects(life.stop(), (error: unknown) => error instanceof AggregateError && /store cannot stop/.test(String(error.errors[0])));
  assert.deepEqual(said, ['start lock', 'start store', 'start web', 'stop web', 'stop store', 'stop lock']);
  assert.deepEqual(
    errors.map((e) => e.part),
    ['store'],
  );
});
