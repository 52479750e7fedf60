import { z } from 'zod';

/** Fault switches of the demo shop; each one breaks the shop the way a real incident would. */
export interface Faults {
  /** POST /checkout answers 500 with an error page. */
  checkout500: boolean;
  /** Requests whose path starts with this prefix never get an answer (held until the shop closes). */
  hangPath: string | null;
  /** Every response (not /__faults, not /healthz) is delayed by this many ms. */
  delayMs: number;
  /** The product page's script throws at load, so "Add to cart" does nothing. */
  jsError: boolean;
  /** The product page renders no "Add to cart" button. */
  hideAddToCart: boolean;
  /** Whole site down: every request except /__faults has its socket destroyed. */
  down: boolean;
  /** 0 = off; N = every Nth counted request answers 503. */
  failOneIn: number;
  /** The shop's own API (/api/...) answers 500: the page loads, what it fetches fails. */
  api500: boolean;
  /** The product page needs this script from another origin before "Add to cart" works (a third party). */
  thirdPartyScript: string | null;
  /** Pages whose path starts with this prefix send up to their heading, then one byte a second. */
  tricklePath: string | null;
  /** 0 = off; N = every page shows its content only N ms after it loaded (largest contentful paint moves). */
  slowPaintMs: number;
  /** Every page pushes its content down with a banner a moment after it loaded (layout shift). */
  layoutShift: boolean;
}

export const NO_FAULTS: Readonly<Faults> = Object.freeze({
  checkout500: false,
  hangPath: null,
  delayMs: 0,
  jsError: false,
  hideAddToCart: false,
  down: false,
  failOneIn: 0,
  api500: false,
  thirdPartyScript: null,
  tricklePath: null,
  slowPaintMs: 0,
  layoutShift: false,
});

const MAX_DELAY_MS = 120_000;

const faultFields = {
  checkout500: z.boolean(),
  hangPath: z.string().startsWith('/', { error: 'hangPath must be a path starting with "/"' }).nullable(),
  delayMs: z
    .number()
    .int({ error: 'delayMs must be a whole number of milliseconds' })
    .min(0, { error: 'delayMs must be 0 or more' })
    .max(MAX_DELAY_MS, { error: `delayMs must be at most ${MAX_DELAY_MS}` }),
  jsError: z.boolean(),
  hideAddToCart: z.boolean(),
  down: z.boolean(),
  failOneIn: z.number().int({ error: 'failOneIn must be a whole number' }).min(0, { error: 'failOneIn must be 0 (off) or more' }),
  api500: z.boolean(),
  thirdPartyScript: z.url({ protocol: /^https?$/, error: 'thirdPartyScript must be an http(s) URL' }).nullable(),
  tricklePath: z.string().startsWith('/', { error: 'tricklePath must be a path starting with "/"' }).nullable(),
  slowPaintMs: z
    .number()
    .int({ error: 'slowPaintMs must be a whole number of milliseconds' })
    .min(0, { error: 'slowPaintMs must be 0 or more' })
    .max(MAX_DELAY_MS, { error: `slowPaintMs must be at most ${MAX_DELAY_MS}` }),
  layoutShift: z.boolean(),
} satisfies { [K in keyof Faults]: z.ZodType<Faults[K]> };

type FaultName = keyof Faults;

export const FAULT_NAMES = Object.keys(NO_FAULTS) as readonly FaultName[];

/** Partial<Faults>, strict: unknown keys are rejected. Used by PUT /__faults and setFaults(). */
export const faultsSchema = z.strictObject(faultFields).partial();

const BOOLEAN_FAULTS = new Set<FaultName>(['checkout500', 'jsError', 'hideAddToCart', 'down', 'api500', 'layoutShift']);

function isFaultName(name: string): name is FaultName {
  return (FAULT_NAMES as readonly string[]).includes(name);
}

function specError(token: string, reason: string): Error {
  return new Error(
    `Invalid fault "${token}": ${reason}. Valid names: ${FAULT_NAMES.join(', ')} ` +
      `(booleans alone mean true, e.g. "checkout500,delayMs=200,hangPath=/cart").`,
  );
}

function tokenValue(name: FaultName, value: string | undefined): unknown {
  if (BOOLEAN_FAULTS.has(name)) {
    if (value === undefined || value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    return value; // let the schema reject it
  }
  if (value === undefined || value === '') return undefined;
  if (name === 'hangPath' || name === 'tricklePath' || name === 'thirdPartyScript') return value === 'null' || value === 'off' ? null : value;
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/**
 * Parses "checkout500,delayMs=200,hangPath=/cart,failOneIn=3,jsError" into Partial<Faults>.
 * Throws one Error naming the bad token and listing the valid names.
 */
export function parseFaultSpec(spec: string): Partial<Faults> {
  const result: Partial<Faults> = {};
  for (const rawToken of spec.split(',')) {
    const token = rawToken.trim();
    if (token === '') continue;
    const eq = token.indexOf('=');
    const name = (eq === -1 ? token : token.slice(0, eq)).trim();
    const value = eq === -1 ? undefined : token.slice(eq + 1).trim();
    if (!isFaultName(name)) throw specError(token, `unknown fault name "${name}"`);
    const parsedValue = tokenValue(name, value);
    if (parsedValue === undefined) throw specError(token, `${name} needs a value (${name}=...)`);
    const checked = faultFields[name].safeParse(parsedValue);
    if (!checked.success) {
      const message = checked.error.issues[0]?.message ?? 'bad value';
      throw specError(token, BOOLEAN_FAULTS.has(name) ? `${name} takes no value, or true/false` : message);
    }
    Object.assign(result, { [name]: checked.data });
  }
  return result;
}

/** One readable line per zod issue, e.g. `delayMs: delayMs must be 0 or more`. */
export function describeFaultIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown fault ${issue.keys.map((k) => `"${k}"`).join(', ')}; valid names: ${FAULT_NAMES.join(', ')}`;
    }
    const path = issue.path.join('.');
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
}
