// A real `pulse run` child whose JSON log lines the bench reads as they come.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface LogEvent {
  event?: string;
  journey?: string;
  reason?: string;
  time: string;
  /** Date.parse(time). */
  ms: number;
  url?: string;
}

export interface DaemonChildOptions {
  root: string;
  env: NodeJS.ProcessEnv;
  /** Called for every log line with an event, as it arrives. */
  onEvent?: (event: LogEvent) => void;
}

export class DaemonChild {
  readonly child: ChildProcess;
  readonly events: LogEvent[] = [];
  url = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  #partial = '';
  #waiters: { predicate: (e: LogEvent) => boolean; resolve: (e: LogEvent) => void }[] = [];

  constructor(private readonly options: DaemonChildOptions) {
    this.child = spawn(process.execPath, [path.join(options.root, 'bin/pulse.js'), 'run'], {
      cwd: options.root,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.#read(chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  #read(text: string): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.startsWith('{')) continue;
      let line: Omit<LogEvent, 'ms'>;
      try {
        line = JSON.parse(part) as Omit<LogEvent, 'ms'>;
      } catch {
        continue;
      }
      if (!line.event) continue;
      const event: LogEvent = { event: line.event, journey: line.journey, reason: line.reason, time: line.time, ms: Date.parse(line.time), url: line.url };
      if (event.event === 'started' && event.url) this.url = event.url;
      this.events.push(event);
      this.options.onEvent?.(event);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.predicate(event)) return true;
        w.resolve(event);
        return false;
      });
    }
  }

  waitFor(predicate: (e: LogEvent) => boolean, timeoutMs: number): Promise<LogEvent> {
    const found = this.events.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pulse run: no matching log line within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      void this.exited.then((code) => reject(new Error(`pulse run exited with ${code}; stderr: ${this.stderr}`)));
      this.#waiters.push({
        predicate,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  }

  /** SIGTERM, then the graceful stop; SIGKILL if it takes too long. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref())]);
    if (!done) this.child.kill('SIGKILL');
  }
}
