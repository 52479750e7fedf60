import assert from 'node:assert/strict';
import { test } from 'node:test';
import { journey } from '../../../src/journey.ts';
import { validateJourney } from '../../../src/registry/validate.ts';
import { session, type SessionOptions } from '../../../src/session.ts';

const signIn = async () => undefined;

function problemsOf(options: unknown) {
  const { definition, problems } = validateJourney(
    journey({ name: 'account', schedule: '* * * * *', session: options as never }, async () => undefined),
    'journeys/account.journey.ts',
  );
  return { definition, problems: problems.map((p) => `${p.field}: ${p.message}; fix: ${p.fix}`) };
}

test('a journey with a session carries its plain data: name, TTL in ms, whether it has a check, where it is declared', () => {
  const { definition, problems } = problemsOf(session({ name: 'shop-user', ttl: '30m', signIn, isSignedIn: async () => true }));
  assert.deepEqual(problems, []);
  assert.equal(definition?.session?.name, 'shop-user');
  assert.equal(definition?.session?.ttlMs, 1_800_000);
  assert.equal(definition?.session?.checked, true);
  assert.match(definition?.session?.declaredAt ?? '', /session-validation\.test\.ts:\d+$/);
});

test('a bad session is refused field by field, each with its fix', () => {
  assert.deepEqual(problemsOf({ name: 'shop-user', ttl: '30m', signIn }).problems, [
    "session: is not a session(); fix: declare it with session({ name: 'shop-user', ttl: '30m', signIn: async ({ page, params }) => { ... } }) from 'pulse' and pass that object",
  ]);
  const bad = problemsOf(session({ name: 'Shop User', ttl: 'half an hour', signIn: 'no' as unknown as SessionOptions['signIn'], isSignedIn: true as never }));
  assert.equal(bad.definition, undefined);
  assert.deepEqual(
    bad.problems.map((line) => line.split(':')[0]),
    ['session.name', 'session.ttl', 'session.signIn', 'session.isSignedIn'],
  );
  assert.match(problemsOf(session({ name: 'shop-user', ttl: '31d', signIn })).problems[0]!, /session.ttl: "31d" is longer than 30 days/);
});
