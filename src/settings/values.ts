// The kinds of value a setting takes: each parses the text of a variable or flag into its typed
// value, or fails with the one message a person reads after the setting's name.
import { z } from 'zod';
import { parseBytes, parseDuration } from '../duration.ts';

/** Text in, a typed value out; the first issue's message is the problem's message. */
export type Parser<T> = z.ZodType<T, string>;

/** This replica's part of the journeys: `i/n`, from --shard or the StatefulSet pod ordinal. */
export interface Shard {
  /** 1-based. */
  index: number;
  total: number;
}

/** Durations above this are surely a typo, and would overflow Node's timers. */
const MAX_DURATION_MS = 24 * 3_600_000;
const LOCATION = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;

export const text: Parser<string> = z.string().trim().min(1, 'must not be empty');

/** A glob inside a folder (or `none`): relative, never reaching out of it with `..`. */
export const relativeGlob: Parser<string> = text.refine(
  (v) => v === 'none' || (!v.startsWith('/') && !v.split('/').includes('..')),
  'must be a glob relative to the journeys folder, inside it (e.g. **/*.spec.ts), or none',
);

export function wholeNumber(min: number, max: number): Parser<number> {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T): Parser<T[number]> {
  return z
    .string()
    .trim()
    .pipe(z.enum(values, { error: `must be one of ${values.join(', ')}` }));
}

/** `on` or `off`, as a boolean. */
export const onOff: Parser<boolean> = oneOf(['on', 'off']).transform((v) => v === 'on');
/** `0` or `1`, as a boolean. */
export const zeroOne: Parser<boolean> = oneOf(['0', '1']).transform((v) => v === '1');

export const duration: Parser<number> = z.string().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) ctx.addIssue({ code: 'custom', message: "must be a duration such as '30s' or '2m'" });
  return ms ?? 0;
});
/** A duration a timer waits for, so at most a day. */
export const timerDuration: Parser<number> = duration.refine((ms) => ms <= MAX_DURATION_MS, 'must be at most 24h');

export const size: Parser<number> = z.string().transform((value, ctx) => {
  const bytes = parseBytes(value);
  if (bytes === undefined) ctx.addIssue({ code: 'custom', message: "must be a size such as '500MB' or '2GiB'" });
  return bytes ?? 0;
});

export const url: Parser<string> = z
  .string()
  .trim()
  .refine((v) => /^https?:\/\/[^\s]+$/.test(v) && URL.canParse(v), 'must be an http(s) URL such as http://127.0.0.1:3000');
/** A URL that paths are appended to, so without its trailing slashes. */
export const baseUrl: Parser<string> = url.transform((v) => v.replace(/\/+$/, ''));
/** A URL with `{journey}` and `{location}` to fill in. */
export const urlTemplate: Parser<string> = z
  .string()
  .trim()
  .refine(
    (v) => url.safeParse(v.replaceAll('{journey}', 'j').replaceAll('{location}', 'l')).success,
    'must be an http(s) URL, {journey} and {location} allowed, e.g. https://hc-ping.com/<key>/{journey}',
  );

/** A label on every metric and log line: what Prometheus and Kubernetes accept. */
export const location: Parser<string> = z
  .string()
  .trim()
  .regex(LOCATION, 'must be 1-63 lower-case letters, digits, - or _, starting and ending with a letter or digit (e.g. eu-west-1)');

/** `a:b:c`, empty parts left out. */
export const pathList: Parser<string[]> = z.string().transform((v) => v.split(':').filter(Boolean));
/** `a, b, c`, empty parts left out. */
export const nameList: Parser<string[]> = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

export const shard: Parser<Shard> = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const match = /^(\d+)\/(\d+)$/.exec(value);
    const index = Number(match?.[1]);
    const total = Number(match?.[2]);
    if (!match || total < 1 || index < 1 || index > total) {
      ctx.addIssue({ code: 'custom', message: "must be 'i/n' with 1 <= i <= n, e.g. '2/3'" });
      return z.NEVER;
    }
    return { index, total };
  });

/** A duration within bounds, or `off` (undefined). */
export function durationOrOff(options: { min: number; max: number; message: string }): Parser<number | undefined> {
  return z
    .string()
    .trim()
    .transform((value, ctx) => {
      if (value === 'off') return undefined;
      const ms = parseDuration(value);
      if (ms === undefined || ms < options.min || ms > options.max) {
        ctx.addIssue({ code: 'custom', message: options.message });
        return z.NEVER;
      }
      return ms;
    });
}
