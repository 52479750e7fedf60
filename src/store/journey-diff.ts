// What changed in a journey between two versions: a unified diff of their sources, file by file,
// and which steps the change touched, so that a failure at a step just rewritten reads as the
// journey's doing before anyone suspects the product.
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch, type StructuredPatch } from 'diff';
import type { JourneySource } from '../journey.ts';

/** The sources of one version, as the store keeps them. */
export interface VersionSources {
  files: readonly JourneySource[];
  unresolved?: readonly string[];
}

export interface JourneyDiff {
  /** A unified diff, `a/` the earlier version and `b/` the later, file by file; empty when only the files left out changed. */
  text: string;
  /** Steps of the later version the change touched: their call or body changed, or their name is on a changed line. */
  touchedSteps: string[];
  /** The diff covers less than the whole change: a file's kept source was cut, the diff was too long, or took too long. */
  partial: boolean;
  /** The text of every added and removed line, for asking whether a step's name is on one. */
  changedLines: string[];
}

/** Whether the change touched the step: its call or body changed, or its name, quoted, is on a changed line (a helper called with it). */
export function touchesStep(diff: JourneyDiff, step: string): boolean {
  if (diff.touchedSteps.includes(step)) return true;
  const quoted = ["'", '"', '`'].map((quote) => `${quote}${step}${quote}`);
  return diff.changedLines.some((line) => quoted.some((form) => line.includes(form)));
}

/** A diff longer than this is cut: on-call read the start of it on the run page. */
const MAX_DIFF_CHARS = 200_000;
/** jsdiff gives up after this long on one file (two unrelated large files), rather than hold the page. */
const DIFF_TIMEOUT_MS = 250;
const CONTEXT_LINES = 3;

/** The diff from `then` to `now`. */
export function diffVersions(then: VersionSources, now: VersionSources): JourneyDiff {
  const before = new Map(then.files.map((file) => [file.path, file]));
  const after = new Map(now.files.map((file) => [file.path, file]));
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  const patches: StructuredPatch[] = [];
  const touched = new Set<string>();
  const changedLines: string[] = [];
  let partial = false;
  for (const path of paths) {
    const old = before.get(path);
    const fresh = after.get(path);
    if (old?.text === fresh?.text) continue;
    if (old?.truncated || fresh?.truncated) partial = true;
    const patch = structuredPatch(
      old ? `a/${path}` : '/dev/null',
      fresh ? `b/${path}` : '/dev/null',
      old?.text ?? '',
      fresh?.text ?? '',
      undefined,
      undefined,
      {
        context: CONTEXT_LINES,
        timeout: DIFF_TIMEOUT_MS,
      },
    );
    if (!patch) {
      partial = true;
      continue;
    }
    patches.push(patch);
    const { steps, lines } = stepsTouched(patch, fresh?.text ?? '');
    for (const step of steps) touched.add(step);
    changedLines.push(...lines);
  }
  let text = patches.length ? formatPatch(patches, FILE_HEADERS_ONLY) : '';
  if (text.length > MAX_DIFF_CHARS) {
    text = `${text.slice(0, MAX_DIFF_CHARS)}\n…`;
    partial = true;
  }
  return { text, touchedSteps: [...touched].sort(), partial, changedLines };
}

/** A step() call with a literal name, e.g. `await step('add to cart', async () => {`. */
const STEP_CALL = /\bstep\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/;

/**
 * Steps whose name is on a changed line, or whose call spans a changed line of the later source.
 * A call spans its line and the lines after it indented deeper, up to its closing line: how the
 * formatter lays out a step and its body.
 */
function stepsTouched(patch: StructuredPatch, source: string): { steps: string[]; lines: string[] } {
  const changedText: string[] = [];
  // Line numbers (1-based) of the later source where something was added or removed.
  const changedAt = new Set<number>();
  for (const hunk of patch.hunks) {
    let line = hunk.newStart;
    for (const entry of hunk.lines) {
      if (entry.startsWith('+')) {
        changedText.push(entry.slice(1));
        changedAt.add(line);
        line += 1;
      } else if (entry.startsWith('-')) {
        changedText.push(entry.slice(1));
        changedAt.add(line);
      } else if (entry.startsWith(' ')) {
        line += 1;
      }
    }
  }
  const touched = new Set<string>();
  for (const text of changedText) {
    const name = STEP_CALL.exec(text)?.[2];
    if (name !== undefined) touched.add(unescape(name));
  }
  const lines = source.split('\n');
  lines.forEach((text, index) => {
    const name = STEP_CALL.exec(text)?.[2];
    if (name === undefined) return;
    const [first, last] = [index + 1, spanEnd(lines, index) + 1];
    for (const at of changedAt) if (at >= first && at <= last) touched.add(unescape(name));
  });
  return { steps: [...touched], lines: changedText };
}

/** The index of the last line of the call starting at `start`: the lines after it indented deeper, and its closing line. */
function spanEnd(lines: readonly string[], start: number): number {
  const indent = indentOf(lines[start]!);
  let end = start;
  for (let index = start + 1; index < lines.length; index += 1) {
    const text = lines[index]!;
    if (text.trim() === '') continue;
    if (indentOf(text) > indent) {
      end = index;
      continue;
    }
    // The closing line of the call, at the call's own indent: `});`.
    if (indentOf(text) === indent && /^\s*[)}\]]/.test(text)) end = index;
    break;
  }
  return end;
}

function indentOf(text: string): number {
  return /^\s*/.exec(text)![0].length;
}

/** A step name as the string literal in the source spells it: escaped quotes and backslashes undone. */
function unescape(name: string): string {
  return name.replace(/\\(.)/g, '$1');
}
