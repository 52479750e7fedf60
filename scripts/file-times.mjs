// A node --test reporter that writes how long each test file took, one "milliseconds<TAB>file" line
// per file: the suite prints its slowest files after each phase, so a file that grows stands out.
// A file's time is that of its top-level tests and suites (hooks included), which run one after
// another; starting its process is not in it. Plain JavaScript: node --test loads reporters before
// the --import hooks that would compile TypeScript.

/** @param {AsyncIterable<{ type: string, data: { nesting?: number, name?: string, file?: string, details?: { duration_ms?: number } } }>} source */
export default async function* fileTimes(source) {
  /** @type {Map<string, number>} */
  const times = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, name, file, details } = event.data;
    if (nesting !== 0) continue;
    const key = file ?? name ?? '?';
    times.set(key, (times.get(key) ?? 0) + (details?.duration_ms ?? 0));
  }
  for (const [file, ms] of times) yield `${Math.round(ms)}\t${file}\n`;
}
