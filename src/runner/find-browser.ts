import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { LaunchOptions } from 'playwright';
import { PulseError } from '../errors.ts';

export type BrowserSource = 'configured' | 'playwright' | 'system-headless-shell' | 'system-chromium';

export interface FoundBrowser {
  source: BrowserSource;
  /** Executable to launch. */
  executablePath: string | undefined;
  /** What to show a person: the path, or "Playwright-managed". */
  label: string;
}

/** Debian and Ubuntu put these here; the headless shell costs about a third of full Chromium per run. */
export const SYSTEM_HEADLESS_SHELLS = ['/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium-headless-shell'];
export const SYSTEM_CHROMIUMS = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable'];

/** The error when no Chromium is to be had, with how to get one; the postinstall script prints it too. */
export function noBrowserFound(): PulseError {
  const ways = [
    'get one of:',
    '  - Debian/Ubuntu as root: apt-get install chromium-headless-shell (or chromium)',
    '  - with network access: npx playwright install chromium',
    '  - an existing build: set PULSE_BROWSER_PATH=/path/to/chrome (or --browser-path)',
  ];
  return new PulseError({ code: 'browser-not-found', message: 'no Chromium found for pulse', fix: ways.join('\n') });
}

export interface FindBrowserOptions {
  /** From PULSE_BROWSER_PATH, --browser-path or playwright.config.ts launchOptions.executablePath. */
  configuredPath?: string | undefined;
  /** Where to look for system builds; tests narrow these to prove the not-found path. */
  systemHeadlessShells?: readonly string[];
  systemChromiums?: readonly string[];
  /** Whether to consider a Playwright-managed browser. */
  playwrightManaged?: boolean;
}

/** In order: a configured path, a Playwright-managed browser, the system headless shell, the system Chromium. */
export function findBrowser(options: FindBrowserOptions = {}): FoundBrowser {
  const { configuredPath } = options;
  if (configuredPath) {
    if (!existsSync(configuredPath)) {
      throw new PulseError({
        code: 'browser-not-found',
        message: `browser path '${configuredPath}' (PULSE_BROWSER_PATH) does not exist`,
        fix: 'correct the path, or unset it to let pulse find one',
      });
    }
    return { source: 'configured', executablePath: configuredPath, label: configuredPath };
  }
  if (options.playwrightManaged ?? true) {
    const managed = playwrightManagedPath();
    if (managed) return { source: 'playwright', executablePath: managed, label: `Playwright-managed (${managed})` };
  }
  const shell = (options.systemHeadlessShells ?? SYSTEM_HEADLESS_SHELLS).find((p) => existsSync(p));
  if (shell) return { source: 'system-headless-shell', executablePath: shell, label: shell };
  const full = (options.systemChromiums ?? SYSTEM_CHROMIUMS).find((p) => existsSync(p));
  if (full) return { source: 'system-chromium', executablePath: full, label: full };
  throw noBrowserFound();
}

/** Playwright's own download: its headless shell first (what it runs headless), else its Chromium. */
function playwrightManagedPath(): string | undefined {
  const root = process.env.PLAYWRIGHT_BROWSERS_PATH || path.join(homedir(), '.cache', 'ms-playwright');
  try {
    const shells = readdirSync(root)
      .filter((name) => name.startsWith('chromium_headless_shell-'))
      .sort()
      .reverse();
    for (const dir of shells) {
      for (const binary of ['chrome-headless-shell-linux64/chrome-headless-shell', 'chrome-linux/headless_shell']) {
        const candidate = path.join(root, dir, binary);
        if (existsSync(candidate)) return candidate;
      }
    }
  } catch {
    // No managed browsers at all.
  }
  // Playwright's own answer costs loading Playwright (half a second): asked only where it keeps browsers.
  if (!existsSync(root)) return undefined;
  try {
    const { chromium } = createRequire(import.meta.url)('playwright') as typeof import('playwright');
    const candidate = chromium.executablePath();
    return candidate && existsSync(candidate) ? candidate : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Flags for a prober on a closed network: without the background-networking ones Chromium
 * keeps calling home and logs every refusal.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** How every worker launches its browser: the one found, pulse's flags, and `use.launchOptions` from playwright.config.ts. */
export function browserLaunchOptions(browser: FoundBrowser, extra: LaunchOptions = {}): LaunchOptions {
  return {
    headless: true,
    ...extra,
    executablePath: browser.executablePath ?? extra.executablePath,
    // playwright.config.ts may list pulse's own flags again (pulseLaunchOptions); each once is enough.
    args: [...new Set([...CHROMIUM_ARGS, ...(extra.args ?? [])])],
  };
}
