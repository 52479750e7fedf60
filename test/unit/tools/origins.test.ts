import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { OwnOrigins, originOf, originProblem, ownOriginsOf } from '../../../src/origins.ts';

const { good, bad } = JSON.parse(readFileSync(new URL('data/origins.json', import.meta.url), 'utf8')) as { good: string[]; bad: [unknown, string][] };

test('an origins entry is an http(s) origin or a *. wildcard; anything else is named with what is wrong', () => {
  assert.ok(good.length > 0 && bad.length > 0);
  for (const entry of good) assert.equal(originProblem(entry), undefined, entry);
  for (const [entry, problem] of bad) assert.equal(originProblem(entry), problem);
});

test("own origins: the base URL and the journey's origins; exact origins match scheme, host and port", () => {
  const own = ownOriginsOf('http://127.0.0.1:3100/shop', ['https://api.example.com']);
  assert.ok(own.has('http://127.0.0.1:3100/cart?x=1'));
  assert.ok(own.has('https://api.example.com/v1/orders'));
  assert.ok(!own.has('http://127.0.0.1:3101/'), 'another port');
  assert.ok(!own.has('https://127.0.0.1:3100/'), 'another scheme');
  assert.ok(!own.has('http://api.example.com/'), 'another scheme of an own host');
  assert.ok(!own.has('not a url'));
  assert.deepEqual(own.list(), ['http://127.0.0.1:3100', 'https://api.example.com']);
});

test('a *. entry covers every subdomain, on its scheme and port only, and not the bare domain', () => {
  const own = new OwnOrigins(['https://*.Example.com', 'http://*.internal:8080']);
  assert.ok(own.has('https://a.example.com/'));
  assert.ok(own.has('https://a.b.example.com/x'));
  assert.ok(!own.has('https://example.com/'), 'the bare domain is not a subdomain');
  assert.ok(!own.has('https://evil-example.com/'), 'a suffix without the dot');
  assert.ok(!own.has('http://a.example.com/'), 'another scheme');
  assert.ok(own.has('http://svc.internal:8080/'));
  assert.ok(!own.has('http://svc.internal/'), 'another port');
  assert.deepEqual(own.list(), ['https://*.example.com', 'http://*.internal:8080']);
});

test('no base URL and no origins: empty, and nothing is own', () => {
  const own = ownOriginsOf(undefined, undefined);
  assert.ok(own.empty);
  assert.ok(!own.has('http://127.0.0.1/'));
  assert.equal(originOf('mailto:a@example.com'), undefined);
  assert.equal(originOf('https://x.example.com:443/p'), 'https://x.example.com');
});
