import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Bytes of the regular files directly in a folder (a run's evidence folder is flat), links not
 * followed; 0 for a folder that is not there. Asynchronous: the store sizes evidence on the
 * result path and must not hold up the event loop while it walks the disk.
 */
export async function folderBytes(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  // A file removed between the listing and its stat counts for nothing.
  const sizes = await Promise.all(
    names.map((name) =>
      lstat(path.join(dir, name)).then(
        (stat) => (stat.isFile() ? stat.size : 0),
        () => 0,
      ),
    ),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}
