// Follows one run folder for as long as someone looks at it: a snapshot first,
// then the events appended after it (continuing exactly at the snapshot's byte
// offset, so nothing is missed or repeated), then the other files as the engine
// or the evaluator (re)writes them. Unlike followRun (detached.ts) it does not
// stop at a terminal event: a cancelled run can be resumed while it is shown.
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { join } from 'node:path';
import { type EngineEvent, parseEventLine } from './protocol';
import { tailEvents } from './eventsTail';
import { RUN_FILES, TRAINED_WEIGHTS } from './runFolder';
import { readRunFiles, readRunSnapshot, type RunFiles, type RunSnapshot } from './snapshot';

export interface RunWatchHandlers {
  onSnapshot(snapshot: RunSnapshot): void;
  onEvents(events: EngineEvent[]): void;
  onFiles(files: Omit<RunFiles, 'config'>): void;
  onError?(error: unknown): void;
}

/** Paths whose change means readRunFiles has something new to say. */
const WATCHED = [
  RUN_FILES.canaries,
  RUN_FILES.eval,
  join(RUN_FILES.dataset, 'manifest.json'),
  ...TRAINED_WEIGHTS,
  join(RUN_FILES.onnx, 'config.json'),
  'checkpoints',
];

export async function watchRun(runDir: string, h: RunWatchHandlers, signal: AbortSignal, pollMs = 1000): Promise<void> {
  const snapshot = await readRunSnapshot(runDir);
  if (signal.aborted) return;
  h.onSnapshot(snapshot);
  const stopFiles = watchFiles(runDir, () => {
    readRunFiles(runDir).then((f) => { if (!signal.aborted) h.onFiles(f); }, (e: unknown) => h.onError?.(e));
  }, pollMs);
  try {
    await tailEvents(runDir, (lines) => {
      const events = lines.flatMap((l) => {
        try {
          return parseEventLine(l) ?? [];
        } catch {
          return []; // the snapshot counted malformed lines; the live view skips them too
        }
      });
      if (events.length) h.onEvents(events);
    }, { from: snapshot.eventsOffset, signal, pollMs: Math.min(pollMs, 500) });
  } finally {
    stopFiles();
  }
}

/**
 * Stat-polls the run's files (fs.watchFile also reports a file that appears later,
 * which fs.watch cannot) and calls onChange once per burst of changes.
 */
function watchFiles(runDir: string, onChange: () => void, pollMs: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  const listener = (now: Stats, before: Stats) => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, 150); // the evaluator writes, then renames: report once
  };
  const paths = WATCHED.map((p) => join(runDir, p));
  for (const p of paths) watchFile(p, { interval: pollMs, persistent: false }, listener);
  return () => {
    clearTimeout(timer);
    for (const p of paths) unwatchFile(p, listener);
  };
}
