// What a journey file says in its own text, for problems that point at a line: the keys of the
// options object given to journey() and the literal names given to step(). TypeScript's compiler
// would parse it exactly, but it is a devDependency (not in the image); a journey file only needs
// strings, comments, template literals, regular expressions and brackets told apart, done here.

/** A property key written in an object literal, and the line it is on (1-based). */
export interface SourceKey {
  name: string;
  line: number;
}

/** A `step(...)` call whose name is a plain string literal. */
export interface StepCall {
  name: string;
  line: number;
  /** Keys of an object literal given as a third argument (step() takes none). */
  options?: SourceKey[];
}

export interface JourneySource {
  /** Keys of the object literal given to journey(); undefined when it is no literal (a variable, a call). */
  journeyOptions: SourceKey[] | undefined;
  steps: StepCall[];
}

/** A string literal: where it ends, and its value when it is plain (no `${}`). */
interface Literal {
  end: number;
  value: string | undefined;
}

/** Reads a journey file's text; `journeyLine` picks the journey() call when a file holds several. */
export function scanJourneySource(text: string, journeyLine?: number): JourneySource {
  const { code, literals } = maskSource(text);
  const lineOf = lineFinder(text);
  const calls = [...code.matchAll(/(?<![\w$])journey\s*\(/g)];
  const call = calls.find((match) => lineOf(match.index) === journeyLine) ?? calls[0];
  let journeyOptions: SourceKey[] | undefined;
  if (call) {
    const open = nextCode(code, call.index + call[0].length);
    if (code[open] === '{') journeyOptions = objectKeys(code, literals, open, lineOf);
  }
  const steps: StepCall[] = [];
  for (const match of code.matchAll(/(?<![\w$])(?<!\btest\.)step\s*\(/g)) {
    const open = match.index + match[0].length - 1;
    const first = nextCode(code, open + 1);
    const literal = literals.get(first);
    if (literal?.value === undefined) continue;
    const args = argumentStarts(code, open);
    const third = args[2] === undefined ? undefined : nextCode(code, args[2]);
    const options = third !== undefined && code[third] === '{' ? objectKeys(code, literals, third, lineOf) : undefined;
    steps.push({ name: literal.value, line: lineOf(first), ...(options ? { options } : {}) });
  }
  return { journeyOptions, steps };
}

/**
 * The text with comments blanked and the insides of string, template and regular expression
 * literals replaced by `_` (same length, same lines), so brackets and names can be read by
 * position; the literals themselves by where they start.
 */
function maskSource(text: string): { code: string; literals: Map<number, Literal> } {
  // By UTF-16 unit, as every index here counts: an emoji is two.
  const out = text.split('');
  const literals = new Map<number, Literal>();
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i += 1) if (out[i] !== '\n') out[i] = i === from || i === to - 1 ? out[i]! : '_';
  };
  const erase = (from: number, to: number) => {
    for (let i = from; i < to; i += 1) if (out[i] !== '\n') out[i] = ' ';
  };
  let lastCode = '';
  let i = 0;
  /** Scans from `start` (just past an opening backtick) to past its closing one, templates nested in `${}` included. */
  const template = (start: number): number => {
    let j = start;
    while (j < text.length && text[j] !== '`') {
      if (text[j] === '\\') j += 2;
      else if (text[j] === '$' && text[j + 1] === '{') j = code(j + 2, '}');
      else j += 1;
    }
    return j + 1;
  };
  /** Scans code from `start` until `until` at depth 0 (or the end); returns the index past it. */
  const code = (start: number, until?: string): number => {
    let depth = 0;
    let j = start;
    while (j < text.length) {
      const char = text[j]!;
      const next = text[j + 1];
      if (char === '/' && next === '/') {
        const end = text.indexOf('\n', j);
        erase(j, end === -1 ? text.length : end);
        j = end === -1 ? text.length : end;
        continue;
      }
      if (char === '/' && next === '*') {
        const end = text.indexOf('*/', j + 2);
        erase(j, end === -1 ? text.length : end + 2);
        j = end === -1 ? text.length : end + 2;
        continue;
      }
      if (char === "'" || char === '"') {
        let k = j + 1;
        while (k < text.length && text[k] !== char && text[k] !== '\n') k += text[k] === '\\' ? 2 : 1;
        literals.set(j, { end: k + 1, value: quoted(text.slice(j + 1, k), char) });
        blank(j, k + 1);
        lastCode = char;
        j = k + 1;
        continue;
      }
      if (char === '`') {
        const end = template(j + 1);
        const body = text.slice(j + 1, end - 1);
        literals.set(j, { end, value: body.includes('${') ? undefined : quoted(body, '`') });
        blank(j, end);
        lastCode = '`';
        j = end;
        continue;
      }
      if (char === '/' && (lastCode === '' || /[(,=:[!&|?{};+\-*%<>~^]/.test(lastCode))) {
        let k = j + 1;
        let inClass = false;
        while (k < text.length && text[k] !== '\n' && (inClass || text[k] !== '/')) {
          if (text[k] === '\\') k += 1;
          else if (text[k] === '[') inClass = true;
          else if (text[k] === ']') inClass = false;
          k += 1;
        }
        blank(j, k + 1);
        lastCode = '/';
        j = k + 1;
        continue;
      }
      if (char === '{' || char === '(' || char === '[') depth += 1;
      if (char === '}' || char === ')' || char === ']') {
        if (depth === 0 && char === until) return j + 1;
        depth -= 1;
      }
      if (!/\s/.test(char)) lastCode = char;
      j += 1;
    }
    return j;
  };
  while (i < text.length) i = code(i);
  return { code: out.join(''), literals };
}

/** The value of a quoted literal's body, or undefined when it holds an escape this reader does not know. */
function quoted(body: string, quote: string): string | undefined {
  try {
    const escaped = body
      .replace(/\\(['`])/g, '$1')
      .replace(/"/g, '\\"')
      .replace(/\\\\"/g, '\\"');
    const value = JSON.parse(`"${quote === '"' ? body : escaped}"`) as unknown;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function lineFinder(text: string): (index: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) if (text[i] === '\n') starts.push(i + 1);
  return (index) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= index) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

function nextCode(code: string, from: number): number {
  let i = from;
  while (i < code.length && /\s/.test(code[i]!)) i += 1;
  return i;
}

/** Index past the bracket that closes the one at `open`. */
function closing(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i += 1) {
    const char = code[i]!;
    if (char === '{' || char === '(' || char === '[') depth += 1;
    else if (char === '}' || char === ')' || char === ']') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return code.length;
}

/** Where each argument of the call whose `(` is at `open` starts. */
function argumentStarts(code: string, open: number): number[] {
  const end = closing(code, open) - 1;
  const starts = [open + 1];
  let depth = 0;
  for (let i = open + 1; i < end; i += 1) {
    const char = code[i]!;
    if (char === '{' || char === '(' || char === '[') depth += 1;
    else if (char === '}' || char === ')' || char === ']') depth -= 1;
    else if (char === ',' && depth === 0) starts.push(i + 1);
  }
  // A trailing comma starts no argument.
  if (code.slice(starts.at(-1), end).trim() === '') starts.pop();
  return starts;
}

/** The keys written at the top level of the object literal whose `{` is at `open`. */
function objectKeys(code: string, literals: Map<number, Literal>, open: number, lineOf: (index: number) => number): SourceKey[] {
  const end = closing(code, open) - 1;
  const keys: SourceKey[] = [];
  let i = open + 1;
  while (i < end) {
    i = nextCode(code, i);
    if (i >= end) break;
    const literal = literals.get(i);
    const identifier = /^[A-Za-z_$][\w$]*/.exec(code.slice(i, end));
    if (literal?.value !== undefined) keys.push({ name: literal.value, line: lineOf(i) });
    else if (identifier && !code.startsWith('...', i)) keys.push({ name: identifier[0], line: lineOf(i) });
    // On to the comma that ends this property, past whatever its value holds.
    let depth = 0;
    while (i < end && !(depth === 0 && code[i] === ',')) {
      const char = code[i]!;
      if (char === '{' || char === '(' || char === '[') depth += 1;
      else if (char === '}' || char === ')' || char === ']') depth -= 1;
      i += 1;
    }
    i += 1;
  }
  return keys;
}
