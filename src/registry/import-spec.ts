// Inside a worker: import one Playwright Test spec file and turn its tests into journeys, one per
// test and chosen project of playwright.config.ts; what pulse cannot honour is refused at the
// line it is written on, and a test that is no journey is told with why.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { BrowserContextOptions } from 'playwright';
import { describeError } from '../errors.ts';
import { parseDuration } from '../duration.ts';
import { JOURNEY_BRAND, JOURNEY_FILE_TEST, type Journey, type JourneyDefinition, type JourneyOptions, type SpecLoad, type Unscheduled } from '../journey.ts';
import { CONTEXT_KEYS } from '../playwright-use.ts';
import type { Problem } from '../problem.ts';
import { SESSION_BRAND, type Session, type SessionContext } from '../session.ts';
import { collectFile, suitePath, testsIn, type Annotation, type CollectedFile, type Modifier, type SpecTest, type Suite } from '../spec/collect.ts';
import { BUILTIN_FIXTURES, fixtureNames } from '../spec/fixtures.ts';
import { browserOf, loadSpecConfig, projectFiles, type SpecConfig, type SpecProject } from '../spec/projects.ts';
import { redirectPlaywrightTest } from '../spec/redirect.ts';
import { specBody, titlePath } from '../spec/spec-body.ts';
import { importFailure } from './import-failure.ts';
import { meantOption } from './strict-source.ts';
import { validateJourney } from './validate.ts';

/** The longest a journey may take (validate.ts says so for journey files). */
const MAX_JOURNEY_MS = 3_600_000;
/** Playwright Test's default test timeout. */
const PLAYWRIGHT_TIMEOUT_MS = 30_000;
/** How long a setup project's sign-in is kept when its tests say nothing. */
const DEFAULT_SESSION_TTL = '30m';
/** What a spec file may export as its tests' defaults: `export const monitor = { schedule: '*\/5 * * * *' }`. */
const MONITOR_KEYS = ['schedule', 'timezone', 'timeout', 'retries', 'tags', 'origins', 'thresholds'] as const;
type MonitorDefaults = Partial<Pick<JourneyOptions, (typeof MONITOR_KEYS)[number]>>;

export interface ImportedSpec {
  journeys: Map<string, Journey>;
  definitions: JourneyDefinition[];
  unscheduled: Unscheduled[];
  problems: Problem[];
}

const configs = new Map<string, Promise<SpecConfig>>();

/** playwright.config.ts read once per worker: its projects do not change while the worker lives. */
function configOnce(file: string | undefined, folder: string): Promise<SpecConfig> {
  const key = file ?? `(none) ${folder}`;
  let config = configs.get(key);
  if (!config) configs.set(key, (config = loadSpecConfig(file, folder)));
  return config;
}

/** `shown` is how problems name the file; places inside it are shown relative to the working folder. */
export async function importSpecFile(file: string, shown: string, load: SpecLoad, folder: string): Promise<ImportedSpec> {
  const empty = (problems: Problem[]): ImportedSpec => ({ journeys: new Map(), definitions: [], unscheduled: [], problems });
  redirectPlaywrightTest();
  let config: SpecConfig;
  try {
    config = await configOnce(load.config, folder);
  } catch (error) {
    const where = load.config ? path.relative(process.cwd(), load.config) : shown;
    return empty([{ where, message: `cannot be loaded: ${firstLine(error)}`, fix: 'correct it (npx playwright test --list shows the error in full)' }]);
  }
  let loaded: LoadedSpec;
  try {
    loaded = await collectOnce(file);
  } catch (error) {
    return empty([
      {
        where: shown,
        message: `cannot be loaded: ${importFailure(error, file)}`,
        fix: 'correct the file at that spot (npx playwright test --list shows it too)',
      },
    ]);
  }
  return new SpecJourneys(file, shown, load, config, loaded.collected, loaded.namespace).make();
}

interface LoadedSpec {
  collected: CollectedFile;
  namespace: Record<string, unknown>;
}

/** Each spec file collected once per worker: Node keeps the module, so a second import declares nothing. */
const collections = new Map<string, Promise<LoadedSpec>>();
function collectOnce(file: string): Promise<LoadedSpec> {
  let loaded = collections.get(file);
  if (!loaded) {
    loaded = (async () => {
      let namespace: Record<string, unknown> = {};
      const collected = await collectFile(file, async () => {
        namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      });
      return { collected, namespace };
    })();
    collections.set(file, loaded);
  }
  return loaded;
}

