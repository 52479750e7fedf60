// A Playwright Test suite run by pulse against the same tests run by `playwright test` per run:
// every scheduled test and project of examples/shop-suite, in rounds. In a round, pulse's warm
// journey worker runs each test once (as the daemon runs them), and one `playwright test` process
// per test runs each once (as a cron job, or Checkly, starts a check); which side goes first
// alternates every round, so machine noise hits both alike.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CpuCgroup } from './proc.ts';
import { inheritedEnv, spawnMeasured } from './spawn.ts';
import { WorkerClient } from './worker-client.ts';
import type { SpecSuite } from './worker.ts';

/** The suite benched: the example suite against the demo shop, paths relative to the root. */
export const SPEC_SUITE: SpecSuite = { dir: 'examples/shop-suite/tests', config: 'examples/shop-suite/playwright.config.ts' };

/**
 * Where the suite's setup project saves the signed-in state under `playwright test`
 * (auth.setup.ts): a live session in clear, removed after the section unless it was there before.
 */
const SUITE_STATE_DIR = 'examples/shop-suite/playwright';

export type SpecSideId = 'pulse' | 'playwright-test';

export interface SpecRun {
  cpuS: number;
  wallMs: number;
  /** The run signed in: pulse's run that found no kept session, or a `playwright test` run whose setup project ran. */
  signedIn: boolean;
  /** The same CPU counted by a cpuacct cgroup, where the machine allows one: a check on cpuS. */
  cgroupCpuS?: number;
}

export interface SpecSide {
  /** Successful runs. */
  runs: SpecRun[];
  failures: number;
  failureExamples: string[];
}

/** One scheduled test under one project: a journey of pulse's, a `--project <p> --grep <title>` run of Playwright's. */
export interface SpecTestResult {
  /** pulse's journey name. */
  journey: string;
  /** The title path, describes then the test, joined with ' › '. */
  title: string;
  project: string;
  /** Starts signed in by the setup project. */
  session: boolean;
  pulse: SpecSide;
  playwrightTest: SpecSide;
}

export interface SpecsResult {
  suite: SpecSuite;
  rounds: number;
  tests: SpecTestResult[];
  /** Both sides were also counted by a CPU cgroup (cgroupCpuS). */
  cgroupUsed: boolean;
  /** `browser.version()` of the headless shell both sides ran. */
  browserVersion: string;
}

export interface SpecsOptions {
  root: string;
  tmpDir: string;
  shopUrl: string;
  headlessShell: string;
  rounds: number;
  /** A discarded `playwright test` run before the first round (module and page caches). */
  warmUp: boolean;
  cgroup: boolean;
  log: (line: string) => void;
}

/** The test's own title as a --grep pattern: its last title, every regular-expression character escaped. */
export function grepFor(title: string): string {
  const own = title.split(' › ').at(-1) ?? title;
  return own.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export async function runSpecs(options: SpecsOptions): Promise<SpecsResult> {
  const { log, root } = options;
  const stateDir = path.join(root, SUITE_STATE_DIR);
  const stateDirBefore = existsSync(stateDir);
  const dataDir = path.join(options.tmpDir, 'specs-data');
  const pulse = await WorkerClient.start({
    cmd: 'init',
    kind: 'pulse',
    root,
    shopUrl: options.shopUrl,
    dataDir,
    logFile: path.join(dataDir, 'heartbeats.jsonl'),
    cgroup: options.cgroup,
    journey: '',
    suite: SPEC_SUITE,
  });
  const spawnCgroup = options.cgroup ? CpuCgroup.create(`pulse-bench-specs-${process.pid}`) : undefined;
  let cgroupUsed = spawnCgroup !== undefined;
  const side = (): SpecSide => ({ runs: [], failures: 0, failureExamples: [] });
  const record = (into: SpecSide, run: SpecRun, ok: boolean, error: string | undefined) => {
    if (ok) into.runs.push(run);
    else {
      into.failures += 1;
      if (into.failureExamples.length < 3 && error) into.failureExamples.push(error.replace(/\s+/g, ' ').slice(0, 400));
    }
  };
  const playwrightTest = (test: SpecTestResult) =>
    spawnMeasured({
      command: path.join(root, 'node_modules/.bin/playwright'),
      args: [
        'test',
        '-c',
        path.dirname(SPEC_SUITE.config),
        '--project',
        test.project,
        '--grep',
        grepFor(test.title),
        '--reporter=line',
        '--workers=1',
        '--output',
        path.join(options.tmpDir, 'specs-playwright-test-output'),
      ],
      cwd: root,
      env: { ...inheritedEnv(), CI: '1', PULSE_PARAM_BASE_URL: options.shopUrl, PULSE_BROWSER_PATH: options.headlessShell },
      // The test alone, or after the setup project's one test: exactly one test matched.
      successPattern: new RegExp(`\\b${test.session ? 2 : 1} passed\\b`),
      cgroup: spawnCgroup,
    });

  try {
    const tests: SpecTestResult[] = (await pulse.journeys()).map((journey) => ({
      journey: journey.name,
      title: journey.title ?? journey.name,
      project: journey.project ?? '',
      session: journey.session,
      pulse: side(),
      playwrightTest: side(),
    }));
    log(`  ${tests.length} scheduled tests and projects of ${SPEC_SUITE.dir}`);
    // One journey worker and its browser for the whole section, as the daemon keeps them; warmed
    // by a discarded run of every test that needs no sign-in, so the sign-in is measured where it happens.
    const launched = await pulse.launch(options.headlessShell);
    cgroupUsed &&= launched.cgroup;
    for (const test of tests.filter((t) => !t.session)) {
      const warm = await pulse.run(test.journey);
      if (!warm.ok) log(`  pulse warm-up run of ${test.journey} failed: ${warm.error ?? ''}`);
    }
    const first = tests.find((t) => !t.session);
    if (options.warmUp && first) {
      const warm = await playwrightTest(first);
      if (!warm.ok) log(`  playwright test warm-up run failed: ${(warm.error ?? '').slice(0, 300)}`);
    }

    for (let round = 0; round < options.rounds; round += 1) {
      const order: SpecSideId[] = round % 2 === 0 ? ['pulse', 'playwright-test'] : ['playwright-test', 'pulse'];
      log(`  round ${round + 1}/${options.rounds}: ${order.join(', ')} x ${tests.length}`);
      for (const id of order) {
        if (id === 'pulse') {
          await pulse.restartWindow();
          for (const test of tests) {
            const s = await pulse.run(test.journey);
            const cgroupCpuS = s.browserCgroupCpuS === undefined ? {} : { cgroupCpuS: s.nodeCpuS + s.browserCgroupCpuS };
            record(test.pulse, { cpuS: s.nodeCpuS + s.browserCpuS, wallMs: s.wallMs, signedIn: s.signedIn ?? false, ...cgroupCpuS }, s.ok, s.error);
          }
        } else {
          for (const test of tests) {
            const s = await playwrightTest(test);
            const cgroupCpuS = s.cgroupCpuS === undefined ? {} : { cgroupCpuS: s.cgroupCpuS };
            record(test.playwrightTest, { cpuS: s.cpuS, wallMs: s.wallMs, signedIn: test.session, ...cgroupCpuS }, s.ok, s.error);
          }
        }
      }
    }
    return { suite: SPEC_SUITE, rounds: options.rounds, tests, cgroupUsed, browserVersion: launched.browserVersion };
  } finally {
    await pulse.stop();
    spawnCgroup?.destroy();
    if (!stateDirBefore) rmSync(stateDir, { recursive: true, force: true });
  }
}
