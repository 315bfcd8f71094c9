// Typed settings. The only caller of getConfiguration; defaults live only in package.json.
import * as vscode from 'vscode';

const SECTION = 'voiceDraft';

export interface DataSettings {
  include: string[];
  exclude: string[];
  maxDocumentShare: number;
  validationRatio: number;
  shortNoteWords: number;
}

export type TrainingLauncher = 'none' | 'torchrun' | 'accelerate';

export interface TrainingSettings {
  baseModel: string;
  loraRank: number;
  loraAlpha: number;
  learningRate: number;
  epochs: number;
  /** Several GPUs: the launcher that starts one training process per GPU. */
  launcher: TrainingLauncher;
  /** Processes under the launcher; 0 = one per GPU. */
  processes: number;
  /** Plain versions of the writer's paragraphs for the rewrite to learn from (issue #20). */
  syntheticDrafts: 'destyled' | 'paraphrased' | 'off';
  syntheticDraftsMax: number;
}

export interface InlineSettings {
  enabled: boolean;
  languages: Record<string, boolean>;
  debounceMs: number;
  maxTokens: number;
  stopAt: 'sentence' | 'paragraph';
  contextTokens: number;
  temperature: number;
  topK: number;
  repetitionPenalty: number;
  /** Show a suggestion only when the model's confidence in it (0..1) is at least this. */
  minConfidence: number;
  /** Fill the model's cache in the background where the cursor rests (no cold start). */
  warmUp: boolean;
}

export interface RewriteSettings {
  temperature: number;
  topK: number;
  repetitionPenalty: number;
  maxTokens: number;
  /** Rewrites per paragraph, ranked by the voice score. */
  candidates: number;
}

export interface InferenceSettings {
  device: 'cpu' | 'cuda';
  /** ONNX Runtime threads; 0 = chosen from the machine's cores. */
  threads: number;
  /** Longest Continue Paragraph insertion, in tokens. */
  continueMaxTokens: number;
}

export interface EngineSettings {
  /** Machine-scoped: a workspace cannot point it at its own program. */
  pythonPath: string;
  /** Machine-scoped SSH host; empty = train locally. */
  remoteHost: string;
  /** Machine-scoped: keep a run's folder on the remote host once its results are copied back (default: delete it). */
  keepRemoteCopy: boolean;
}

function section(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

/** Reads a machine-scoped value from user/global settings only, never from a workspace. */
function machineValue<T = string>(key: string, fallback: T): T {
  const inspected = section().inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
}

/**
 * Machine-scoped too: the runs folder decides which runs a window re-attaches to on
 * open (over SSH for remote runs), so a workspace must not point it elsewhere.
 */
export function runsFolderSetting(): string {
  return machineValue('runsFolder', '').trim();
}

export function dataSettings(): DataSettings {
  const c = section();
  return {
    include: c.get<string[]>('data.include', []),
    exclude: c.get<string[]>('data.exclude', []),
    maxDocumentShare: c.get<number>('data.maxDocumentShare', 0.2),
    validationRatio: c.get<number>('data.validationRatio', 0.1),
    shortNoteWords: c.get<number>('data.shortNoteWords', 250),
  };
}

export function trainingSettings(): TrainingSettings {
  const c = section();
  return {
    baseModel: c.get<string>('baseModel', ''),
    loraRank: c.get<number>('training.loraRank', 64),
    loraAlpha: c.get<number>('training.loraAlpha', 128),
    learningRate: c.get<number>('training.learningRate', 1e-3),
    epochs: c.get<number>('training.epochs', 3),
    launcher: c.get<TrainingLauncher>('training.launcher', 'none'),
    processes: c.get<number>('training.processes', 0),
    syntheticDrafts: c.get<TrainingSettings['syntheticDrafts']>('training.syntheticDrafts', 'destyled'),
    syntheticDraftsMax: c.get<number>('training.syntheticDraftsMax', 100),
  };
}

export function inlineSettings(): InlineSettings {
  const c = section();
  return {
    enabled: c.get<boolean>('inline.enabled', true),
    languages: c.get<Record<string, boolean>>('inline.languages', {}),
    debounceMs: c.get<number>('inline.debounceMs', 250),
    maxTokens: c.get<number>('inline.maxTokens', 24),
    stopAt: c.get<'sentence' | 'paragraph'>('inline.stopAt', 'sentence'),
    contextTokens: c.get<number>('inline.contextTokens', 1500),
    temperature: c.get<number>('inline.temperature', 0.6),
    topK: c.get<number>('inline.topK', 40),
    repetitionPenalty: c.get<number>('inline.repetitionPenalty', 1.1),
    minConfidence: c.get<number>('inline.minConfidence', 0.1),
    warmUp: c.get<boolean>('inline.warmUp', true),
  };
}

export function rewriteSettings(): RewriteSettings {
  const c = section();
  return {
    temperature: c.get<number>('rewrite.temperature', 0.5),
    topK: c.get<number>('rewrite.topK', 40),
    repetitionPenalty: c.get<number>('rewrite.repetitionPenalty', 1),
    maxTokens: c.get<number>('rewrite.maxTokens', 600),
    candidates: c.get<number>('rewrite.candidates', 2),
  };
}

export function inferenceSettings(): InferenceSettings {
  const c = section();
  return {
    device: c.get<'cpu' | 'cuda'>('inference.device', 'cpu'),
    threads: c.get<number>('inference.threads', 0),
    continueMaxTokens: c.get<number>('continueParagraph.maxTokens', 120),
  };
}

export function engineSettings(): EngineSettings {
  return {
    pythonPath: machineValue('engine.pythonPath', '').trim(),
    remoteHost: machineValue('engine.remoteHost', '').trim(),
    keepRemoteCopy: machineValue<unknown>('engine.keepRemoteCopy', false) === true,
  };
}

export async function setInlineEnabled(enabled: boolean): Promise<void> {
  await section().update('inline.enabled', enabled, vscode.ConfigurationTarget.Global);
}

export function affects(e: vscode.ConfigurationChangeEvent, key?: string): boolean {
  return e.affectsConfiguration(key ? `${SECTION}.${key}` : SECTION);
}