class SpecJourneys {
  readonly journeys = new Map<string, Journey>();
  readonly definitions: JourneyDefinition[] = [];
  readonly unscheduled: Unscheduled[] = [];
  readonly problems: Problem[] = [];
  readonly #sessions = new Map<string, Session>();
  readonly #setupTests = new Map<string, SpecTest[]>();

  constructor(
    private readonly file: string,
    private readonly shown: string,
    private readonly load: SpecLoad,
    private readonly config: SpecConfig,
    private readonly collected: CollectedFile,
    private readonly namespace: Record<string, unknown>,
  ) {}

  async make(): Promise<ImportedSpec> {
    const { collected } = this;
    for (const wrong of collected.misdeclared) this.#refuse(wrong.location, wrong.message, wrong.fix);
    // A journey file's test, declared by declareJourneyTests(): the journey file is loaded as such.
    const tests = testsIn(collected.root).filter((test) => !test.annotations.some((annotation) => annotation.type === JOURNEY_FILE_TEST));
    const focused = [...suitesIn(collected.root).filter((suite) => suite.only), ...tests.filter((test) => test.only)];
    for (const entry of focused)
      this.#refuse(entry.location, '.only focuses this file on part of its tests', 'remove .only: pulse monitors every scheduled test of a file');
    // Never half-run: a file focused on some of its tests gives no journey until it is not.
    if (focused.length > 0) return { journeys: this.journeys, definitions: [], unscheduled: [], problems: this.problems };
    const defaults = this.#monitorDefaults();
    const chosen = this.#chosenProjects();
    const setups = setupProjects(this.config.projects, chosen);
    for (const project of setups.values()) await this.#collectSetup(project);
    for (const project of chosen) {
      const browser = browserOf(project.use);
      if (browser !== 'chromium' && project.takes(this.file) && tests.length > 0) {
        this.problems.push({
          where: this.#configShown(),
          field: project.name ? `projects[${project.name}].use` : 'use',
          message: `runs the tests in ${browser}; pulse runs Chromium only`,
          fix: `set browserName: 'chromium' in its use (a device such as devices['iPhone 13'] keeps its viewport and user agent), or leave the project out with PULSE_PROJECTS`,
        });
      }
    }
    for (const test of tests) {
      const title = titlePath(test).join(' › ');
      const homes = this.config.projects.filter((project) => project.takes(this.file));
      if (homes.length === 0) this.#unscheduled(test, '', 'no project of the Playwright config takes this file (testDir, testMatch, testIgnore)');
      for (const project of homes) {
        if (setups.has(project.name)) {
          this.#unscheduled(test, project.name, `a setup test: it signs in for the projects that depend on '${project.name}', as a kept session`);
          continue;
        }
        if (!chosen.includes(project)) {
          this.#unscheduled(test, project.name, `project '${project.name}' is not among PULSE_PROJECTS`);
          continue;
        }
        if (browserOf(project.use) !== 'chromium') continue;
        this.#journeyOf(test, title, project, defaults, setups);
      }
    }
    return { journeys: this.journeys, definitions: this.definitions, unscheduled: this.unscheduled, problems: this.problems };
  }

