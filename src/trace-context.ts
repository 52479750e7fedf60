// W3C trace context ids: the runner draws a run's trace id on the daemon's side, the traffic marker
// a span id per marked request inside the worker, so both sides take them from here.
import { randomBytes } from 'node:crypto';

/** Bytes of randomness; node:crypto's randomBytes, or a seeded one in tests. */
export type RandomBytes = (size: number) => Buffer;

/** A W3C trace id: 16 random bytes as 32 lower-case hex digits, never all zero (that means invalid). */
export function newTraceId(random: RandomBytes = randomBytes): string {
  return nonZeroHex(16, random);
}

/** A W3C parent (span) id: 8 random bytes as 16 hex digits, never all zero. */
export function newSpanId(random: RandomBytes = randomBytes): string {
  return nonZeroHex(8, random);
}

/** `traceparent` of a sampled span: version 00, flags 01. */
export function traceparent(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}

function nonZeroHex(size: number, random: RandomBytes): string {
  for (;;) {
    const hex = random(size).toString('hex');
    if (/[^0]/.test(hex)) return hex;
  }
}
