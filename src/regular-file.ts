// A file pulse reads that someone else could have put there: opened without following a final
// link and without waiting (a FIFO would hold the open forever), and kept only if it is a regular
// file, so that a device (size 0, endless) is never read.
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export interface RegularFile {
  handle: FileHandle;
  stat: Stats;
}

/** The opened file, or undefined when it is a link, a FIFO, a device, a directory or anything else not a regular file. Throws what open throws otherwise (ENOENT, EACCES ...). */
export async function openRegularFile(file: string): Promise<RegularFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    // ELOOP: the last part of the path is a symbolic link.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (stat.isFile()) return { handle, stat };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  await handle.close().catch(() => undefined);
  return undefined;
}
