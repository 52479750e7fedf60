import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { journey, type JourneyDefinition, type JourneyOptions } from '../../src/journey.ts';
import { validateJourney } from '../../src/registry/validate.ts';

/** Journeys import 'pulse', which resolves only inside the package: generated files live under test/fixtures/generated. */
const GENERATED = path.resolve('test/fixtures/generated');
/** Copies of whole example folders (ignored by git, the lint and the type check). */
const SCRATCH = path.resolve('.scratch');

/** The bundled checkout journey's file alone (a re-export), for a run of it without loading every bundled journey and spec. */
export const CHECKOUT_ONLY = ['--journeys', 'test/fixtures/checkout-only'] as const;

/** A fresh folder for generated journey files. */
export function journeyDir(prefix: string): string {
  mkdirSync(GENERATED, { recursive: true });
  return mkdtempSync(path.join(GENERATED, `${prefix}-`));
}

/**
 * A copy of a folder of journeys or a Playwright suite (`examples/shop-suite`), removed after the
 * test: what a run writes beside its files (a setup project's storage state) stays the test's own
 * while other test files use the original at the same time.
 */
export function folderCopy(t: { after: (fn: () => void) => void }, from: string): string {
  // Two levels below the repository's root, as the original is: a config may find the root as '../..'.
  mkdirSync(SCRATCH, { recursive: true });
  const dir = mkdtempSync(path.join(SCRATCH, `${path.basename(from)}-`));
  cpSync(from, dir, { recursive: true, filter: (source) => !source.split(path.sep).includes('.auth') });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Writes `<dir>/<name>.journey.ts` whose body is `body` (source text of an async function taking
 * `{ page, step, params, context }`), and returns its definition as the loader would.
 */
export function writeJourney(dir: string, options: Partial<JourneyOptions> & { name: string }, body: string, prelude = ''): JourneyDefinition {
  const full: JourneyOptions = { schedule: '* * * * *', ...options };
  const file = path.join(dir, `${options.name}.journey.ts`);
  writeFileSync(file, `import { expect, journey } from 'pulse';\n${prelude}\nexport default journey(${JSON.stringify(full)}, ${body});\nvoid expect;\n`);
  const { definition, problems } = validateJourney(
    journey(full, async () => undefined),
    path.relative(process.cwd(), file),
    file,
  );
  if (!definition) throw new Error(JSON.stringify(problems));
  return definition;
}
