import type { BrowserContext, BrowserContextOptions, Page } from 'playwright';
import type { Session, SessionDefinition } from './session.ts';
import type { ThresholdLimits } from './thresholds.ts';

/** Parameters handed to every journey: from PULSE_PARAM_* variables and --param flags. */
export interface JourneyParams {
  /** Where the target lives, e.g. https://shop.example.com (PULSE_PARAM_BASE_URL or --base-url). */
  readonly baseUrl: string;
  readonly [name: string]: string;
}

export type StepFn = <T>(name: string, body: () => Promise<T> | T) => Promise<T>;

export interface JourneyContext {
  /** A Playwright page in a fresh BrowserContext, closed after the run. */
  page: Page;
  context: BrowserContext;
  /** Runs one named, timed step; after a failed step the rest are skipped. */
  step: StepFn;
  params: JourneyParams;
}

export type JourneyBody = (context: JourneyContext) => Promise<void>;

export interface JourneyOptions {
  /** Unique, [a-z0-9-]; used as a metric label. */
  name: string;
  /** node-cron expression; a leading seconds field is allowed. */
  schedule: string;
  /** Time zone of the schedule (IANA name); UTC by default. */
  timezone?: string;
  /** Whole-run budget per attempt, e.g. '60s'. Default 60s. */
  timeout?: string | number;
  /** Budget of each step, e.g. '20s'. Default: the run timeout. */
  stepTimeout?: string | number;
  /** Immediate retries before a run counts as failed. Default 1. */
  retries?: number;
  tags?: string[];
  /**
   * Origins that are the product, besides the origin of `params.baseUrl`, e.g.
   * ['https://api.shop.example.com', 'https://*.shop.example.com']. A failed request to one of them
   * is the target's fault; to any other origin, a third party's. Synthetic traffic is marked only there.
   */
  origins?: string[];
  /**
   * What a successful run should stay within. A run that completes but breaks one is still a
   * success and still the heartbeat, marked `degraded` with the step and the threshold broken.
   * Durations as '2s', '800ms' or milliseconds; `cls` a layout shift score. For example:
   * `{ duration: '20s', lcp: '2.5s', cls: 0.1, steps: { 'add to cart': { duration: '2s' } } }`.
   */
  thresholds?: Thresholds;
  /**
   * A kept sign-in (session() from 'pulse'): the journey starts signed in with the session's kept
   * state, which pulse signs in for when there is none, it expired, or the target rejected it.
   */
  session?: Session;
}

/** Limits on what the user felt: the worst page view's web vitals. */
export interface VitalThresholds {
  /** Time to first byte of a page load. */
  ttfb?: string | number;
  /** First contentful paint of a page load. */
  fcp?: string | number;
  /** Largest contentful paint of a page load. */
  lcp?: string | number;
  /** Interaction to next paint: the slowest interaction. */
  inp?: string | number;
  /** Cumulative layout shift, a score of 0 or more (0.1 is good, 0.25 poor). */
  cls?: number;
}

/** The thresholds of one step, by its name: its duration and the page views it loaded or acted on. */
export interface StepThresholds extends VitalThresholds {
  duration?: string | number;
}

/** The thresholds of a journey: of the whole run (its duration, any page view of it) and per step. */
export interface Thresholds extends VitalThresholds {
  /** The successful attempt, from the journey's first line to its end. */
  duration?: string | number;
  /** By step name, as passed to `step()`. */
  steps?: Record<string, StepThresholds>;
}

/**
 * A validated journey with every default applied: plain data, so the daemon can schedule it
 * without holding its code; a worker imports `source` to run it.
 */
export interface JourneyDefinition {
  name: string;
  schedule: string;
  timezone: string;
  timeoutMs: number;
  stepTimeoutMs: number;
  retries: number;
  tags: readonly string[];
  /** Own origins besides the base URL's (the `origins` option), normalised. */
  origins: readonly string[];
  /** What a successful run should stay within (the `thresholds` option, in ms); absent when none. */
  thresholds?: ThresholdLimits;
  /** The kept sign-in the journey starts with (the `session` option); absent when none. */
  session?: SessionDefinition;
  /** Path relative to the working folder. */
  file: string;
  /** Absolute path of the file, what a worker imports. */
  source: string;
  /** file:line of the journey() call (the file alone when unknown): where problems point. Not the probe site. */
  declaredAt: string;
  /** The journeys folder it was found in, absolute: the local modules of its version are those inside it. */
  folder?: string;
  /** The version loaded: absent for a definition made without loading its file. */
  version?: JourneyVersion;
  /** A test of a Playwright Test spec file: how its file is collected again in the worker that runs it. */
  spec?: SpecOrigin;
}

