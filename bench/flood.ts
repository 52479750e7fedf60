// A client that holds many keep-alive connections to the daemon's port and asks as fast as it can:
// what a dashboard left open on a wall, a crawler or a broken script does to the on-call UI.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export interface FloodOptions {
  /** Base URL of the daemon (loopback only). */
  url: string;
  connections: number;
  paths: readonly string[];
  /** The flood stops by itself after this long. */
  durationMs: number;
}

export interface FloodStats {
  connections: number;
  paths: readonly string[];
  durationS: number;
  requests: number;
  byStatus: Record<string, number>;
  /** Requests that got no answer (reset, timeout). */
  errors: number;
}

export async function flood(options: FloodOptions): Promise<FloodStats> {
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error(`flood: only loopback targets, not ${target.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  const started = Date.now();
  const end = started + options.durationMs;
  const get = (path: string) =>
    new Promise<void>((resolve) => {
      const request = http.get({ agent, host: target.hostname, port: target.port, path, timeout: 10_000 }, (response) => {
        response.resume();
        response.on('end', () => {
          byStatus[String(response.statusCode)] = (byStatus[String(response.statusCode)] ?? 0) + 1;
          resolve();
        });
        response.on('error', () => resolve());
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => {
        errors += 1;
        resolve();
      });
    });
  const loop = async (index: number) => {
    for (let i = index; Date.now() < end; i += 1) {
      requests += 1;
      await get(options.paths[i % options.paths.length]!);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, (_, i) => loop(i)));
  agent.destroy();
  return { connections: options.connections, paths: options.paths, durationS: (Date.now() - started) / 1000, requests, byStatus, errors };
}

/**
 * The flood from a process of its own, as it would come from another program: its CPU is not
 * the bench's, and the bench's log reading does not slow it down.
 */
export async function floodFromProcess(options: FloodOptions): Promise<FloodStats> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`flood process exited with ${code}`);
  return JSON.parse(out) as FloodStats;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stats = await flood(JSON.parse(process.argv[2]!) as FloodOptions);
  process.stdout.write(JSON.stringify(stats));
}
