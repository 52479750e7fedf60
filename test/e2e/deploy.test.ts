/**
 * The container image and the Kubernetes manifests, checked without a Docker engine or a cluster
 * (`npm run test:image` builds and runs the image): the Dockerfile against the packages the test
 * suite installs (scripts/debian-packages.ts), .ci/run's npm ci flags, package.json and the tree
 * (every file it copies), the manifests against each other, against the image and against
 * pulse's own config parser, and the example ConfigMap journey with the real loader.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { TEST_PACKAGES } from '../../scripts/debian-packages.ts';
import { resolveConfig } from '../../src/config.ts';
import { loadInOwnWorker } from '../../src/runner/own-worker.ts';
import { formatProblem } from '../../src/problem.ts';
import { tempDir } from '../support/temp.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCKERFILE = path.join(ROOT, 'Dockerfile');
const DOCKERIGNORE = path.join(ROOT, '.dockerignore');
const CI_RUN = path.join(ROOT, '.ci', 'run');
const K8S_DIR = path.join(ROOT, 'deploy', 'kubernetes');

/** Installed in the image but not for the test suite, and why the tests do without them. */
const CONTAINER_ONLY_PACKAGES: Record<string, string> = {
  tini: 'init as PID 1 in the container: reaps the processes Chromium leaves and forwards SIGTERM; CI runs node under the test runner',
  'dumb-init': 'the other init that may take that place',
  'ca-certificates': 'the slim base image has no CA bundle for TLS to the probed sites; the CI machine already has it',
};
const INIT_BINARY = /(^|\/)(tini|dumb-init)$/;
/** Files the build stage produces, so they are not in the tree. */
const BUILT = ['dist'];
/** The official image of the current Node.js LTS on Debian. */
const NODE_DEBIAN_IMAGE = /^node:24(?:\.\d+){0,2}-(?:bookworm|trixie)(?:-slim)?(?:@sha256:[0-9a-f]{64})?$/;
/** What node-gyp needs to compile better-sqlite3: only in the stages that run npm ci. */
const BUILD_TOOLS = ['python3', 'make', 'g++'];

// ---- Dockerfile ------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  name: string | undefined;
  /** Image or earlier stage name after FROM, with global ARG defaults filled in. */
  base: string;
  /** What FROM says, e.g. ${BASE_IMAGE}. */
  from: string;
  instructions: Instruction[];
}

/** Instructions with `\` continuations joined and comment lines dropped, as Docker reads them. */
function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (line.trim().startsWith('#') || (pending === '' && line.trim() === '')) return;
    if (pending === '') startLine = i + 1;
    const continued = line.endsWith('\\');
    pending += (pending ? ' ' : '') + (continued ? line.slice(0, -1) : line).trim();
    if (continued) return;
    const match = /^(\w+)\s*([\s\S]*)$/.exec(pending);
    assert.ok(match, `Dockerfile:${startLine}: cannot read '${pending}'`);
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: startLine });
    pending = '';
  });
  assert.equal(pending, '', 'Dockerfile ends inside a \\ continuation');
  return instructions;
}

function splitStages(instructions: Instruction[]): { globalArgs: Instruction[]; stages: Stage[] } {
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const parts = words(instruction.args).filter((w) => !w.startsWith('--'));
      const as = parts.findIndex((w) => w.toUpperCase() === 'AS');
      const defaults = Object.fromEntries(globalArgs.filter((i) => i.keyword === 'ARG').flatMap((i) => Object.entries(assignments(i))));
      const base = parts[0]!.replace(/\$\{?(\w+)\}?/g, (_, name: string) => defaults[name] ?? '');
      stages.push({ base, from: parts[0]!, name: as >= 0 ? parts[as + 1] : undefined, instructions: [] });
    } else if (stages.length === 0) {
      globalArgs.push(instruction);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** Shell-like words: split at unquoted whitespace, quotes removed (KEY="a b" is one word). */
function words(text: string): string[] {
  const result: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i]!;
      else word += c;
    } else if (/\s/.test(c)) {
      if (word !== undefined) result.push(word);
      word = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) result.push(word);
  return result;
}

/** KEY=value pairs of ENV or ARG (ARG without a default yields an empty value). */
function assignments(instruction: Instruction): Record<string, string> {
  const parts = words(instruction.args);
  if (instruction.keyword === 'ENV' && parts.length > 1 && !parts[0]!.includes('=')) return { [parts[0]!]: parts.slice(1).join(' ') };
  return Object.fromEntries(parts.map((p) => (p.includes('=') ? [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] : [p, ''])));
}

class Dockerfile {
  readonly globalArgs: Instruction[];
  readonly stages: Stage[];

  constructor(text: string) {
    ({ globalArgs: this.globalArgs, stages: this.stages } = splitStages(parseInstructions(text)));
  }

  get final(): Stage {
    return this.stages.at(-1)!;
  }

  stage(name: string): Stage | undefined {
    return this.stages.find((s) => s.name === name);
  }