  #journeyOf(test: SpecTest, title: string, project: SpecProject, defaults: MonitorDefaults, setups: Map<string, SpecProject>): void {
    const suites = suitePath(test.parent);
    const options = optionsOf(project, suites);
    const modifiers = [...suites.flatMap((suite) => suite.modifiers), ...test.modifiers];
    const off = modifiers.find((modifier) => modifier.kind !== 'slow' && holds(modifier, options));
    if (off) {
      const why = off.kind === 'fail' ? 'expected to fail (test.fail)' : `marked test.${off.kind}()`;
      this.#unscheduled(test, project.name, `${why} at ${this.#place(off.location)}${off.description ? `: ${off.description}` : ''}`);
      return;
    }
    const serial = suites.find((suite) => suite.mode?.mode === 'serial');
    if (serial) {
      this.#refuse(
        serial.mode!.location,
        'serial mode: its tests depend on each other, sharing state in one worker',
        'make each test stand on its own (sign in with a setup project, set up data in beforeEach) so each can be a journey',
      );
      return;
    }
    const annotations = [...suites.flatMap((suite) => suite.annotations), ...test.annotations];
    const schedule = annotated(annotations, 'schedule') ?? defaults.schedule;
    if (schedule === undefined) {
      this.#unscheduled(test, project.name, "no schedule: give it (or its describe) the annotation { type: 'schedule', description: '*/5 * * * *' }");
      return;
    }
    if (!this.#scanBody(test, options)) return;
    const slow = modifiers.find((modifier) => modifier.kind === 'slow' && holds(modifier, options));
    const configured = [...suites].reverse().find((suite) => suite.timeoutMs !== undefined)?.timeoutMs;
    const given = annotated(annotations, 'timeout') ?? defaults.timeout ?? configured ?? project.timeoutMs ?? PLAYWRIGHT_TIMEOUT_MS;
    // test.slow() triples it, in ms; a timeout that is no duration goes to validateJourney as written, to be refused there.
    const givenMs = parseDuration(given);
    const tripledMs = slow && givenMs !== undefined ? givenMs * 3 : undefined;
    const timeout = tripledMs ?? given;
    if (slow && tripledMs !== undefined && tripledMs > MAX_JOURNEY_MS) {
      this.#refuse(
        slow.location,
        `test.slow() triples the test's timeout of ${String(given)} to ${Math.round(tripledMs / 60_000)} min, past the hour a journey may take`,
        'give it a timeout of at most 20 min before test.slow(), or split the flow into several tests',
      );
      return;
    }
    const retriesText = annotated(annotations, 'retries');
    const retries =
      (retriesText === undefined ? undefined : Number(retriesText)) ??
      [...suites].reverse().find((suite) => suite.retries !== undefined)?.retries ??
      defaults.retries ??
      project.retries;
    const tags = [...new Set([...(defaults.tags ?? []), ...suites.flatMap((suite) => suite.tags), ...test.tags].map((tag) => tag.replace(/^@/, '')))];
    const storageState = options.storageState;
    const setup = project.dependencies.map((name) => setups.get(name)).filter((entry): entry is SpecProject => entry !== undefined);
    const session = setup.length > 0 && typeof storageState === 'string' ? this.#sessionFor(setup, storageState) : undefined;
    if (!session && typeof storageState === 'string' && !existsSync(this.#configRelative(storageState))) {
      this.#refuse(
        test.location,
        `project '${project.name}' starts signed in from ${storageState}, which does not exist and no setup project makes`,
        "add a setup project that signs in and saves it (dependencies: ['setup']); pulse then keeps that sign-in itself",
      );
      return;
    }
    const name = journeyName(this.file, titlePath(test), project.name);
    const [, line] = /:(\d+):\d+$/.exec(test.location) ?? [];
    const journeyOptions: JourneyOptions = {
      name,
      schedule,
      ...(defaults.timezone || annotated(annotations, 'timezone') ? { timezone: annotated(annotations, 'timezone') ?? defaults.timezone } : {}),
      timeout,
      ...(retries !== undefined ? { retries } : {}),
      tags,
      ...(defaults.origins ? { origins: defaults.origins } : {}),
      ...(defaults.thresholds ? { thresholds: defaults.thresholds } : {}),
      ...(session ? { session } : {}),
    };
    const contextOptions = contextOptionsOf(options, session !== undefined, (given) => this.#configRelative(given));
    const timeoutMs = parseDuration(timeout) ?? PLAYWRIGHT_TIMEOUT_MS;
    const journey: Journey = Object.freeze({
      [JOURNEY_BRAND]: true as const,
      options: journeyOptions,
      body: specBody({ test, project, options, timeoutMs }),
      declaredAt: `${this.file}:${line ?? 0}`,
      contextOptions,
    });
    const checked = validateJourney(journey, this.shown, this.file);
    this.problems.push(...checked.problems);
    if (!checked.definition) return;
    this.journeys.set(name, journey);
    this.definitions.push({ ...checked.definition, spec: { title, project: project.name, load: this.load } });
  }

  /** What a test's text does that pulse cannot honour, and fixtures nothing provides: false when any is found. */
  #scanBody(test: SpecTest, options: Record<string, unknown>): boolean {
    const before = this.problems.length;
    const text = Function.prototype.toString.call(test.fn);
    const budget = /\b(?:test|testInfo|info)\s*\.\s*(setTimeout|slow)\s*\(/.exec(text);
    if (budget)
      this.#refuse(
        test.location,
        `the test calls ${budget[0].replace(/\s/g, '')}) while it runs; pulse sets a run's budget before it starts`,
        "give the budget as the annotation { type: 'timeout', description: '90s' }, test.describe.configure({ timeout }) or test.slow() outside the test body",
      );
    const known = new Set([...test.fixtures.definitions.keys(), ...Object.keys(options), ...BUILTIN_FIXTURES]);
    const named = fixtureNames(test.fn);
    if (named === undefined)
      this.#refuse(
        test.location,
        'its first parameter does not destructure the fixtures it uses',
        'write it as async ({ page }) => { ... }, naming the fixtures',
      );
    for (const name of named ?? [])
      if (!known.has(name))
        this.#refuse(
          test.location,
          `uses fixture '${name}', which no test.extend(), option or built-in fixture provides`,
          'define it with test.extend() and declare the test with that test object',
        );
    const titles = [...text.matchAll(/\.step\s*\(\s*(['"`])((?:\\.|(?!\1).)*)\1/g)].map((match) => match[2]!);
    const twice = titles.find((title, index) => titles.indexOf(title) !== index);
    if (twice !== undefined)
      this.#refuse(test.location, `test.step('${twice}') is written twice in this test: their timings would share one series`, 'give each step its own title');
    return this.problems.length === before;
  }

  /** The sign-in of the setup projects a project depends on, kept by pulse under one name. */
  #sessionFor(setup: SpecProject[], storageState: string): Session {
    const name = slug(`${setup.map((project) => project.name).join('-')}-${path.basename(storageState).replace(/\.json$/, '')}`);
    const existing = this.#sessions.get(name);
    if (existing) return existing;
    const tests = setup.flatMap((project) => (this.#setupTests.get(project.name) ?? []).map((test) => ({ test, project })));
    const first = tests[0];
    const ttl = tests.map(({ test }) => annotated([...suitePath(test.parent).flatMap((suite) => suite.annotations), ...test.annotations], 'ttl')).find(Boolean);
    const session: Session = Object.freeze({
      [SESSION_BRAND]: true as const,
      declaredAt: first ? first.test.location.replace(/:\d+$/, '') : `${this.#configShown()}:${name}`,
      options: {
        name,
        ttl: ttl ?? DEFAULT_SESSION_TTL,
        signIn: async ({ page, context, params }: SessionContext) => {
          const step = async <T>(_name: string, body: () => Promise<T> | T) => body();
          for (const { test, project } of tests) {
            const options = optionsOf(project, suitePath(test.parent));
            await specBody({ test, project, options, timeoutMs: PLAYWRIGHT_TIMEOUT_MS, signingIn: true })({ page, context, params, step });
          }
        },
      },
    });
    this.#sessions.set(name, session);
    return session;
  }

  /** A setup project's tests, from its own files (auth.setup.ts), collected here too. */
  async #collectSetup(project: SpecProject): Promise<void> {
    const tests: SpecTest[] = [];
    try {
      for (const file of await projectFiles(project)) tests.push(...testsIn((await collectOnce(file)).collected.root));
    } catch (error) {
      this.problems.push({
        where: this.#configShown(),
        field: `projects[${project.name}]`,
        message: `its setup tests cannot be loaded: ${firstLine(error)}`,
        fix: 'correct the setup file (npx playwright test --project ' + project.name + ' shows the error in full)',
      });
    }
    if (tests.length === 0 && !this.problems.some((problem) => problem.field === `projects[${project.name}]`))
      this.problems.push({
        where: this.#configShown(),
        field: `projects[${project.name}]`,
        message: 'is a dependency but takes no test file',
        fix: 'check its testDir and testMatch (e.g. /.*\\.setup\\.ts/)',
      });
    this.#setupTests.set(project.name, tests);
  }

  #monitorDefaults(): MonitorDefaults {
    const given = this.namespace.monitor;
    if (given === undefined) return {};
    if (typeof given !== 'object' || given === null) {
      this.problems.push({ where: this.shown, field: 'monitor', message: 'is not an object', fix: "export const monitor = { schedule: '*/5 * * * *' }" });
      return {};
    }
    for (const key of Object.keys(given))
      if (!(MONITOR_KEYS as readonly string[]).includes(key)) {
        const meant = meantOption(key, MONITOR_KEYS);
        this.problems.push({
          where: this.shown,
          field: `monitor.${key}`,
          message: 'is not a default pulse knows',
          fix: meant ? `did you mean '${meant}'?` : `use only ${MONITOR_KEYS.join(', ')}`,
        });
      }
    return given;
  }

  #chosenProjects(): SpecProject[] {
    const names = this.load.projects;
    if (!names) return this.config.projects;
    for (const name of names)
      if (!this.config.projects.some((project) => project.name === name))
        this.problems.push({
          where: 'PULSE_PROJECTS',
          value: JSON.stringify(name),
          message: `no project of ${this.#configShown()} is named '${name}'`,
          fix: `name one of: ${this.config.projects.map((project) => project.name || "''").join(', ')}`,
        });
    return this.config.projects.filter((project) => names.includes(project.name));
  }

  #unscheduled(test: SpecTest, project: string, why: string): void {
    this.unscheduled.push({ where: this.#place(test.location), title: titlePath(test).join(' › '), project, why });
  }

  #refuse(location: string, message: string, fix: string): void {
    const where = this.#place(location);
    if (!this.problems.some((problem) => problem.where === where && problem.message === message)) this.problems.push({ where, message, fix });
  }

  /** file:line relative to the working folder. */
  #place(location: string): string {
    const match = /^(.*):(\d+):\d+$/.exec(location);
    return match ? `${path.relative(process.cwd(), match[1]!)}:${match[2]}` : location;
  }

  #configShown(): string {
    return this.config.file ? path.relative(process.cwd(), this.config.file) : 'playwright.config.ts';
  }

  #configRelative(given: string): string {
    return path.resolve(this.config.file ? path.dirname(this.config.file) : process.cwd(), given);
  }
}

