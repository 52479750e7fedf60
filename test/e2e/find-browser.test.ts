import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PulseError } from '../../src/errors.ts';
import { findBrowser, SYSTEM_HEADLESS_SHELLS } from '../../src/runner/find-browser.ts';
import { runPulse } from '../support/pulse-cli.ts';
import { tempDir } from '../support/temp.ts';

describe('finding a browser', () => {
  test('a configured path wins; a configured path that does not exist is an error, not a fallback', () => {
    const found = findBrowser({ configuredPath: process.execPath });
    assert.deepEqual([found.source, found.executablePath], ['configured', process.execPath]);
    assert.throws(() => findBrowser({ configuredPath: '/no/such/chrome' }), /browser path '\/no\/such\/chrome' \(PULSE_BROWSER_PATH\) does not exist/);
  });

  test('the system headless shell comes before full Chromium', () => {
    const found = findBrowser({ playwrightManaged: false, systemHeadlessShells: ['/nope', process.execPath], systemChromiums: ['/bin/sh'] });
    assert.deepEqual([found.source, found.executablePath], ['system-headless-shell', process.execPath]);
    const full = findBrowser({ playwrightManaged: false, systemHeadlessShells: ['/nope'], systemChromiums: ['/bin/sh'] });
    assert.equal(full.source, 'system-chromium');
  });

  test('this machine has the Debian headless shell, and pulse picks it', () => {
    assert.ok(
      SYSTEM_HEADLESS_SHELLS.some((p) => existsSync(p)),
      'apt-get install chromium-headless-shell',
    );
    assert.equal(findBrowser({ playwrightManaged: false }).source, 'system-headless-shell');
  });

  test('none found: an error that says how to get one', () => {
    assert.throws(
      () => findBrowser({ playwrightManaged: false, systemHeadlessShells: [], systemChromiums: [] }),
      (error: unknown) =>
        error instanceof PulseError &&
        error.code === 'browser-not-found' &&
        /apt-get install chromium-headless-shell/.test(error.message) &&
        /npx playwright install chromium/.test(error.message),
    );
  });

  test('pulse once with no browser anywhere exits non-zero with the how-to and reports no success', async (t) => {
    const empty = tempDir(t);
    const run = await runPulse(['once', 'checkout', '--base-url', 'http://127.0.0.1:9'], {
      env: { PULSE_SYSTEM_BROWSER_PATHS: '/nonexistent/chromium', PLAYWRIGHT_BROWSERS_PATH: empty, PULSE_BROWSER_PATH: '' },
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no Chromium found for pulse/);
    assert.match(run.stderr, /apt-get install chromium-headless-shell/);
    assert.doesNotMatch(run.stdout, /SUCCESS/);
  });
});
