// Which ONNX model folder writes: the active voice's `<run>/onnx/` (the engine's export,
// transformers.js layout), else the offline default model's export in the cache.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { cacheRoot } from '../engine/locate';
import type { Dtype } from './protocol';

/** The offline default model's export (written by `voice_draft_engine export --model ... --out ...`). */
export const DEFAULT_EXPORT_NAME = 'smollm2-135m-instruct-onnx';

export function defaultExportDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'models', DEFAULT_EXPORT_NAME);
}

export interface ModelFiles {
  /** Where the .onnx files are, relative to the folder: transformers.js expects `onnx/`; optimum writes them at the top. */
  subfolder: 'onnx' | '';
  dtypes: Dtype[];
}

const FILE_OF: Record<Dtype, string> = { q8: 'model_quantized.onnx', fp32: 'model.onnx' };

/** The path of the ONNX file of `dtype` in a folder `modelFiles` found it in. */
export function modelFile(dir: string, files: ModelFiles, dtype: Dtype): string {
  return join(dir, files.subfolder, FILE_OF[dtype]);
}

/** The ONNX files a model folder holds, or undefined when it is not a usable model folder. */
export function modelFiles(dir: string): ModelFiles | undefined {
  if (!existsSync(join(dir, 'config.json')) || !existsSync(join(dir, 'tokenizer.json'))) return undefined;
  for (const subfolder of ['onnx', ''] as const) {
    const dtypes = (Object.keys(FILE_OF) as Dtype[]).filter((d) => existsSync(join(dir, subfolder, FILE_OF[d])));
    if (dtypes.length > 0) return { subfolder, dtypes };
  }
  return undefined;
}

/** What the engine's export writes beside the model: its format and the size of each file it wrote. */
export const EXPORT_MARKER = 'voice-draft-export.json';

/**
 * Why a model folder cannot be used although its files are there: a file shorter or longer
 * than the export wrote (a full disk, a copy cut short). Undefined when it looks whole, or
 * when no marker says (a folder from another exporter: the load will tell).
 */
export function incompleteExport(dir: string): string | undefined {
  let marker: { files?: Record<string, unknown> };
  try {
    marker = JSON.parse(readFileSync(join(dir, EXPORT_MARKER), 'utf8')) as typeof marker;
  } catch {
    return undefined;
  }
  for (const [file, size] of Object.entries(marker.files ?? {})) {
    if (typeof size !== 'number') continue;
    let actual: number;
    try {
      actual = statSync(join(dir, file)).size;
    } catch {
      continue; // a dtype the folder does not hold any more: modelFiles() does not offer it
    }
    // A model over 2 GB keeps its weights beside it in `<file>_data`; the export counts both.
    actual += statSync(join(dir, `${file}_data`), { throwIfNoEntry: false })?.size ?? 0;
    if (actual !== size) return `${file} has ${mb(actual)} of the ${mb(size)} the export wrote`;
  }
  return undefined;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export interface LocatedModel {
  /** Absolute model folder. */
  dir: string;
  /** The q8 model when there is one (fast on CPU), else fp32. */
  dtype: Dtype;
  /** The voice's run folder, or undefined for the default model. */
  runDir: string | undefined;
  /** A short name for messages and the status bar. */
  label: string;
  /** Set when the active voice could not be used and the default model writes instead. */
  note?: string;
  /** The model file's size and modification time: a voice exported again is a new model in the same folder. */
  version: string;
}

export class NoModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoModelError';
  }
}

export interface LocateOptions {
  env?: NodeJS.ProcessEnv;
  /** Use this dtype when the folder has it (benchmarks compare q8 and fp32). */
  preferDtype?: Dtype;
}

export function locateModel(activeRun: string | undefined, options: LocateOptions = {}): LocatedModel {
  let note: string | undefined;
  if (activeRun) {
    const dir = resolve(activeRun, 'onnx');
    const files = modelFiles(dir);
    const broken = files && incompleteExport(dir);
    if (files && !broken) return found(dir, files, options.preferDtype, { runDir: resolve(activeRun), label: basename(activeRun) });
    note = broken
      ? `The active voice "${basename(activeRun)}" has an incomplete export in ${dir} (${broken}): export it again (the dashboard's Export); writing with the default model instead.`
      : `The active voice "${basename(activeRun)}" has no exported model in ${dir} (export it from Manage Voices); writing with the default model instead.`;
  }
  const dir = defaultExportDir(options.env);
  const files = modelFiles(dir);
  const broken = files && incompleteExport(dir);
  if (broken) {
    throw new NoModelError(`${note ? `${note.split(';')[0]}, and ` : ''}The default model's export in ${dir} is incomplete (${broken}). `
      + 'Run set-up again (Voice Draft: Set Up Training Engine) to export it anew.');
  }
  if (files) return found(dir, files, options.preferDtype, { runDir: undefined, label: 'default (SmolLM2-135M)', note });
  throw new NoModelError(
    `${note ? `${note.split(';')[0]}, and ` : ''}No model to write with: the default model's export is missing (${dir}). ` +
    'Train a voice or run set-up (Voice Draft: Set Up Training Engine).',
  );
}

function found(dir: string, files: ModelFiles, prefer: Dtype | undefined, about: Pick<LocatedModel, 'runDir' | 'label' | 'note'>): LocatedModel {
  const dtype = pick(files, prefer);
  return { dir, dtype, ...about, version: fileVersion(modelFile(dir, files, dtype)) };
}

/** Size and modification time of a file ("" when it cannot be read: the load then says why). */
export function fileVersion(path: string): string {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return '';
  }
}

function pick(files: ModelFiles, prefer: Dtype | undefined): Dtype {
  if (prefer && files.dtypes.includes(prefer)) return prefer;
  return files.dtypes.includes('q8') ? 'q8' : files.dtypes[0]!;
}

/** A model folder named by the user (CLI, benchmarks): absolute or relative to cwd. */
export function explicitModel(dir: string, preferDtype?: Dtype): LocatedModel {
  const abs = isAbsolute(dir) ? dir : resolve(dir);
  const files = modelFiles(abs);
  if (!files) throw new NoModelError(`${abs} is not an ONNX model folder (config.json, tokenizer.json and onnx/model*.onnx).`);
  return found(abs, files, preferDtype, { runDir: undefined, label: basename(abs) });
}