  /** The stage and the stages it is built FROM, base first. */
  lineage(stage: Stage): Stage[] {
    const parent = this.stage(stage.base);
    return parent ? [...this.lineage(parent), stage] : [stage];
  }

  /** The image a stage ultimately starts from. */
  baseImage(stage: Stage): string {
    return this.lineage(stage)[0]!.base;
  }

  /** ARG defaults and ENV values in force at the end of a stage (inherited from its FROM stages). */
  variables(stage: Stage): Record<string, string> {
    const vars: Record<string, string> = {};
    for (const instruction of [...this.globalArgs, ...this.lineage(stage).flatMap((s) => s.instructions)]) {
      if (instruction.keyword === 'ARG' || instruction.keyword === 'ENV') Object.assign(vars, assignments(instruction));
    }
    return vars;
  }

  env(stage: Stage): Record<string, string> {
    return Object.assign({}, ...this.lineage(stage).flatMap((s) => s.instructions.filter((i) => i.keyword === 'ENV').map(assignments))) as Record<
      string,
      string
    >;
  }

  /** Each shell command of each RUN (split at &&, ||, ; and |), with ARG/ENV references expanded. */
  commands(stage: Stage): { words: string[]; instruction: Instruction }[] {
    const vars = this.variables(stage);
    return stage.instructions
      .filter((i) => i.keyword === 'RUN')
      .flatMap((instruction) =>
        instruction.args
          .replace(/\$\{?(\w+)\}?/g, (_, name: string) => vars[name] ?? '')
          .split(/&&|\|\||;|\|/)
          .map((command) => ({ words: words(command), instruction })),
      );
  }

  /** Packages named on `apt-get install` lines, across all stages. */
  aptPackages(stages = this.stages): { packages: string[]; flags: string[] } {
    const packages: string[] = [];
    const flags: string[] = [];
    for (const stage of stages) {
      for (const { words: w } of this.commands(stage)) {
        const at = w.findIndex((word, i) => (word === 'apt-get' || word === 'apt') && w[i + 1] === 'install');
        if (at < 0) continue;
        for (const word of w.slice(at + 2)) (word.startsWith('-') ? flags : packages).push(word);
      }
    }
    return { packages, flags };
  }

  /** `npm ci` invocations: the stage, the flags, and the variables set inline before it. */
  npmCi(): { stage: Stage; flags: string[]; inlineEnv: Record<string, string>; instruction: Instruction }[] {
    return this.stages.flatMap((stage) =>
      this.commands(stage).flatMap(({ words: w, instruction }) => {
        const at = w.findIndex((word, i) => word === 'npm' && w[i + 1] === 'ci');
        if (at < 0) return [];
        const inlineEnv = Object.fromEntries(
          w
            .slice(0, at)
            .filter((x) => x.includes('='))
            .map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]),
        );
        return [{ stage, flags: w.slice(at + 2), inlineEnv, instruction }];
      }),
    );
  }

  /** COPY/ADD sources and destination; `from` names the stage or image copied from. */
  copies(stage: Stage): { from: string | undefined; sources: string[]; dest: string; instruction: Instruction }[] {
    return stage.instructions
      .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
      .map((instruction) => {
        const parts = instruction.args.startsWith('[') ? (JSON.parse(instruction.args) as string[]) : words(instruction.args);
        const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
        const paths = parts.filter((p) => !p.startsWith('--'));
        return { from, sources: paths.slice(0, -1), dest: paths.at(-1)!, instruction };
      });
  }

  last(stage: Stage, keyword: string): Instruction | undefined {
    return this.lineage(stage)
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === keyword)
      .at(-1);
  }
}

/** What CI tests with: the suite's Debian packages (installed by its pretest) and .ci/run's npm ci flags. */
function ciRun(): { aptPackages: string[]; aptFlags: string[]; npmCiFlags: string[] } {
  const text = readFileSync(CI_RUN, 'utf8');
  const npm = /^\s*npm ci\b([^\n&;|]*)/m.exec(text);
  assert.ok(npm, '.ci/run has no npm ci line');
  return {
    aptPackages: TEST_PACKAGES.map((p) => p.name),
    aptFlags: ['--no-install-recommends'],
    npmCiFlags: words(npm[1]!),
  };
}

/** Relative imports of a TypeScript file and theirs, as paths relative to the root. */
function localImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    localImports(path.relative(ROOT, path.resolve(ROOT, path.dirname(file), match[1]!)), seen);
  }
  return seen;
}

/** Whether a COPY source (a file, a folder, or the whole context) brings in this file. */
function covers(source: string, file: string): boolean {
  const s = path.normalize(source).replace(/\/$/, '');
  return s === '.' || file === s || file.startsWith(`${s}/`);
}