function suitesIn(suite: Suite): Suite[] {
  return suite.entries.flatMap((entry) => (entry.kind === 'describe' ? [entry, ...suitesIn(entry)] : []));
}

/** The projects the chosen ones depend on, transitively, by name: their tests are sign-ins, not journeys. */
function setupProjects(all: SpecProject[], chosen: SpecProject[]): Map<string, SpecProject> {
  const setups = new Map<string, SpecProject>();
  const visit = (project: SpecProject) => {
    for (const name of project.dependencies) {
      const dependency = all.find((entry) => entry.name === name);
      if (dependency && !setups.has(name)) {
        setups.set(name, dependency);
        visit(dependency);
      }
    }
  };
  chosen.forEach(visit);
  return setups;
}

/** The project's `use` with every test.use() from the outermost describe in. */
function optionsOf(project: SpecProject, suites: Suite[]): Record<string, unknown> {
  return Object.assign({}, project.use, ...suites.flatMap((suite) => suite.uses.map((use) => use.values))) as Record<string, unknown>;
}

/** A modifier in force for these options: unconditional, true, or its function says so. */
function holds(modifier: Modifier, options: Record<string, unknown>): boolean {
  if (modifier.condition === undefined) return true;
  if (typeof modifier.condition === 'boolean') return modifier.condition;
  try {
    return Boolean(modifier.condition({ ...options, browserName: 'chromium' }));
  } catch {
    return false;
  }
}

