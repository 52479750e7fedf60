import type { PauseRow, PauseStore } from '../store/pause-store.ts';

/** What a pause covers: one journey, every journey with a tag, or the whole replica. */
export type PauseScope = { kind: 'journey'; journey: string } | { kind: 'tag'; tag: string } | { kind: 'all' };

export interface Pause {
  id: number;
  scope: PauseScope;
  /** When it ends by itself (ISO 8601). */
  until: string;
  reason: string;
  /** Who asked for it (the auth identity). */
  by: string;
  since: string;
}

/** What a journey is matched on. */
export interface Pausable {
  name: string;
  tags: readonly string[];
}

/**
 * Pauses for maintenance windows: kept in the run store so they survive a restart, held in
 * memory for the scheduler's every tick, and over by themselves at their end time.
 */
export class PauseBook {
  readonly #store: PauseStore;
  readonly #now: () => number;
  #pauses: Pause[];

  constructor(options: { store: PauseStore; now?: () => number }) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#pauses = options.store.activePauses(this.#now()).map(fromRow);
  }

  /** Pauses in force now, oldest first. */
  active(): Pause[] {
    const now = this.#now();
    this.#pauses = this.#pauses.filter((pause) => Date.parse(pause.until) > now);
    return [...this.#pauses];
  }

  add(pause: { scope: PauseScope; untilMs: number; reason: string; by: string }): Pause {
    const since = new Date(this.#now()).toISOString();
    const row = {
      scope: pause.scope.kind,
      target: targetOf(pause.scope),
      until_ms: pause.untilMs,
      reason: pause.reason,
      created_by: pause.by,
      created_at: since,
    };
    // A store that cannot keep it still pauses this process: on-call asked for it now.
    const id = this.#store.addPause(row) ?? -Date.now();
    const added: Pause = { id, scope: pause.scope, until: new Date(pause.untilMs).toISOString(), reason: pause.reason, by: pause.by, since };
    this.#pauses.push(added);
    return added;
  }

  /** Ends the pauses that match (by id, or covering exactly this scope); returns those ended. */
  resume(match: { ids?: readonly number[]; scope?: PauseScope }, by: string): Pause[] {
    const ended = this.active().filter((pause) => (match.ids ? match.ids.includes(pause.id) : match.scope ? sameScope(pause.scope, match.scope) : false));
    if (ended.length === 0) return [];
    this.#store.endPauses(
      ended.map((pause) => pause.id).filter((id) => id > 0),
      by,
      new Date(this.#now()),
    );
    this.#pauses = this.#pauses.filter((pause) => !ended.includes(pause));
    return ended;
  }

  /** The pauses that hold this journey now. */
  covering(journey: Pausable): Pause[] {
    return this.active().filter((pause) => covers(pause.scope, journey));
  }

  isPaused(journey: Pausable): boolean {
    return this.covering(journey).length > 0;
  }
}

export function covers(scope: PauseScope, journey: Pausable): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'journey') return scope.journey === journey.name;
  return journey.tags.includes(scope.tag);
}

export function describeScope(scope: PauseScope): string {
  return scope.kind === 'all' ? 'every journey' : scope.kind === 'journey' ? `journey ${scope.journey}` : `tag ${scope.tag}`;
}

function sameScope(a: PauseScope, b: PauseScope): boolean {
  return a.kind === b.kind && targetOf(a) === targetOf(b);
}

function targetOf(scope: PauseScope): string | null {
  return scope.kind === 'journey' ? scope.journey : scope.kind === 'tag' ? scope.tag : null;
}

function fromRow(row: PauseRow): Pause {
  const scope: PauseScope =
    row.scope === 'all' ? { kind: 'all' } : row.scope === 'journey' ? { kind: 'journey', journey: row.target ?? '' } : { kind: 'tag', tag: row.target ?? '' };
  return { id: row.id, scope, until: new Date(row.until_ms).toISOString(), reason: row.reason, by: row.created_by, since: row.created_at };
}