/** .dockerignore patterns as regular expressions over context-relative paths. */
function ignorePatterns(): { pattern: string; regex: RegExp }[] {
  return readFileSync(DOCKERIGNORE, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
    .map((pattern) => {
      const body = path
        .normalize(pattern)
        .replace(/\/$/, '')
        .split('**/')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('(?:.*/)?');
      return { pattern, regex: new RegExp(`^${body}(?:/.*)?$`) };
    });
}

/** Conditions of `node --conditions` / `-C` in NODE_OPTIONS. */
function nodeConditions(nodeOptions: string | undefined): string[] {
  return [...(nodeOptions ?? '').matchAll(/(?:--conditions[= ]|-C\s*)(\S+)/g)].map((m) => m[1]!);
}

/** The target Node picks from a package.json "exports" entry for the given conditions. */
function exportTarget(entry: unknown, conditions: ReadonlySet<string>): string | undefined {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) return entry.map((e) => exportTarget(e, conditions)).find((t) => t !== undefined);
  if (entry && typeof entry === 'object') {
    for (const [key, value] of Object.entries(entry)) {
      if (!conditions.has(key)) continue;
      const target = exportTarget(value, conditions);
      if (target !== undefined) return target;
    }
  }
  return undefined;
}

describe('Dockerfile', () => {
  const dockerfile = new Dockerfile(readFileSync(DOCKERFILE, 'utf8'));
  const ci = ciRun();
  const final = dockerfile.final;

  test('every stage starts from Node 24 on Debian, through one BASE_IMAGE argument', () => {
    assert.ok(dockerfile.stages.length >= 2, 'a build stage and a runtime stage');
    const arg = dockerfile.globalArgs.find((i) => i.keyword === 'ARG' && 'BASE_IMAGE' in assignments(i));
    assert.ok(arg, 'ARG BASE_IMAGE=<image> before the first FROM, so a base made from Debian packages can stand in');
    assert.match(assignments(arg).BASE_IMAGE!, NODE_DEBIAN_IMAGE);
    for (const stage of dockerfile.stages) {
      if (dockerfile.stage(stage.base)) continue;
      assert.match(stage.from, /^\$\{?BASE_IMAGE\}?$/, `FROM ${stage.from}: FROM \${BASE_IMAGE}`);
      assert.match(stage.base, NODE_DEBIAN_IMAGE, `FROM ${stage.base}`);
    }
    assert.match(dockerfile.baseImage(final), NODE_DEBIAN_IMAGE);
    assert.equal(dockerfile.lineage(final).length, 1, 'the runtime starts again from BASE_IMAGE, without the build stages');
  });

  test('the runtime installs only packages the test suite installs too, plus the container-only ones', () => {
    const { packages, flags } = dockerfile.aptPackages([final]);
    assert.ok(packages.length > 0, 'the Dockerfile installs its packages with apt-get install');
    const missing = packages.filter((p) => !ci.aptPackages.includes(p) && !(p in CONTAINER_ONLY_PACKAGES));
    assert.deepEqual(missing, [], `add to TEST_PACKAGES in scripts/debian-packages.ts, so the tests run what the image ships: ${missing.join(' ')}`);
    for (const needed of ['chromium-headless-shell', 'fonts-liberation', 'fonts-noto-color-emoji', 'ca-certificates']) {
      assert.ok(packages.includes(needed), `the image installs ${needed}`);
    }
    assert.ok(
      packages.some((p) => p === 'tini' || p === 'dumb-init'),
      'the image installs an init',
    );
    for (const flag of ci.aptFlags) assert.ok(flags.includes(flag), `apt-get install ${flag}, as the tests' packages, so both see the same dependencies`);
    assert.deepEqual(
      packages.filter((p) => BUILD_TOOLS.includes(p)),
      [],
      'no compiler in the runtime',
    );
  });

  test("better-sqlite3 is compiled in the build stages, from the registry alone, against the image's Node.js", () => {
    const buildStages = dockerfile.stages.filter((s) => s !== final);
    const tools = dockerfile.aptPackages(buildStages).packages;
    for (const tool of BUILD_TOOLS) assert.ok(tools.includes(tool), `a build stage installs ${tool} for node-gyp`);
    for (const run of dockerfile.npmCi()) {
      const env = { ...dockerfile.env(run.stage), ...run.inlineEnv };
      assert.equal(
        env.npm_config_build_from_source,
        'true',
        `Dockerfile:${run.instruction.line}: npm_config_build_from_source=true: no prebuilt binary fetched from outside the registry`,
      );
      assert.equal(
        env.npm_config_nodedir,
        '/usr/local',
        `Dockerfile:${run.instruction.line}: npm_config_nodedir=/usr/local: the headers of the Node.js in the image, none downloaded`,
      );
      const tools = dockerfile.aptPackages(dockerfile.lineage(run.stage)).packages;
      assert.ok(
        BUILD_TOOLS.every((t) => tools.includes(t)),
        `Dockerfile:${run.instruction.line}: its stage has ${BUILD_TOOLS.join(' ')}`,
      );
      assert.match(
        run.instruction.args,
        /--mount=type=secret,id=npmrc,target=\/root\/\.npmrc/,
        `Dockerfile:${run.instruction.line}: npm settings come in as a build secret`,
      );
    }
    const copied = dockerfile.stages.flatMap((s) => dockerfile.copies(s)).flatMap((c) => c.sources);
    assert.ok(!copied.some((source) => /(^|\/)\.npmrc$/.test(source)), 'no .npmrc is copied into a layer');
  });

  test('npm ci uses the flags of .ci/run; the runtime gets production dependencies only', () => {
    const runs = dockerfile.npmCi();
    assert.ok(runs.length >= 2, 'npm ci for the build and for the production dependencies');
    for (const run of runs) {
      const flags = run.flags.filter((f) => f !== '--omit=dev');
      assert.deepEqual(
        [...flags].sort(),
        [...ci.npmCiFlags].sort(),
        `Dockerfile:${run.instruction.line}: npm ci ${run.flags.join(' ')} (.ci/run: npm ci ${ci.npmCiFlags.join(' ')})`,
      );
    }
    const build = dockerfile.stages.find((s) => dockerfile.commands(s).some((c) => c.words.join(' ').includes('npm run build')));
    assert.ok(build, 'a stage runs npm run build');
    const buildCi = runs.filter((r) => dockerfile.lineage(build).includes(r.stage));
    assert.ok(buildCi.length > 0 && buildCi.every((r) => !r.flags.includes('--omit=dev')), 'the build stage installs dev dependencies (TypeScript)');

    const production = runs.filter((r) => r.flags.includes('--omit=dev'));
    assert.ok(production.length > 0, 'npm ci --omit=dev for the runtime');
    const finalSources = new Set([final.name, ...dockerfile.copies(final).map((c) => c.from)]);
    assert.ok(
      production.some((r) => finalSources.has(r.stage.name) || r.stage === final),
      'the runtime stage takes its node_modules from the npm ci --omit=dev stage',
    );
    const nodeModules = dockerfile.copies(final).filter((c) => c.sources.some((s) => s.includes('node_modules')));
    assert.ok(
      nodeModules.every((c) => production.some((r) => r.stage.name === c.from)),
      'node_modules come only from the production install',
    );
  });

  test("package.json: engines name the image's Node.js and not the end-of-life 20; allowScripts names every install script", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string }; allowScripts?: Record<string, boolean> };
    const ranges = (pkg.engines?.node ?? '').split('||').map((r) => r.trim());
    const imageMajor = /^node:(\d+)/.exec(dockerfile.baseImage(final))![1]!;
    assert.ok(ranges.includes(`^${imageMajor}.0.0`), `engines.node '${pkg.engines?.node}' includes ^${imageMajor}.0.0, the image's`);
    assert.ok(!ranges.some((r) => /^(\^|>=?|~)?20\b/.test(r)), `engines.node '${pkg.engines?.node}' leaves out Node.js 20 (end of life)`);
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([key, entry]) => key !== '' && entry.hasInstallScript)
      .map(([key]) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length))
      .sort();
    assert.deepEqual(
      Object.keys(pkg.allowScripts ?? {}).sort(),
      withScripts,
      'every dependency with an install script is allowed (true) or denied (false) by name',
    );
    assert.equal(pkg.allowScripts?.['better-sqlite3'], true, 'better-sqlite3 compiles its native addon at install');
  });

  test('npm ci can run its postinstall without fetching a browser', () => {
    const postinstall = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts?.postinstall;
    const script = postinstall && /(\S+\.ts)\b/.exec(postinstall)?.[1];
    const needed = script ? [...localImports(path.normalize(script))] : [];
    assert.ok(needed.length > 0, `the files the postinstall (${postinstall}) needs`);
    const runs = dockerfile.npmCi();
    assert.ok(runs.length > 0, 'the Dockerfile runs npm ci');
    for (const run of runs) {
      const env = { ...dockerfile.env(run.stage), ...run.inlineEnv };
      assert.equal(env.PULSE_SKIP_BROWSER_INSTALL, '1', `Dockerfile:${run.instruction.line}: PULSE_SKIP_BROWSER_INSTALL=1 (apt installs Chromium)`);
      const copiedBefore = dockerfile
        .lineage(run.stage)
        .flatMap((s) => dockerfile.copies(s))
        .filter((c) => !c.from && c.instruction.line < run.instruction.line)
        .flatMap((c) => c.sources);
      for (const file of needed) {
        assert.ok(
          copiedBefore.some((source) => covers(source, file)),
          `Dockerfile:${run.instruction.line}: the postinstall imports ${file}; COPY it before npm ci`,
        );
      }
    }
  });

  test('every file it copies from the build context is in the tree and not in .dockerignore', () => {
    const ignored = ignorePatterns();
    for (const stage of dockerfile.stages) {
      for (const copy of dockerfile.copies(stage)) {
        if (copy.from) {
          assert.ok(dockerfile.stage(copy.from), `Dockerfile:${copy.instruction.line}: --from=${copy.from} names a stage`);
          continue;
        }
        for (const source of copy.sources) {
          const relative = path.normalize(source).replace(/\/$/, '');
          if (BUILT.some((b) => covers(b, relative))) continue;
          assert.ok(existsSync(path.join(ROOT, relative)), `Dockerfile:${copy.instruction.line}: COPY ${source}: not in the repository`);
          if (relative === '.') continue;
          const hit = ignored.find((p) => p.regex.test(relative));
          assert.equal(hit, undefined, `Dockerfile:${copy.instruction.line}: COPY ${source} is excluded by .dockerignore '${hit?.pattern}'`);
        }
      }
    }
    const runtimeFiles = dockerfile.copies(final).flatMap((c) => c.sources.map((s) => path.normalize(s).replace(/\/$/, '')));
    for (const file of ['bin', 'dist', 'package.json', 'package-lock.json', 'playwright.config.ts', 'journeys']) {
      assert.ok(
        runtimeFiles.some((s) => s.endsWith(file)),
        `the runtime stage copies ${file}`,
      );
    }
    assert.ok(!runtimeFiles.some((s) => s === 'src' || s === '.'), 'the runtime ships dist/, not src/');
  });

  test('.dockerignore keeps local and generated files out of the build context', () => {
    const patterns = ignorePatterns().map((p) => p.pattern);
    for (const expected of ['node_modules', '.pulse-data', 'dist', 'test-results', 'playwright-report', '.git', 'bench/.cache', '*.log']) {
      assert.ok(patterns.includes(expected), `.dockerignore lists ${expected}`);
    }
  });

  test('runs as a non-root user, with an init, a health check and a graceful stop', () => {
    const user = dockerfile.last(final, 'USER');
    assert.ok(user, 'USER is set in the runtime stage');
    const [uid] = user.args.split(':');
    assert.ok(uid && uid !== 'root' && uid !== '0', `USER ${user.args} is not root`);
    assert.match(uid, /^\d+$/, 'numeric USER, so Kubernetes runAsNonRoot can verify it');

    assert.deepEqual(dockerfile.last(final, 'EXPOSE')?.args.split(/\s+/), ['9477']);
    assert.equal(dockerfile.last(final, 'STOPSIGNAL')?.args, 'SIGTERM');

    const healthcheck = dockerfile.last(final, 'HEALTHCHECK');
    assert.ok(healthcheck, 'HEALTHCHECK');
    assert.match(healthcheck.args, /\bCMD\b/);
    assert.match(healthcheck.args, /\/healthz\b/);
    assert.match(healthcheck.args, /\bnode\b/, 'the health check uses node (a slim image has no curl)');
    assert.doesNotMatch(healthcheck.args, /\b(curl|wget)\b/);

    const entrypoint = JSON.parse(dockerfile.last(final, 'ENTRYPOINT')?.args ?? '[]') as string[];
    assert.match(entrypoint[0] ?? '', INIT_BINARY, `ENTRYPOINT starts with an init: ${entrypoint.join(' ')}`);
    const init = INIT_BINARY.exec(entrypoint[0]!)![2]!;
    assert.ok(dockerfile.aptPackages([final]).packages.includes(init), `${init} is installed`);
    assert.ok(entrypoint.includes('node') && entrypoint.some((a) => a.endsWith('bin/pulse.js')), 'the init starts node bin/pulse.js');
    assert.deepEqual(JSON.parse(dockerfile.last(final, 'CMD')?.args ?? '[]'), ['run']);
  });

  test('the image environment is a valid pulse config for a container', () => {
    const env = dockerfile.env(final);
    assert.equal(env.PULSE_HOST, '0.0.0.0');
    assert.equal(env.PULSE_LOG_FORMAT, 'json');
    assert.equal(env.PULSE_DATA_DIR, '/data');
    assert.ok(
      dockerfile.commands(final).some((c) => c.words.includes('chown') && c.words.includes('/data')),
      'the pulse user owns /data',
    );
    const result = resolveConfig({ env: { ...env, PULSE_LOCATION: 'eu-west-1' }, cwd: '/app' });
    assert.deepEqual(result.problems, []);
    assert.equal(String(result.config?.port), dockerfile.last(final, 'EXPOSE')?.args);
    assert.equal(result.config?.dataDir, '/data');
  });

  test("package.json resolves 'pulse' to dist/ in the image, which has no src/", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; exports?: unknown };
    assert.ok(pkg.scripts?.build, 'npm run build exists');
    const conditions = new Set([...nodeConditions(dockerfile.env(final).NODE_OPTIONS), 'node', 'import', 'default']);
    const entries: [string, unknown][] =
      typeof pkg.exports === 'object' && pkg.exports !== null && Object.keys(pkg.exports).every((k) => k.startsWith('.'))
        ? Object.entries(pkg.exports)
        : [['.', pkg.exports]];
    for (const [subpath, entry] of entries) {
      assert.match(exportTarget(entry, conditions) ?? '(none)', /^\.\/dist\/.+\.js$/, `exports['${subpath}'] in the image`);
    }
  });
});

