/** A browser or CDP call that ran past its allowance. */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/**
 * A timer armed for `ms`: when it fires, `expired` rejects with the error `late` builds then (so
 * the error can say what was going on at that moment). Race `expired`, then cancel the deadline.
 */
export class Deadline {
  readonly expired: Promise<never>;
  #fired = false;
  readonly #timer: NodeJS.Timeout;

  constructor(ms: number, late: () => Error) {
    let reject: (error: Error) => void = () => undefined;
    this.expired = new Promise<never>((_, rejectExpired) => {
      reject = rejectExpired;
    });
    // Whoever races it sees the rejection; one that fires unraced is no error of its own.
    this.expired.catch(() => undefined);
    this.#timer = setTimeout(() => {
      this.#fired = true;
      reject(late());
    }, ms);
  }

  /** The timer fired before it was cancelled. */
  get fired(): boolean {
    return this.#fired;
  }

  cancel(): void {
    clearTimeout(this.#timer);
  }
}

/** The promise, or a DeadlineError after `ms`; the timer never outlives the race. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const deadline = new Deadline(ms, () => new DeadlineError(`${what} did not answer within ${ms} ms`));
  return Promise.race([promise, deadline.expired]).finally(() => deadline.cancel());
}
