// <run>/remote.json: the one small file that makes a remote run re-attachable
// from this machine after a dropped link, a reload or a crash. It says where the
// run lives on the host and how many bytes of the host's events.jsonl the local
// events.jsonl already mirrors, so a re-attach neither repeats nor skips an event.
import { open, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, readJson, RUN_FILES, writeJsonAtomic } from '../../core/runs/runFolder';

export const REMOTE_FILE = 'remote.json';

export interface RemoteRunState {
  format: 1;
  /** The ssh destination the run was sent to. */
  host: string;
  /** Absolute path of the run folder on the host. */
  remoteDir: string;
  /** Bytes of the host's events.jsonl that the local events.jsonl holds (the local file is always a prefix of the host's). */
  offset: number;
  /** Both sides had rsync when the run was pushed; else tar through the helper. */
  rsync: boolean;
  /** Engine interpreter and package folder on the host, once started. */
  python?: string;
  engineDir?: string;
  /** Environment given to engine commands on the host (tests point the cache at a temp folder). */
  env?: Record<string, string>;
  startedAt?: string;
  /** When the run's copy on the host was deleted (deleteRemoteCopy); a later push sends what it needs again. */
  deletedAt?: string;
}

export function remoteStatePath(runDir: string): string {
  return join(runDir, REMOTE_FILE);
}

export async function readRemoteState(runDir: string): Promise<RemoteRunState | undefined> {
  const s = await readJson<RemoteRunState>(remoteStatePath(runDir));
  return s && typeof s.host === 'string' && typeof s.remoteDir === 'string' && typeof s.offset === 'number' ? s : undefined;
}

export async function writeRemoteState(runDir: string, state: RemoteRunState): Promise<void> {
  await writeJsonAtomic(remoteStatePath(runDir), state);
}

export async function isRemoteRun(runDir: string): Promise<boolean> {
  return (await readRemoteState(runDir)) !== undefined;
}

export async function localEventsSize(runDir: string): Promise<number> {
  return (await stat(join(runDir, RUN_FILES.events)).catch(() => undefined))?.size ?? 0;
}

/**
 * Makes the local events.jsonl and the recorded offset agree before more bytes
 * are appended. Bytes appended after the last recorded offset (we stopped
 * between the append and the write of remote.json) are cut and fetched again;
 * a local file shorter than the offset is re-fetched from where it ends.
 */
export async function reconcileEvents(runDir: string, state: RemoteRunState): Promise<RemoteRunState> {
  const size = await localEventsSize(runDir);
  if (size === state.offset) return state;
  if (size > state.offset) await truncate(join(runDir, RUN_FILES.events), state.offset);
  const next = { ...state, offset: Math.min(size, state.offset) };
  await writeRemoteState(runDir, next);
  return next;
}

/** Appends complete lines to the local events.jsonl and records the new offset, in that order. */
export async function commitEvents(runDir: string, state: RemoteRunState, bytes: Buffer): Promise<RemoteRunState> {
  // Someone else appended (a second follower despite the lock): appending now would duplicate lines.
  const size = await localEventsSize(runDir);
  if (size !== state.offset) {
    throw new Error(`events.jsonl in ${runDir} is ${size} bytes where this follow expected ${state.offset}: another window may be following the run; re-attach to continue`);
  }
  const fh = await open(join(runDir, RUN_FILES.events), 'a', PRIVATE_FILE_MODE);
  try {
    await fh.write(bytes);
    await fh.sync(); // the bytes are on disk before the offset says so
  } finally {
    await fh.close();
  }
  const next = { ...state, offset: state.offset + bytes.length };
  await writeRemoteState(runDir, next);
  return next;
}
