// Everything the dashboard shows, rebuilt from one run folder
// (docs/architecture.md "The run folder"): a window reload, an engine crash or a second machine loses nothing. The reader
// is tolerant: a missing file is null, a half-written last event line is left
// for the live tail (eventsOffset says where it should start), a malformed line
// is counted and skipped rather than failing the whole run.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type EngineEvent, parseEventLine } from './protocol';
import { hasTrainedWeights, readJson, RUN_FILES } from './runFolder';

export interface RunFiles {
  /** config.json: the writer's overrides, or the resolved config once training started. */
  config: Record<string, unknown> | null;
  /** canaries.json as the engine wrote it (its shape is read leniently by the view-model). */
  canaries: unknown;
  /** dataset/manifest.json (docs/contracts.md). */
  manifest: unknown;
  /** eval.json: voice scores, whatever keys the evaluator wrote. */
  evaluation: unknown;
  /** Trained weights: adapter/, or a full fine-tune's model/ (hasTrainedWeights). */
  hasWeights: boolean;
  /** The merged ONNX export the editor writes with. */
  hasVoice: boolean;
  /** Checkpoint folder names, oldest first: resume points. */
  checkpoints: string[];
}

export interface RunSnapshot {
  dir: string;
  id: string;
  /** Display name (run.json), else the id. */
  name: string;
  events: EngineEvent[];
  /** Lines that were not valid events (skipped, never fatal). */
  malformedLines: number;
  /** Byte offset just past the last complete event: where a live tail continues. */
  eventsOffset: number;
  /** When training started writing events (ms since epoch), for the duration. */
  startedMs: number | null;
  /** Last write to events.jsonl. */
  lastEventMs: number | null;
  files: RunFiles;
}

export async function readRunSnapshot(runDir: string): Promise<RunSnapshot> {
  const eventsPath = join(runDir, RUN_FILES.events);
  const [raw, eventsStat, config, meta, files] = await Promise.all([
    readFile(eventsPath).catch(() => Buffer.alloc(0)),
    stat(eventsPath).catch(() => undefined),
    readJson(join(runDir, RUN_FILES.config)),
    readJson<{ name?: unknown }>(join(runDir, RUN_FILES.meta)),
    readRunFiles(runDir),
  ]);
  const parsed = parseEventBytes(raw);
  const id = basename(runDir);
  return {
    dir: runDir,
    id,
    name: typeof meta?.name === 'string' && meta.name ? meta.name : id,
    ...parsed,
    startedMs: eventsStat ? startTime(id, eventsStat.birthtimeMs, eventsStat.ctimeMs) : null,
    lastEventMs: eventsStat?.mtimeMs ?? null,
    files: { ...files, config: config ?? null },
  };
}

/** The run's files other than events.jsonl and config.json; re-read when they change. */
export async function readRunFiles(runDir: string): Promise<Omit<RunFiles, 'config'>> {
  const exists = (p: string) => stat(join(runDir, p)).then(() => true, () => false);
  const [canaries, manifest, evaluation, hasWeights, hasVoice, checkpoints] = await Promise.all([
    readJson<unknown>(join(runDir, RUN_FILES.canaries)),
    readJson<unknown>(join(runDir, RUN_FILES.dataset, 'manifest.json')),
    readJson<unknown>(join(runDir, RUN_FILES.eval)),
    hasTrainedWeights(runDir),
    exists(join(RUN_FILES.onnx, 'config.json')),
    readdir(join(runDir, 'checkpoints')).then((n) => n.filter((x) => !x.startsWith('.')).sort(), () => []),
  ]);
  return { canaries: canaries ?? null, manifest: manifest ?? null, evaluation: evaluation ?? null, hasWeights, hasVoice, checkpoints };
}

/**
 * Parses events.jsonl bytes. The unterminated tail is the engine mid-write,
 * unless it already parses as a whole event (a file copied without its final
 * newline); either way eventsOffset is consistent with tailEvents' `from`.
 */
export function parseEventBytes(raw: Buffer): Pick<RunSnapshot, 'events' | 'malformedLines' | 'eventsOffset'> {
  const lastNewline = raw.lastIndexOf(0x0a);
  let complete = raw.subarray(0, lastNewline + 1).toString('utf8');
  let eventsOffset = lastNewline + 1;
  const tail = raw.subarray(lastNewline + 1).toString('utf8');
  if (tail.trim() && isEventLine(tail)) {
    complete += tail;
    eventsOffset = raw.length;
  }
  const events: EngineEvent[] = [];
  let malformedLines = 0;
  for (const line of complete.split('\n')) {
    try {
      const e = parseEventLine(line);
      if (e) events.push(e);
    } catch {
      malformedLines++;
    }
  }
  return { events, malformedLines, eventsOffset };
}

function isEventLine(text: string): boolean {
  try {
    return parseEventLine(text) !== undefined;
  } catch {
    return false;
  }
}

/** The run id's UTC stamp (`20261123-141502-…`) when the file system keeps no birth time. */
function startTime(id: string, birthtimeMs: number, ctimeMs: number): number {
  if (birthtimeMs > 0) return birthtimeMs;
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(id);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : ctimeMs;
}
