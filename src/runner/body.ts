// Driving a journey's body: its own clock, the run budget it races, and how it ended.
import { performance } from 'node:perf_hooks';

/** The body's own time: from its start, less what pulse spends reading web vitals between steps. */
export class BodyClock {
  #started = Number.POSITIVE_INFINITY;
  #pulseMs = 0;

  /** `budgetMs`: the run budget. */
  constructor(readonly budgetMs: number) {}

  start(): void {
    this.#started = performance.now();
  }

  /** When the run budget ran out or runs out (monotonic). */
  get budgetEnd(): number {
    return this.#started + this.budgetMs;
  }

  /** How long the body has run, pulse's own work between steps left out. */
  elapsed(): number {
    return performance.now() - this.#started - this.#pulseMs;
  }

  /** The run is past its budget already, pulse's work included (the journey blocked the timers). */
  overBudget(): boolean {
    return performance.now() - this.#started > this.budgetMs;
  }

  /** Runs pulse's own work between steps: not the journey's time, so not in its duration. */
  async excluding<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.#pulseMs += performance.now() - started;
    }
  }
}
