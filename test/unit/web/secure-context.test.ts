// Where the trace viewer can run: a secure context, judged from how the request reached pulse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpsPublicHost, reachOf, type Reached } from '../../../src/web/secure-context.ts';

const reachedSecurely = (reached: Reached) => reachOf(reached).secure;
const reachedOverHttps = (reached: Reached) => reachOf(reached).https;

const http = (host: string | undefined, { publicUrl, ...more }: Partial<Reached> & { publicUrl?: string } = {}): Reached => ({
  protocol: 'http',
  host,
  httpsPublicHost: httpsPublicHost(publicUrl),
  ...more,
});

test('loopback hosts over plain http are secure contexts, as browsers count them', () => {
  for (const host of [
    'localhost',
    'localhost:9477',
    'LOCALHOST:9477',
    'pulse.localhost:9477',
    '127.0.0.1',
    '127.0.0.1:9477',
    '127.8.9.10:80',
    '[::1]',
    '[::1]:9477',
  ]) {
    assert.equal(reachedSecurely(http(host)), true, host);
    assert.equal(reachedOverHttps(http(host)), false, `${host} is not https`);
  }
});

test('any other address over plain http is not', () => {
  for (const host of [
    'pulse.internal:9477',
    '10.0.0.5:9477',
    '192.168.1.20',
    '0.0.0.0:9477',
    '[fe80::1]:9477',
    '[::ffff:127.0.0.1]:9477',
    'localhost.example.com',
    '128.0.0.1',
    'pulse-127.0.0.1.example',
  ]) {
    assert.equal(reachedSecurely(http(host)), false, host);
  }
});

test('a Host header that is not just a host and port is not trusted to be loopback', () => {
  for (const host of [
    undefined,
    '',
    'evil.example/localhost',
    'localhost@evil.example',
    'user@localhost',
    'localhost/path',
    'localhost?x',
    'local host',
    'localhost:notaport',
  ]) {
    assert.equal(reachedSecurely(http(host)), false, String(host));
  }
});

test('https, by pulse itself or by a proxy in front, is a secure context on any address', () => {
  assert.equal(reachedSecurely({ protocol: 'https', host: 'pulse.internal' }), true);
  assert.equal(reachedSecurely(http('10.0.0.5:9477', { forwardedProto: 'https' })), true);
  assert.equal(reachedSecurely(http('10.0.0.5:9477', { forwardedProto: 'HTTPS, http' })), true, 'the first proxy is the one the browser spoke to');
  assert.equal(reachedSecurely(http('10.0.0.5:9477', { forwardedProto: 'http, https' })), false);
  assert.equal(reachedSecurely(http('10.0.0.5:9477', { forwardedProto: 'http' })), false);
  assert.equal(reachedOverHttps(http('10.0.0.5:9477', { forwardedProto: 'https' })), true);
});

test('reached at its https public URL counts as https; a public URL elsewhere or over http does not', () => {
  assert.equal(reachedSecurely(http('pulse.example.com', { publicUrl: 'https://pulse.example.com' })), true);
  assert.equal(reachedSecurely(http('pulse.example.com:443', { publicUrl: 'https://pulse.example.com' })), true);
  assert.equal(reachedSecurely(http('10.0.0.5:9477', { publicUrl: 'https://pulse.example.com' })), false);
  assert.equal(reachedSecurely(http('pulse.example.com', { publicUrl: 'http://pulse.example.com' })), false);
  assert.equal(reachedSecurely(http('pulse.example.com', { publicUrl: 'not a url' })), false);
});