// ---- Kubernetes manifests --------------------------------------------------------------------

type Labels = Record<string, string>;
interface Metadata {
  name?: string;
  labels?: Labels;
  annotations?: Labels;
}
interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: Metadata;
  file: string;
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  fsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
}
interface Probe {
  httpGet?: { path?: string; port?: string | number };
}
interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: SecurityContext;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  configMap?: { name: string };
}
interface StatefulSet extends Manifest {
  spec: {
    replicas?: number;
    serviceName?: string;
    podManagementPolicy?: string;
    selector?: { matchLabels?: Labels };
    template: {
      metadata?: Metadata;
      spec: { terminationGracePeriodSeconds?: number; securityContext?: SecurityContext; containers: Container[]; volumes?: Volume[] };
    };
    volumeClaimTemplates?: { metadata?: Metadata }[];
  };
}
interface Service extends Manifest {
  spec: { clusterIP?: string; selector?: Labels; ports?: { name?: string; port: number; targetPort?: string | number }[] };
}
interface ServiceMonitor extends Manifest {
  spec: { selector?: { matchLabels?: Labels }; endpoints?: { port?: string; path?: string; relabelings?: { targetLabel?: string }[] }[] };
}
interface PodDisruptionBudget extends Manifest {
  spec: { maxUnavailable?: number | string; selector?: { matchLabels?: Labels } };
}
interface KeyValues extends Manifest {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

function yamlFiles(): string[] {
  return readdirSync(K8S_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

function loadManifests(): Manifest[] {
  return yamlFiles().flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(K8S_DIR, file), 'utf8')).flatMap((doc) => {
      assert.deepEqual(
        doc.errors.map((e) => e.message),
        [],
        `${file} parses`,
      );
      const value = doc.toJS() as Omit<Manifest, 'file'> | null;
      return value === null ? [] : [{ ...value, file }];
    }),
  );
}

