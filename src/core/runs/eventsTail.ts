// Follows a run's events.jsonl as the engine appends to it. The file, not the
// engine's stdout, is the source of truth: it survives a window reload, so a
// fresh run and a re-attached one are followed the same way.
import { watch, type FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { LineSplitter } from './jsonLines';
import { RUN_FILES } from './runFolder';

export interface TailOptions {
  /** Byte offset to start from (0 = replay the whole run). */
  from?: number;
  signal?: AbortSignal;
  /** Poll interval; fs.watch is used too, but is not reliable on every file system. */
  pollMs?: number;
}

/**
 * Calls `onLines` with each batch of complete lines appended to events.jsonl,
 * until the signal aborts. A half-written last line waits for its newline.
 */
export async function tailEvents(runDir: string, onLines: (lines: string[]) => void, opts: TailOptions = {}): Promise<void> {
  const path = join(runDir, RUN_FILES.events);
  let offset = opts.from ?? 0;
  const splitter = new LineSplitter();
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();
  const readMore = async () => {
    const fh = await open(path, 'r').catch(() => undefined);
    if (!fh) return;
    try {
      const { size } = await fh.stat();
      if (size < offset) offset = 0; // truncated or replaced: start over
      while (offset < size) {
        const buf = Buffer.alloc(Math.min(size - offset, 1 << 20));
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (!bytesRead) break;
        offset += bytesRead;
        const lines = splitter.push(buf.subarray(0, bytesRead)).filter((l) => l.trim());
        if (lines.length) onLines(lines);
      }
    } finally {
      await fh.close();
    }
    if (!watcher) {
      try {
        watcher = watch(path, nudge);
      } catch {
        // polling alone still works
      }
    }
  };
  opts.signal?.addEventListener('abort', nudge, { once: true });
  try {
    while (!opts.signal?.aborted) {
      await readMore();
      if (opts.signal?.aborted) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, opts.pollMs ?? 500);
        wake = () => { clearTimeout(t); r(); };
      });
    }
    await readMore(); // whatever landed before the abort
  } finally {
    watcher?.close();
    opts.signal?.removeEventListener('abort', nudge);
  }
}
