// Typed settings, GitLens-style: the only caller of getConfiguration. Each setting and its
// default are declared once, in package.json's contributes.configuration; VS Code fills in
// that default where the writer set nothing, so no default is written here, and the compiler
// checks every key read below against package.json (Key) and types it by its default (Value).
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
  repetitionWindow: number;
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

/** The settings package.json declares, by key without the `voiceDraft.` prefix. */
type Declared = (typeof import('../package.json'))['contributes']['configuration']['properties'];
type Key = { [P in keyof Declared]: P extends `${typeof SECTION}.${infer K}` ? K : never }[keyof Declared];
type Value<K extends Key> = Declared[`${typeof SECTION}.${K}`] extends { default: infer D } ? D : never;

function section(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

/** A setting's value: the writer's (workspace, then user), else package.json's default. */
function get<K extends Key>(key: K): Value<K> {
  return section().get(key) as Value<K>;
}

/** A machine-scoped setting from user/global settings only, never from a workspace; else package.json's default. */
function machineValue<K extends Key>(key: K): Value<K> {
  const inspected = section().inspect<Value<K>>(key);
  return (inspected?.globalValue ?? inspected?.defaultValue) as Value<K>;
}

/**
 * Machine-scoped too: the runs folder decides which runs a window re-attaches to on
 * open (over SSH for remote runs), so a workspace must not point it elsewhere.
 */
export function runsFolderSetting(): string {
  return machineValue('runsFolder').trim();
}

export function dataSettings(): DataSettings {
  return {
    include: get('data.include'),
    exclude: get('data.exclude'),
    maxDocumentShare: get('data.maxDocumentShare'),
    validationRatio: get('data.validationRatio'),
    shortNoteWords: get('data.shortNoteWords'),
  };
}

export function trainingSettings(): TrainingSettings {
  return {
    baseModel: get('baseModel'),
    loraRank: get('training.loraRank'),
    loraAlpha: get('training.loraAlpha'),
    learningRate: get('training.learningRate'),
    epochs: get('training.epochs'),
    launcher: get('training.launcher') as TrainingLauncher,
    processes: get('training.processes'),
    syntheticDrafts: get('training.syntheticDrafts') as TrainingSettings['syntheticDrafts'],
    syntheticDraftsMax: get('training.syntheticDraftsMax'),
  };
}

export function inlineSettings(): InlineSettings {
  return {
    enabled: get('inline.enabled'),
    languages: get('inline.languages'),
    debounceMs: get('inline.debounceMs'),
    maxTokens: get('inline.maxTokens'),
    stopAt: get('inline.stopAt') as InlineSettings['stopAt'],
    contextTokens: get('inline.contextTokens'),
    temperature: get('inline.temperature'),
    topK: get('inline.topK'),
    repetitionPenalty: get('inline.repetitionPenalty'),
    repetitionWindow: get('inline.repetitionWindow'),
    minConfidence: get('inline.minConfidence'),
    warmUp: get('inline.warmUp'),
  };
}

export function rewriteSettings(): RewriteSettings {
  return {
    temperature: get('rewrite.temperature'),
    topK: get('rewrite.topK'),
    repetitionPenalty: get('rewrite.repetitionPenalty'),
    maxTokens: get('rewrite.maxTokens'),
    candidates: get('rewrite.candidates'),
  };
}

export function inferenceSettings(): InferenceSettings {
  return {
    device: get('inference.device') as InferenceSettings['device'],
    threads: get('inference.threads'),
    continueMaxTokens: get('continueParagraph.maxTokens'),
  };
}

export function engineSettings(): EngineSettings {
  return {
    pythonPath: machineValue('engine.pythonPath').trim(),
    remoteHost: machineValue('engine.remoteHost').trim(),
    keepRemoteCopy: machineValue('engine.keepRemoteCopy') === true,
  };
}

export async function setInlineEnabled(enabled: boolean): Promise<void> {
  await section().update('inline.enabled', enabled, vscode.ConfigurationTarget.Global);
}

export function affects(e: vscode.ConfigurationChangeEvent, key?: string): boolean {
  return e.affectsConfiguration(key ? `${SECTION}.${key}` : SECTION);
}
