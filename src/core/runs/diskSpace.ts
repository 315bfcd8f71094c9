// Free space where a run writes: an engine that dies without a word on a full disk (it could
// not even write its error to events.jsonl) is told apart from a crash by looking.
import { statfs } from 'node:fs/promises';

/** Below this a training cannot write its next checkpoint (a LoRA checkpoint of the default model is ~80 MB). */
export const LOW_DISK_BYTES = 256 * 1024 * 1024;

/** Bytes free to this user on the disk holding `path`; undefined when it cannot be told (the path is gone, no statfs). */
export async function freeBytes(path: string): Promise<number | undefined> {
  try {
    const s = await statfs(path);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** "the disk holding X has only N MB free", when it has less than `below`; undefined otherwise. */
export async function lowDiskSpace(path: string, below = LOW_DISK_BYTES): Promise<string | undefined> {
  const free = await freeBytes(path);
  if (free === undefined || free >= below) return undefined;
  return `the disk holding ${path} has only ${Math.floor(free / (1024 * 1024))} MB free`;
}
