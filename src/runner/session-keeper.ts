// The daemon's side of kept sessions: which state each session has, until when, handed only to
// attempts of the journeys that declare it. Kept in memory, and in the vault when there is a key;
// without PULSE_SESSION_KEY nothing is written, and a restart signs in anew.
import type { SessionDefinition } from '../session.ts';
import { describeError } from '../errors.ts';
import { sessionSecrets } from '../redact.ts';
import type { SessionReport, SessionState } from '../worker-protocol.ts';
import type { KeptSession, SessionVault } from './session-vault.ts';

export interface KeeperLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface SessionKeeperOptions {
  /** Where sessions outlive the process; none: in memory only. */
  vault?: SessionVault;
  /** Epoch ms; injected so tests can hold the time. */
  now?: () => number;
  log?: KeeperLog;
  /** Told every value of a state the moment it is kept, so the daemon's own redactor hides it too. */
  learned?: (values: string[]) => void;
}

/** Which attempt of which run a session outcome belongs to, for the log line. */
export interface SessionUse {
  journey: string;
  runId: string;
  attempt: number;
}

export class SessionKeeper {
  readonly #options: SessionKeeperOptions;
  readonly #memory = new Map<string, KeptSession>();
  /** Sessions whose file was read already: from then on memory is the truth. */
  readonly #read = new Set<string>();
  #toldInMemory = false;

  constructor(options: SessionKeeperOptions = {}) {
    this.#options = options;
  }

  /** The kept state of a session while its TTL holds; undefined when the attempt must sign in. */
  async take(session: SessionDefinition): Promise<SessionState | undefined> {
    const { name } = session;
    if (!this.#read.has(name)) {
      this.#read.add(name);
      await this.#readVault(name);
    }
    const kept = this.#memory.get(name);
    if (!kept) return undefined;
    const age = this.#now() - kept.signedInAt;
    if (age >= session.ttlMs || age < 0) {
      await this.#forget(name);
      return undefined;
    }
    return kept.state;
  }

  /**
   * What an attempt did with the session: a fresh sign-in is kept; a rejected one is forgotten;
   * so is a kept one that a failed attempt ran on when the session has no check of its own.
   */
  async settle(session: SessionDefinition, report: SessionReport | undefined, failed: boolean, use: SessionUse): Promise<void> {
    const { name } = session;
    const fields = { event: 'session', session: name, ...use };
    if (report?.outcome === 'signed-in') {
      this.#keep(name, { state: report.state, signedInAt: this.#now() });
      this.#options.log?.info(
        { ...fields, outcome: report.rejected ? 'signed-in-again' : 'signed-in' },
        report.rejected ? `the target rejected the kept session ${name}; signed in again` : `signed in for session ${name}`,
      );
      await this.#writeVault(name);
    } else if (report?.outcome === 'dropped' || (report?.outcome === 'reused' && failed && !session.checked)) {
      this.#options.log?.info(
        { ...fields, outcome: 'dropped' },
        report.outcome === 'dropped'
          ? `the target rejected the kept session ${name} and signing in again failed; the next attempt signs in anew`
          : `an attempt failed on the kept session ${name}, which has no isSignedIn check; it is dropped so that the next attempt signs in anew`,
      );
      await this.#forget(name);
    }
  }

  #keep(name: string, kept: KeptSession): void {
    this.#memory.set(name, kept);
    this.#options.learned?.(sessionSecrets(kept.state));
  }

  async #forget(name: string): Promise<void> {
    this.#memory.delete(name);
    await this.#options.vault?.remove(name).catch((error: unknown) => this.#warn(name, `could not remove its file: ${describeError(error).message}`));
  }

  async #readVault(name: string): Promise<void> {
    const { vault } = this.#options;
    if (!vault) {
      if (!this.#toldInMemory)
        this.#options.log?.info(
          { event: 'sessions_in_memory' },
          'sessions are kept in memory only (PULSE_SESSION_KEY is not set): each start of pulse signs in anew; set it to keep them, encrypted, in the data folder',
        );
      this.#toldInMemory = true;
      return;
    }
    const kept = await vault.read(name);
    if (kept) this.#keep(name, kept);
  }

  async #writeVault(name: string): Promise<void> {
    const kept = this.#memory.get(name);
    if (!kept || !this.#options.vault) return;
    await this.#options.vault
      .write(name, kept)
      .catch((error: unknown) => this.#warn(name, `could not write its file, it stays in memory: ${describeError(error).message}`));
  }

  #warn(name: string, message: string): void {
    this.#options.log?.warn({ event: 'session_file', session: name }, `kept session ${name}: ${message}`);
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}
