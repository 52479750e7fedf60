import { spawn, type ChildProcess } from 'node:child_process';
import { demoMfaEnv } from '../../src/demo/mfa-account.ts';
import { PULSE_BIN, ROOT } from './pulse-cli.ts';

export interface LogLine {
  level: string;
  time: string;
  event?: string;
  journey?: string;
  runId?: string;
  [key: string]: unknown;
}

/** A schedule that never comes round in a test (once a year): the daemon runs what the test asks for, and only that. */
export const NEVER = '0 0 1 1 *';

/** Lets `runNow` ask without credentials, as on a trusted network. */
export const OPEN_WRITES = { PULSE_ALLOW_OPEN_WRITES: '1' } as const;

/** Daemons of this test process still running. */
const live = new Set<ChildProcess>();
let reaperSet = false;

/**
 * A test process that ends, or is ended, takes its daemons with it, so that none goes on probing
 * (and loading the machine) through the test files after it; their workers and browsers follow.
 */
function endWithThisProcess(child: ChildProcess): void {
  if (!reaperSet) {
    reaperSet = true;
    process.on('exit', () => {
      for (const each of live) each.kill('SIGKILL');
    });
  }
  live.add(child);
  child.on('exit', () => live.delete(child));
}

/** A real `pulse run` child process whose JSON log lines the test can wait on. */
export class DaemonProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  url = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #partial = '';

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [PULSE_BIN, 'run', '--port', '0', ...args], {
      cwd: ROOT,
      // The demo shop's account, for the bundled mfa-sign-in journey: as a user of `pulse run` against it would set it.
      env: { ...process.env, PULSE_LOG_FORMAT: 'json', PULSE_LOG_LEVEL: 'debug', ...demoMfaEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    endWithThisProcess(this.child);
    this.child.stdout!.on('data', (chunk: Buffer) => this.#read(chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    // 'close', not 'exit': the last log lines may still be in the pipe when the process exits.
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  #read(text: string): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.trim()) continue;
      const line = JSON.parse(part) as LogLine;
      this.lines.push(line);
      if (line.event === 'started') this.url = String(line.url);
    }
  }

  /** Resolves with the first line (from `from` on) that matches, or throws after timeoutMs. */
  async waitFor(predicate: (line: LogLine) => boolean, timeoutMs = 60_000, from = 0): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms; ${this.tail()}`);
      if (this.child.exitCode !== null) throw new Error(`pulse run exited with ${this.child.exitCode}\nstderr: ${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Asks for a run of journey now over the API (again while a run of it is in flight) and waits for
   * its result in the history: the stored run as JSON, its id and its body as served.
   */
  async runNow<Run>(journey: string, options: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run & { runId: string; body: string }> {
    const headers = { 'content-type': 'application/json', ...options.headers };
    const timeoutMs = options.timeoutMs ?? 120_000;
    const ask = () => fetch(`${this.url}/api/journeys/${encodeURIComponent(journey)}/runs`, { method: 'POST', headers, body: '{}' });
    let response = await ask();
    for (let tries = 0; response.status === 409 && tries < 100; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      response = await ask();
    }
    if (response.status !== 202) throw new Error(`run now of ${journey}: ${response.status} ${await response.text()}`);
    const { runId } = (await response.json()) as { runId: string };
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = await fetch(`${this.url}/api/runs/${encodeURIComponent(runId)}`, { headers });
      if (found.status === 200) {
        const body = await found.text();
        return { ...(JSON.parse(body) as Run), runId, body };
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`run ${runId} of ${journey} did not finish within ${timeoutMs / 1000} s; ${this.tail(runId)}`);
  }

  /** What a test that gave up on the daemon says: the lines about `runId` if given, the last few lines, and stderr. */
  tail(runId?: string): string {
    const about = runId === undefined ? [] : this.lines.filter((line) => line.runId === runId);
    const last = this.lines.slice(-8).filter((line) => !about.includes(line));
    const show = (lines: LogLine[]) => lines.map((line) => JSON.stringify(line)).join('\n');
    return `${about.length > 0 ? `lines about run ${runId}:\n${show(about)}\n` : ''}last lines:\n${show(last)}\nstderr: ${this.stderr}`;
  }

  /** Starting is not what a test times: with the other test files on the same cores it may take a while. */
  async started(): Promise<string> {
    await this.waitFor((line) => line.event === 'started', 90_000);
    return this.url;
  }

  async metrics(): Promise<string> {
    const response = await fetch(`${this.url}/metrics`);
    return response.text();
  }

  /**
   * Scrapes until the exposition satisfies the check: /metrics is rebuilt off the scrape path,
   * so a result logged a moment ago may take up to a second to show.
   */
  async metricsWhen(check: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.metrics();
      if (check(text) || Date.now() > deadline) return text;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGTERM and wait; SIGKILL if it does not exit within timeoutMs. */
  async stop(timeoutMs = 40_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export { ROOT };