/** The innermost annotation of this type: the test's over its describes'. */
function annotated(annotations: Annotation[], type: string): string | undefined {
  return [...annotations].reverse().find((annotation) => annotation.type === type)?.description;
}

/** The browser context options of a spec test: its `use`'s context keys; a kept session's state comes from pulse. */
function contextOptionsOf(options: Record<string, unknown>, kept: boolean, resolve: (file: string) => string): BrowserContextOptions {
  const picked: Record<string, unknown> = { ...(options.contextOptions as Record<string, unknown> | undefined) };
  for (const key of CONTEXT_KEYS) if (options[key] !== undefined) picked[key] = options[key];
  if (kept) delete picked.storageState;
  else if (typeof picked.storageState === 'string') picked.storageState = resolve(picked.storageState);
  return picked;
}

/** A journey's name from its file, title path and project: stable, label-safe. */
export function journeyName(file: string, titles: string[], project: string): string {
  const stem = path
    .basename(file)
    .replace(/\.(spec|test|setup)\.[cm]?[jt]sx?$/, '')
    .replace(/\.[cm]?[jt]sx?$/, '');
  // A describe named as its file ('shop' in shop.spec.ts) is said once.
  const said = titles[0] !== undefined && slug(titles[0]) === slug(stem) ? titles.slice(1) : titles;
  const parts = [stem, ...said, project].filter((part) => part.trim() !== '').map(spelled);
  return capped(parts.join('-') || 'test');
}

/** The longest name made from titles: it names the run's evidence folder, and a file name takes at most 255 bytes. */
const MAX_NAME = 100;

/** A part of a name: its slug, or a short hash of it when nothing of it can be spelled in a name (購入, 🛒), so two such titles stay two journeys. */
function spelled(part: string): string {
  return bareSlug(part) || hashOf(part).slice(0, 6);
}

/** A name past MAX_NAME cut, with a hash of the whole so names that start alike stay apart. */
function capped(name: string): string {
  if (name.length <= MAX_NAME) return name;
  return `${name.slice(0, MAX_NAME - 9).replace(/-+$/, '')}-${hashOf(name).slice(0, 8)}`;
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Letters no decomposition takes apart, as they are spelled in plain Latin letters. */
const SPELLED: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

export function slug(text: string): string {
  return bareSlug(text) || 'test';
}

function bareSlug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (letter) => SPELLED[letter] ?? letter)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function firstLine(error: unknown): string {
  return (
    describeError(error)
      .message.split('\n')
      .find((line) => line.trim()) ?? 'unknown error'
  );
}
