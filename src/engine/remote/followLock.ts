// One window at a time copies a remote run's events and results here: two windows following
// the same run would append the same bytes to events.jsonl (each with its own offset) and
// pull into the same folder. The lock names the window's process; one that is gone frees it.
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../../core/runs/runFolder';
import { processStart, sameProcessAlive } from '../detached';

export const FOLLOW_LOCK = '.remote-follow.lock';

interface Holder {
  pid: number;
  host: string;
  start: string | null;
}

/** Another window (or another machine sharing the runs folder) follows this run. */
export class FollowedElsewhereError extends Error {
  constructor(readonly runDir: string, readonly holder: Holder) {
    super(holder.host === hostname()
      ? 'This run is being followed in another VS Code window; its progress shows there.'
      : `This run is being followed from ${holder.host}. If nothing follows it there any more, delete ${join(runDir, FOLLOW_LOCK)} and re-attach.`);
  }
}

/** Takes the run's follow lock, or throws FollowedElsewhereError; the returned function releases it. */
export async function takeFollowLock(runDir: string): Promise<() => Promise<void>> {
  const path = join(runDir, FOLLOW_LOCK);
  const mine: Holder = { pid: process.pid, host: hostname(), start: processStart(process.pid) ?? null };
  // The holder is written to a file of its own first and then linked into place: the lock
  // appears whole or not at all, so another window never reads it empty and takes it for stale.
  const staged = `${path}.${process.pid}-${Date.now()}`;
  await writeFile(staged, `${JSON.stringify(mine)}\n`, { mode: PRIVATE_FILE_MODE });
  try {
    return await linkLock(staged, path, mine, runDir);
  } finally {
    await rm(staged, { force: true });
  }
}

async function linkLock(staged: string, path: string, mine: Holder, runDir: string): Promise<() => Promise<void>> {
  for (let attempt = 0; ; attempt++) {
    try {
      await link(staged, path); // EEXIST when a lock is there
      return async () => {
        const held = await readHolder(path);
        if (held?.pid === mine.pid && held.host === mine.host) await rm(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const held = await readHolder(path);
      if (held && held.host !== mine.host) throw new FollowedElsewhereError(runDir, held);
      if (held && held.pid !== mine.pid && sameProcessAlive(held.pid, held.start)) throw new FollowedElsewhereError(runDir, held);
      await rm(path, { force: true }); // a window that is gone (or this one's own, left by a follow that crashed)
    }
  }
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as Partial<Holder>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? { pid: v.pid, host: v.host, start: v.start ?? null } : undefined;
  } catch {
    return undefined; // not a holder (never written by this code): stale
  }
}
