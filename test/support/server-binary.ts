import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { freePort } from './ports.ts';

export interface ServerBinary {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  child: ChildProcess;
  /** Everything it wrote, for failure messages. */
  output(): string;
  /** SIGTERM and wait; SIGKILL after timeoutMs. */
  stop(timeoutMs?: number): Promise<number | null>;
}

export interface ServerBinaryOptions {
  binary: string;
  /** Shown when the binary is missing, e.g. 'apt-get install prometheus'. */
  install: string;
  /** Arguments; `{address}` is replaced by 127.0.0.1:<free port>. */
  args: string[];
  readyPath?: string;
  readyTimeoutMs?: number;
}

/**
 * Starts a server binary (Prometheus, the Pushgateway) on a free port of 127.0.0.1 and waits for
 * its readiness endpoint. A missing binary is a failure that names the package, never a skip.
 */
export async function startServerBinary(options: ServerBinaryOptions): Promise<ServerBinary> {
  try {
    accessSync(options.binary, constants.X_OK);
  } catch {
    throw new Error(`${options.binary} not found: ${options.install}`);
  }
  const address = `127.0.0.1:${await freePort()}`;
  const child = spawn(
    options.binary,
    options.args.map((arg) => arg.replaceAll('{address}', address)),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://${address}`;
  const server: ServerBinary = {
    url,
    child,
    output: () => output,
    stop: async (timeoutMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.binary} exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}${options.readyPath ?? '/-/ready'}`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${options.binary} not ready within ${options.readyTimeoutMs ?? 30_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