/** Where a journey made from a spec file's test came from, and how that file is loaded again to find it. */
export interface SpecOrigin {
  /** The test's title path (describes, then the test), as Playwright shows it. */
  title: string;
  /** The project of playwright.config.ts it runs under; '' when the config declares none. */
  project: string;
  /** The settings the file was collected with: the same give the same journeys. */
  load: SpecLoad;
}

/** How spec files are collected: the Playwright config read and the projects chosen. */
export interface SpecLoad {
  /** playwright.config.ts, absolute; absent when there is none. */
  config?: string;
  /** The projects whose tests are journeys; all of them when absent. */
  projects?: readonly string[];
}

/** A test of a spec file that is no journey, and why (`pulse list` shows them). */
export interface Unscheduled {
  /** file:line of the test. */
  where: string;
  title: string;
  project: string;
  why: string;
}

/** One file of a journey's version: the journey file or a local module it imports. */
export interface JourneySource {
  /** Relative to the journeys folder, with forward slashes. */
  path: string;
  text: string;
  /** The text was cut to keep the stored source small; the hash covers the whole file. */
  truncated?: true;
}

/**
 * Which code of a journey ran: a hash of its file and of the local modules it imports (relative
 * imports, transitively, inside the journeys folder; packages are not part of it), plus the git
 * commit checked out where the folder is a git checkout.
 */
export interface JourneyVersion {
  /** sha-256, hex, over each file's path and content. */
  hash: string;
  /** The commit checked out in the journeys folder's git repository, when there is one. */
  commit?: string;
  /** The journey file first, then its local modules by path. */
  files: JourneySource[];
  /** Local imports left out, each with why: a missing file, or one outside the journeys folder. */
  unresolved?: string[];
}

/** How a version is shown and labelled: the first 12 hex digits of its hash. */
export function shortVersion(hash: string): string {
  return hash.slice(0, 12);
}

export const JOURNEY_BRAND = Symbol.for('pulse.journey');

/** The annotation declareJourneyTests() puts on the test it makes of a journey file: pulse loads the file itself, never that test. */
export const JOURNEY_FILE_TEST = 'pulse-journey-file';

/** On the params a worker hands a journey (not enumerable): the names of those redacted, so totp() can refuse one that is not. */
export const SECRET_PARAM_NAMES = Symbol.for('pulse.secretParamNames');

/** What a journey file default-exports. */
export interface Journey {
  readonly [JOURNEY_BRAND]: true;
  readonly options: JourneyOptions;
  readonly body: JourneyBody;
  /** file:line where journey() was called, when the stack tells. */
  readonly declaredAt: string | undefined;
  /** A spec test's browser context options (its project's `use` and test.use()), instead of playwright.config.ts's first project's. */
  readonly contextOptions?: BrowserContextOptions;
}

/** Declares a journey: default-export the result from a `*.journey.ts` file. */
export function journey(options: JourneyOptions, body: JourneyBody): Journey {
  return Object.freeze({ [JOURNEY_BRAND]: true as const, options, body, declaredAt: callerLocation() });
}

export function isJourney(value: unknown): value is Journey {
  return typeof value === 'object' && value !== null && (value as Partial<Journey>)[JOURNEY_BRAND] === true;
}

/** file:line of the code that called journey() or session(), when the stack tells. */
export function callerLocation(): string | undefined {
  const frames = new Error().stack?.split('\n').slice(1) ?? [];
  // Frame 0 is callerLocation, frame 1 is journey() or session(); the next is the file that calls it.
  const frame = frames[2];
  const match = frame && /\(?((?:file:\/\/)?[^()\s]+):(\d+):\d+\)?$/.exec(frame.trim());
  if (!match) return undefined;
  const file = match[1]!.replace(/^file:\/\//, '');
  return `${file}:${match[2]}`;
}
