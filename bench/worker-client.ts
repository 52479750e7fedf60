// The bench's side of a variant worker: start it, send it requests, wait for its answers.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HarnessJourney, InitRequest, LaunchInfo, MemorySample, PulseFeatures, RunSample, WorkerRequest } from './worker.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const REQUEST_TIMEOUT_MS = 120_000;

export class WorkerClient {
  readonly child: ChildProcess;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #exited: Promise<void>;

  private constructor(root: string) {
    this.child = fork(WORKER, [], { cwd: root, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(`worker: ${message.error}`));
    });
    this.#exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        for (const pending of this.#pending.values()) pending.reject(new Error(`worker exited with ${code}`));
        this.#pending.clear();
        resolve();
      }),
    );
  }

  static async start(init: InitRequest): Promise<WorkerClient> {
    const client = new WorkerClient(init.root);
    await client.request(init);
    return client;
  }

  get pid(): number {
    return this.child.pid!;
  }

  request(request: WorkerRequest, timeoutMs = REQUEST_TIMEOUT_MS): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`worker did not answer ${request.cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ id, request });
    });
  }

  launch(executablePath: string, features?: PulseFeatures): Promise<LaunchInfo> {
    return this.request({ cmd: 'launch', executablePath, ...(features ? { features } : {}) }) as Promise<LaunchInfo>;
  }

  /** One run of the harness's journey, or of the one named (pulse with a suite). */
  run(journey?: string): Promise<RunSample> {
    return this.request({ cmd: 'run', ...(journey !== undefined ? { journey } : {}) }) as Promise<RunSample>;
  }

  journeys(): Promise<HarnessJourney[]> {
    return this.request({ cmd: 'journeys' }) as Promise<HarnessJourney[]>;
  }

  async restartWindow(): Promise<void> {
    await this.request({ cmd: 'restartWindow' });
  }

  memory(): Promise<MemorySample> {
    return this.request({ cmd: 'memory' }) as Promise<MemorySample>;
  }

  async closeBrowser(): Promise<void> {
    await this.request({ cmd: 'closeBrowser' });
  }

  async profile(on: boolean, file?: string): Promise<void> {
    await this.request({ cmd: 'profile', on, file });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.request({ cmd: 'exit' }, 20_000).catch(() => undefined);
    await Promise.race([this.#exited, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
