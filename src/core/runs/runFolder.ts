// One run = one folder (DESIGN §1). Everything about a run is read back from
// its folder, so a reload, a crash or a second machine loses nothing.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { applyEvent, emptyModel, recordedEvent, type RunState } from './runModel';
import type { ChosenBy } from './voiceChoice';

export const RUN_FILES = {
  config: 'config.json',
  events: 'events.jsonl',
  dataset: 'dataset',
  adapter: 'adapter',
  /** A full fine-tune's weights, in place of adapter/. */
  model: 'model',
  onnx: 'onnx',
  canaries: 'canaries.json',
  eval: 'eval.json',
  /** The engine process the client started for the run (detached.ts): pid, host, start time. */
  pid: 'engine.pid',
  /** Held by the engine itself while it owns the run (voice_draft_engine/runlock.py). */
  lock: 'engine.lock',
  /** The engine's stderr, for the log channel and crash reports. */
  log: 'engine.log',
  /** Writer-facing metadata: a display name given with "rename". */
  meta: 'run.json',
} as const;

/**
 * Modes of everything written into a run folder: it holds a copy of the writer's essays, so
 * only its owner may read it (issue #25). Given explicitly (the extension host's umask is
 * shared with every other extension); the engine sets its umask to 077 itself.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** A file that exists once a run has trained weights: the adapter's, or a full fine-tune's model's. */
export const TRAINED_WEIGHTS = [join(RUN_FILES.adapter, 'adapter_config.json'), join(RUN_FILES.model, 'config.json')] as const;

/** The one answer to "does this run have trained weights?" (an adapter, or a full fine-tune's model): what export, evaluate and choose need. */
export async function hasTrainedWeights(dir: string): Promise<boolean> {
  const found = await Promise.all(TRAINED_WEIGHTS.map((p) => stat(join(dir, p)).then(() => true, () => false)));
  return found.includes(true);
}

export function defaultRunsRoot(): string {
  return join(homedir(), '.voice-draft', 'runs');
}

export function runsRoot(setting: string | undefined): string {
  return setting && setting.trim() ? resolve(setting.trim().replace(/^~(?=$|\/)/, homedir())) : defaultRunsRoot();
}

export function slugify(text: string): string {
  const slug = text.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return slug || 'voice';
}

/** `20261123-141502-essays`: sorts by time, says what it was trained on. */
export function newRunId(slug: string, now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${slugify(slug)}`;
}

/** Creates a new run folder with the writer's config overrides; never reuses an existing one. */
export async function createRunFolder(root: string, slug: string, config: Record<string, unknown>, now?: Date): Promise<string> {
  await mkdir(root, { recursive: true, mode: PRIVATE_DIR_MODE });
  const base = newRunId(slug, now);
  for (let i = 0; ; i++) {
    const dir = join(root, i ? `${base}-${i + 1}` : base);
    try {
      await mkdir(dir, { mode: PRIVATE_DIR_MODE }); // fails if it exists: two runs never share a folder
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    try {
      await writeJsonAtomic(join(dir, RUN_FILES.config), config);
    } catch (e) {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined); // a full disk: no empty run left in the list
      throw e;
    }
    return dir;
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  await rename(tmp, path);
}

export async function readJson<T = Record<string, unknown>>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export type { RunState } from './runModel';

export interface RunSummary {
  id: string;
  dir: string;
  name: string;
  state: RunState;
  baseModel?: string;
  bestValLoss?: number | null;
  /** A finished run's exported checkpoint and what chose it (voiceChoice.ts; old runs: by loss). */
  chosenStep?: number | null;
  chosenBy?: ChosenBy;
  /** Best voice score (0..1) of a finished run; null when its voice check was off. */
  bestVoiceScore?: number | null;
  /** Trained weights (hasTrainedWeights). */
  hasWeights: boolean;
  /** The merged ONNX export the editor writes with. */
  hasVoice: boolean;
  lastError?: { code: string; message: string; hint?: string };
  modified: number;
}

/**
 * The run's summary from its events, by the one reducer (runModel.ts): the last terminal
 * event decides the state, none yet = running or new. Lines are read as recorded (recordedEvent).
 */
export function stateFromEvents(lines: string[]): Pick<RunSummary, 'state' | 'bestValLoss' | 'lastError' | 'chosenStep' | 'chosenBy' | 'bestVoiceScore'> {
  const run = emptyModel();
  for (const line of lines) {
    const e = recordedEvent(line);
    if (e) applyEvent(run, e);
  }
  const { state, done, error, choice } = run;
  return {
    state,
    bestValLoss: done?.best_val_loss,
    lastError: error ? { code: String(error.code), message: String(error.message), hint: error.hint ? String(error.hint) : undefined } : undefined,
    ...(choice && { chosenStep: choice.chosenStep, chosenBy: choice.chosenBy, bestVoiceScore: choice.bestVoiceScore }),
  };
}

export async function readRunSummary(dir: string): Promise<RunSummary> {
  const id = dir.split(/[\\/]/).pop() ?? dir;
  const [events, config, meta, hasWeights, onnx, info] = await Promise.all([
    readFile(join(dir, RUN_FILES.events), 'utf8').catch(() => ''),
    readJson(join(dir, RUN_FILES.config)),
    readJson<{ name?: string }>(join(dir, RUN_FILES.meta)),
    hasTrainedWeights(dir),
    stat(join(dir, RUN_FILES.onnx, 'config.json')).catch(() => undefined),
    stat(dir),
  ]);
  return {
    id,
    dir,
    name: meta?.name ?? id,
    ...stateFromEvents(events.split('\n')),
    baseModel: typeof config?.base_model === 'string' ? config.base_model : undefined,
    hasWeights,
    hasVoice: onnx !== undefined,
    modified: info.mtimeMs,
  };
}

/** Runs under the root, newest first. */
export async function listRuns(root: string): Promise<RunSummary[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const dirs = [];
  for (const n of names) {
    const s = await stat(join(root, n)).catch(() => undefined);
    if (s?.isDirectory() && !n.startsWith('.')) dirs.push(join(root, n));
  }
  const runs = await Promise.all(dirs.map(readRunSummary));
  return runs.sort((a, b) => b.id.localeCompare(a.id));
}

export async function renameRun(dir: string, name: string): Promise<void> {
  const meta = (await readJson(join(dir, RUN_FILES.meta))) ?? {};
  await writeJsonAtomic(join(dir, RUN_FILES.meta), { ...meta, name: name.trim() });
}

export async function deleteRun(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
