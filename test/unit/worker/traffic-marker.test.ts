import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OwnOrigins } from '../../../src/origins.ts';
import { fetchPatterns } from '../../../src/worker/traffic-marker.ts';

/**
 * What a backend traces, written out rather than read from the module. No WebSocket: Chromium refuses
 * that type in a filter, and Fetch.enable would then fail for the whole page.
 */
const TRACED = ['Document', 'XHR', 'Fetch', 'EventSource', 'Ping'];

describe('the DevTools patterns of the traffic marker', () => {
  test('one pattern per own origin and traced resource type, each paused before the request goes out', () => {
    const patterns = fetchPatterns(new OwnOrigins(['http://127.0.0.1:3100/shop', 'https://api.shop.example.com']));
    assert.deepEqual(
      patterns.map((p) => `${p.urlPattern} ${p.resourceType}`),
      [...TRACED.map((type) => `http://127.0.0.1:3100/* ${type}`), ...TRACED.map((type) => `https://api.shop.example.com/* ${type}`)],
    );
    assert.ok(patterns.every((p) => p.requestStage === 'Request'));
  });

  test('static assets are never paused: no pattern for scripts, stylesheets, images, fonts or media, nor one without a type', () => {
    const patterns = fetchPatterns(new OwnOrigins(['http://127.0.0.1:3100']));
    assert.ok(patterns.length > 0);
    for (const pattern of patterns) {
      assert.ok(pattern.resourceType, `a type on ${JSON.stringify(pattern)}: a pattern without one pauses everything`);
      assert.ok(!['Script', 'Stylesheet', 'Image', 'Font', 'Media'].includes(pattern.resourceType), `${pattern.resourceType} is paused`);
    }
  });

  test('each own origin is named literally, a *. entry matches every subdomain, and no origin means no pattern', () => {
    const patterns = fetchPatterns(new OwnOrigins(['http://127.0.0.1:3100/shop', 'https://*.shop.example.com']));
    assert.deepEqual([...new Set(patterns.map((p) => p.urlPattern))], ['http://127.0.0.1:3100/*', 'https://*.shop.example.com/*']);
    assert.deepEqual(fetchPatterns(new OwnOrigins([])), []);
  });
});
