import { readFileSync } from 'node:fs';

/**
 * Where the kernel reports CPU pressure (PSI) for this process: its own cgroup (cgroup v2, so a
 * container sees its own share and its CPU limit), else the whole machine; undefined where the
 * kernel has no PSI (before 4.20, or disabled) or the files cannot be read.
 */
export function findCpuPressureFile(read: (file: string) => string = (file) => readFileSync(file, 'utf8')): string | undefined {
  const candidates: string[] = [];
  try {
    const own = /^0::(\/.*)$/m.exec(read('/proc/self/cgroup'))?.[1];
    if (own !== undefined) candidates.push(`/sys/fs/cgroup${own === '/' ? '' : own}/cpu.pressure`);
  } catch {
    // No cgroup v2: the machine-wide figure below.
  }
  candidates.push('/proc/pressure/cpu');
  return candidates.find((file) => someAvg60(safeRead(read, file)) !== undefined);
}

/**
 * The share of the last minute (0-100) in which some runnable task waited for a CPU, from a PSI
 * file's text ("some ... avg60="): a minute, not 10 s, so that a busy moment (a browser starting)
 * does not count as starvation.
 */
export function someAvg60(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /^some avg10=\S+ avg60=(\d+(?:\.\d+)?)/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Reads the pressure now; undefined when the file went away. */
export function readCpuPressure(file: string, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): number | undefined {
  return someAvg60(safeRead(read, file));
}

function safeRead(read: (file: string) => string, file: string): string | undefined {
  try {
    return read(file);
  } catch {
    return undefined;
  }
}

/** Microseconds in which some runnable task waited for a CPU since boot (PSI "some total"); a run's share of it tells starvation. */
export function readCpuStallMicros(file: string, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): number | undefined {
  const match = /^some .*\btotal=(\d+)/m.exec(safeRead(read, file) ?? '');
  return match ? Number(match[1]) : undefined;
}