function ofKind<T extends Manifest>(manifests: Manifest[], kind: string): T[] {
  return manifests.filter((m) => m.kind === kind) as T[];
}

/** Whether a matchLabels selector selects these labels. */
function selects(selector: Labels | undefined, labels: Labels | undefined): boolean {
  const wanted = Object.entries(selector ?? {});
  return wanted.length > 0 && wanted.every(([k, v]) => labels?.[k] === v);
}

/** CPU in cores or memory in bytes from a Kubernetes quantity. */
function quantity(value: string | number | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|Ki|Mi|Gi)?$/.exec(String(value ?? ''));
  assert.ok(match, `quantity '${value}'`);
  const factor = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * factor;
}

function envOf(container: Container): Record<string, string> {
  return Object.fromEntries((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
}

function pulseContainer(set: StatefulSet): Container {
  const containers = set.spec.template.spec.containers;
  const container = containers.find((c) => c.name === 'pulse') ?? containers[0];
  assert.ok(container, `${set.metadata?.name}: a pulse container`);
  return container;
}

/** Writes files the way the kubelet lays out a ConfigMap volume: a timestamped folder, ..data, and symlinks. */
function mountLikeConfigMap(dir: string, files: Record<string, string>): void {
  const stamp = '..2025_01_01_00_00_00.000000000';
  mkdirSync(path.join(dir, stamp), { recursive: true });
  symlinkSync(stamp, path.join(dir, '..data'));
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(path.join(dir, stamp, name), text);
    symlinkSync(path.join('..data', name), path.join(dir, name));
  }
}

describe('Kubernetes manifests', () => {
  const manifests = loadManifests();
  const sets = ofKind<StatefulSet>(manifests, 'StatefulSet');
  const services = ofKind<Service>(manifests, 'Service');
  const configMaps = ofKind<KeyValues>(manifests, 'ConfigMap');
  const secrets = ofKind<KeyValues>(manifests, 'Secret');
  const dockerfile = new Dockerfile(readFileSync(DOCKERFILE, 'utf8'));
  const imageUid = Number(dockerfile.last(dockerfile.final, 'USER')?.args.split(':')[0]);
  const imagePort = Number(dockerfile.last(dockerfile.final, 'EXPOSE')?.args);

  test('every document is a Kubernetes object, and kustomization.yaml lists every file', () => {
    for (const m of manifests) {
      assert.ok(m.apiVersion && m.kind, `${m.file}: apiVersion and kind`);
      if (m.kind !== 'Kustomization') assert.ok(m.metadata?.name, `${m.file}: metadata.name`);
    }
    const kustomization = ofKind<Manifest & { resources?: string[] }>(manifests, 'Kustomization');
    assert.equal(kustomization.length, 1);
    const listed = [...(kustomization[0]!.resources ?? [])].sort();
    assert.deepEqual(
      listed,
      yamlFiles().filter((f) => f !== kustomization[0]!.file),
    );
  });

  test('one StatefulSet per location, each a valid pulse config on every shard', () => {
    assert.ok(sets.length >= 2, 'two locations at least');
    const locations = sets.map((set) => envOf(pulseContainer(set)).PULSE_LOCATION);
    assert.equal(new Set(locations).size, sets.length, `PULSE_LOCATION differs across StatefulSets: ${locations.join(', ')}`);
    for (const set of sets) {
      const name = set.metadata!.name!;
      const container = pulseContainer(set);
      const env = envOf(container);
      const replicas = set.spec.replicas ?? 1;
      assert.equal(set.spec.podManagementPolicy, 'Parallel', `${name}: shards start together`);
      assert.equal(env.PULSE_SHARD_COUNT, String(replicas), `${name}: PULSE_SHARD_COUNT equals replicas`);
      assert.equal(env.PULSE_SHARD, undefined, `${name}: no PULSE_SHARD, the pod ordinal picks the shard`);
      assert.equal(env.PULSE_HOST, '0.0.0.0', `${name}: PULSE_HOST`);
      assert.equal(set.spec.template.metadata?.labels?.location, env.PULSE_LOCATION, `${name}: pod label location (the ServiceMonitor relabels it)`);

      const params = Object.assign(
        {},
        ...(container.envFrom ?? []).map((f) => secrets.find((s) => s.metadata?.name === f.secretRef?.name)?.stringData ?? {}),
      ) as Record<string, string>;
      const shards = [];
      for (let ordinal = 0; ordinal < replicas; ordinal += 1) {
        const podEnv = { ...dockerfile.env(dockerfile.final), ...params, ...env, HOSTNAME: `${name}-${ordinal}` };
        const result = resolveConfig({ env: podEnv, cwd: '/app' });
        assert.deepEqual(result.problems, [], `${name}-${ordinal}`);
        const config = result.config!;
        shards.push(config.shard);
        const grace = set.spec.template.spec.terminationGracePeriodSeconds ?? 30;
        assert.ok(
          grace * 1000 > config.gracePeriodMs,
          `${name}: terminationGracePeriodSeconds (${grace}) exceeds PULSE_GRACE_PERIOD (${config.gracePeriodMs / 1000}s)`,
        );
        const mounts = (container.volumeMounts ?? []).map((m) => m.mountPath);
        assert.ok(mounts.includes(config.dataDir), `${name}: ${config.dataDir} (PULSE_DATA_DIR) is a volume`);
        assert.ok(mounts.includes(config.journeysDir), `${name}: ${config.journeysDir} (PULSE_JOURNEYS) is mounted`);
      }
      assert.deepEqual(
        shards,
        Array.from({ length: replicas }, (_, i) => ({ index: i + 1, total: replicas })),
        `${name}: pod k runs shard k+1/${replicas}`,
      );
    }
  });

  test('pods are selected by their own StatefulSet only', () => {
    for (const set of sets) {
      assert.ok(selects(set.spec.selector?.matchLabels, set.spec.template.metadata?.labels), `${set.metadata?.name}: selector matches its pods`);
      for (const other of sets.filter((s) => s !== set)) {
        assert.ok(
          !selects(set.spec.selector?.matchLabels, other.spec.template.metadata?.labels),
          `${set.metadata?.name} does not select ${other.metadata?.name}'s pods`,
        );
      }
    }
  });

  test('probes, resources, /dev/shm and a locked-down security context', () => {
    for (const set of sets) {
      const name = set.metadata!.name!;
      const pod = set.spec.template.spec;
      const container = pulseContainer(set);
      const http = container.ports?.find((p) => p.name === 'http');
      assert.equal(http?.containerPort, imagePort, `${name}: port http is the image's EXPOSE`);
      for (const [probe, expected] of [
        ['livenessProbe', '/healthz'],
        ['readinessProbe', '/readyz'],
        ['startupProbe', '/healthz'],
      ] as const) {
        assert.equal(container[probe]?.httpGet?.path, expected, `${name}: ${probe}`);
        assert.ok([http?.name, http?.containerPort].includes(container[probe]?.httpGet?.port), `${name}: ${probe} on port http`);
      }

      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) assert.ok(container.resources?.[kind]?.[resource] !== undefined, `${name}: resources.${kind}.${resource}`);
      }
      for (const resource of ['cpu', 'memory']) {
        assert.ok(
          quantity(container.resources!.requests![resource]) <= quantity(container.resources!.limits![resource]),
          `${name}: ${resource} request within its limit`,
        );
      }

      const volume = (mountPath: string) => pod.volumes?.find((v) => v.name === container.volumeMounts?.find((m) => m.mountPath === mountPath)?.name);
      assert.equal(volume('/dev/shm')?.emptyDir?.medium, 'Memory', `${name}: /dev/shm is a memory emptyDir`);
      assert.ok(volume('/dev/shm')?.emptyDir?.sizeLimit, `${name}: /dev/shm has a sizeLimit (it counts against the memory limit)`);

      const security = { ...pod.securityContext, ...container.securityContext };
      assert.equal(security.runAsNonRoot, true, `${name}: runAsNonRoot`);
      assert.equal(security.runAsUser, imageUid, `${name}: runAsUser is the image's USER`);
      assert.equal(pod.securityContext?.fsGroup, imageUid, `${name}: fsGroup makes the data volume the pulse user's`);
      assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${name}: allowPrivilegeEscalation`);
      if (container.securityContext?.readOnlyRootFilesystem) assert.ok(volume('/tmp')?.emptyDir, `${name}: a read-only root needs /tmp as an emptyDir`);
    }
  });

  test('the headless Service selects every pulse pod on port http, and is the job the alerts select', () => {
    assert.equal(services.length, 1);
    const service = services[0]!;
    assert.equal(service.spec.clusterIP, 'None', 'headless');
    const port = service.spec.ports?.find((p) => p.name === 'http');
    assert.equal(port?.port, imagePort);
    for (const set of sets) {
      assert.equal(set.spec.serviceName, service.metadata?.name, `${set.metadata?.name}: serviceName`);
      assert.ok(selects(service.spec.selector, set.spec.template.metadata?.labels), `the Service selects ${set.metadata?.name}'s pods`);
    }
    assert.ok([undefined, 'http', imagePort].includes(port?.targetPort), `targetPort ${port?.targetPort} is the pods' port http`);
    assert.equal(service.metadata?.annotations?.['prometheus.io/scrape'], 'true');
    const alerts = path.join(ROOT, 'deploy', 'prometheus', 'alerts.yml');
    const job = existsSync(alerts) ? /up\{job="([^"]+)"\}/.exec(readFileSync(alerts, 'utf8'))?.[1] : undefined;
    if (job) assert.equal(service.metadata?.name, job, 'a ServiceMonitor names the job after the Service');
  });

  test('the ServiceMonitor scrapes /metrics on port http and keeps location', () => {
    const monitors = ofKind<ServiceMonitor>(manifests, 'ServiceMonitor');
    assert.equal(monitors.length, 1);
    const monitor = monitors[0]!;
    assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
    assert.ok(selects(monitor.spec.selector?.matchLabels, services[0]?.metadata?.labels), 'it selects the Service by its labels');
    const endpoint = monitor.spec.endpoints?.find((e) => e.port === 'http');
    assert.equal(endpoint?.path, '/metrics');
    assert.ok(
      endpoint?.relabelings?.some((r) => r.targetLabel === 'location'),
      'a relabeling sets location',
    );
  });

  test('one PodDisruptionBudget per location, at most one shard down', () => {
    const budgets = ofKind<PodDisruptionBudget>(manifests, 'PodDisruptionBudget');
    for (const set of sets) {
      const mine = budgets.filter((b) => selects(b.spec.selector?.matchLabels, set.spec.template.metadata?.labels));
      assert.equal(mine.length, 1, `${set.metadata?.name}: one PDB`);
      assert.equal(mine[0]!.spec.maxUnavailable, 1);
      assert.ok(
        sets.filter((s) => selects(mine[0]!.spec.selector?.matchLabels, s.spec.template.metadata?.labels)).length === 1,
        `${mine[0]!.metadata?.name} covers one location`,
      );
    }
  });

  test('the Secret and ConfigMap the pods use are here', () => {
    for (const set of sets) {
      const container = pulseContainer(set);
      for (const from of container.envFrom ?? []) {
        if (from.secretRef)
          assert.ok(
            secrets.some((s) => s.metadata?.name === from.secretRef!.name),
            `Secret ${from.secretRef.name}`,
          );
      }
      for (const volume of set.spec.template.spec.volumes ?? []) {
        if (volume.configMap)
          assert.ok(
            configMaps.some((c) => c.metadata?.name === volume.configMap!.name),
            `ConfigMap ${volume.configMap.name}`,
          );
      }
    }
    for (const secret of secrets) {
      for (const key of Object.keys(secret.stringData ?? {})) assert.match(key, /^PULSE_(PARAM_[A-Z0-9_]+|SECRET_PARAMS)$/, `${secret.file}: ${key}`);
    }
  });

  test('the ConfigMap journeys load from a ConfigMap-shaped mount, each once', async (t) => {
    const journeys = configMaps.find((c) => Object.keys(c.data ?? {}).some((k) => k.endsWith('.journey.ts')));
    assert.ok(journeys, 'a ConfigMap with *.journey.ts keys');
    const files = journeys.data!;
    const dir = tempDir(t, 'pulse-deploy-');
    // In the image 'pulse' resolves to /app/package.json; here, to this checkout.
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(ROOT, path.join(dir, 'node_modules', 'pulse'), 'dir');
    mountLikeConfigMap(path.join(dir, 'journeys'), files);

    const registry = await loadInOwnWorker({ dir: 'journeys', cwd: dir });
    assert.deepEqual(registry.problems.map(formatProblem), []);
    assert.equal(
      registry.journeys.length,
      Object.keys(files).filter((k) => k.endsWith('.journey.ts')).length,
      'each journey once, not once per ConfigMap symlink',
    );
  });
});
