// The engine's events (DESIGN §3): one JSON object per line on stdout.
// Parsed from `unknown` at the boundary; unknown event names are kept as
// `unknown` so a newer engine never breaks an older client.

export const PROTOCOL_VERSION = 1;

type Num = number | null;

export interface EngineReady {
  event: 'engine.ready';
  protocol: number;
  python: string;
  torch: string;
  device: 'cuda' | 'mps' | 'cpu';
  gpu: string | null;
  gpu_memory_gib?: number | null;
  recommendation?: { base_model: string; micro_batch_size: number; qlora: boolean; why: string };
  [extra: string]: unknown;
}
export interface StageProgress {
  event: 'setup.progress' | 'model.progress' | 'export.progress' | 'eval.progress';
  stage: string;
  message: string;
  percent?: number;
}
export interface SetupDone { event: 'setup.done'; venv: string; python: string; seconds: number }
export interface ModelReady { event: 'model.ready'; path: string; seconds?: number }
export interface TrainStarted {
  event: 'train.started';
  config: Record<string, unknown>;
  dataset: { train_pairs: number; val_pairs: number; [k: string]: unknown };
  [extra: string]: unknown;
}
export interface TrainProgress {
  event: 'train.progress';
  step: number;
  epoch: number;
  loss: Num;
  lr: number;
  grad_norm?: Num;
  tokens_per_s?: Num;
  eta_s?: Num;
  total_steps?: number;
}
export interface TrainEval { event: 'train.eval'; step: number; val_loss: Num; val_ppl: Num }
export interface TrainCanary {
  event: 'train.canary';
  epoch: number;
  prompt_id: string;
  prompt?: string;
  sampling?: Record<string, unknown>;
  base: string[];
  tuned: string[];
}
/**
 * The quick voice score after an evaluation (issue #19): the run's continuations of fixed
 * held-out openings, scored by a writer-vs-base classifier. Absent when the check is off.
 */
export interface TrainVoice {
  event: 'train.voice';
  step: number;
  /** Mean probability (0..1) that the continuations are the writer's. */
  score: number;
  /** Share (0..1) of the continuations the classifier takes for the writer's. */
  attributed: number;
  /** Burrows' Delta of the pooled continuations to the writer (lower: closer); too few words to choose by. */
  delta: Num;
  samples: number;
}
/**
 * Synthetic drafts (issue #20), made before train.started: a plain version of the writer's
 * paragraphs for the rewrite to learn from. Progress (`stage` the method, `done` of `total`,
 * `eta_s`), then `stage: "done"` with `kept` of `total` and the rest of the report.
 */
export interface TrainDrafts {
  event: 'train.drafts';
  stage: string;
  done: number;
  total: number;
  kept: number | null;
  eta_s?: Num;
  method?: string;
  seconds?: Num;
  rejected?: Record<string, number>;
  cached?: boolean;
  /** Why none were made (turned off, nothing eligible, a dataset from before them). */
  skipped?: string | null;
}
export interface TrainCheckpoint { event: 'train.checkpoint'; step: number; path: string }
export interface TrainDone {
  event: 'train.done';
  adapter: string;
  /** Lowest validation loss. */
  best_step: number | null;
  best_val_loss: Num;
  /** The checkpoint exported as the voice (absent in runs before the voice check: best_step). */
  chosen_step?: number | null;
  /** What chose it: "voice" (best voice score) or "loss" (the check was off, or an older engine). */
  chosen_by?: string;
  best_voice_score?: Num;
  [extra: string]: unknown;
}
/** `choose`: the writer made checkpoint `step` the run's voice (written to `output`, adapter or model). */
export interface VoiceChosen { event: 'voice.chosen'; step: number; by: 'writer'; output: string }
export interface TrainCancelled { event: 'train.cancelled'; step?: number; checkpoint?: string | null }
export interface ExportArtifact { event: 'export.artifact'; path: string; bytes: number; seconds?: number }
export interface ExportDone { event: 'export.done'; onnx?: string | null; onnx_base?: string | null; gguf?: string | null; seconds?: number }
export interface EvalDone { event: 'eval.done'; path: string; [extra: string]: unknown }
export interface EngineErrorEvent { event: 'error'; code: string; message: string; hint?: string }
export interface UnknownEvent { event: 'unknown'; name: string; raw: Record<string, unknown> }

export type EngineEvent =
  | EngineReady | StageProgress | SetupDone | ModelReady
  | TrainStarted | TrainDrafts | TrainProgress | TrainEval | TrainVoice | TrainCanary | TrainCheckpoint | TrainDone | TrainCancelled
  | VoiceChosen | ExportArtifact | ExportDone | EvalDone | EngineErrorEvent | UnknownEvent;

/** Events after which the engine has nothing more to say for this command. */
export function isTerminal(e: EngineEvent): boolean {
  switch (e.event) {
    case 'engine.ready': case 'setup.done': case 'model.ready': case 'train.done':
    case 'train.cancelled': case 'voice.chosen': case 'export.done': case 'eval.done': case 'error':
      return true;
    default:
      return false;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown): v is Num => v === null || isNum(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isShare = (v: unknown): v is number => isNum(v) && v >= 0 && v <= 1;
const isStrArr = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);

/** Fields each known event must carry; a known event missing them is malformed. */
const REQUIRED: Record<string, (o: Record<string, unknown>) => boolean> = {
  'engine.ready': (o) => isNum(o.protocol) && isStr(o.device),
  'setup.progress': (o) => isStr(o.stage) && isStr(o.message),
  'model.progress': (o) => isStr(o.stage) && isStr(o.message),
  'export.progress': (o) => isStr(o.stage) && isStr(o.message),
  'eval.progress': (o) => isStr(o.stage) && isStr(o.message),
  'setup.done': (o) => isStr(o.venv),
  'model.ready': (o) => isStr(o.path),
  'train.started': (o) => isObj(o.config) && isObj(o.dataset),
  'train.drafts': (o) => isStr(o.stage) && isNum(o.done) && isNum(o.total) && (o.kept === null || isNum(o.kept)),
  'train.progress': (o) => isNum(o.step) && isNum(o.epoch) && isNumOrNull(o.loss) && isNum(o.lr),
  'train.eval': (o) => isNum(o.step) && isNumOrNull(o.val_loss),
  'train.voice': (o) => isNum(o.step) && isShare(o.score) && isShare(o.attributed) && isNumOrNull(o.delta)
    && isNum(o.samples) && o.samples >= 1,
  'train.canary': (o) => isNum(o.epoch) && isStr(o.prompt_id) && isStrArr(o.base) && isStrArr(o.tuned),
  'train.checkpoint': (o) => isNum(o.step) && isStr(o.path),
  'train.done': (o) => isStr(o.adapter),
  'train.cancelled': () => true,
  'voice.chosen': (o) => isNum(o.step) && o.by === 'writer' && isStr(o.output),
  'export.artifact': (o) => isStr(o.path) && isNum(o.bytes),
  'export.done': () => true,
  'eval.done': (o) => isStr(o.path),
  error: (o) => isStr(o.code) && isStr(o.message),
};

export class ProtocolError extends Error {}

/** Parses one already-decoded JSON value into an event; throws ProtocolError when malformed. */
export function parseEvent(value: unknown): EngineEvent {
  if (!isObj(value) || !isStr(value.event)) throw new ProtocolError('not an event object');
  const check = REQUIRED[value.event];
  if (!check) return { event: 'unknown', name: value.event, raw: value };
  if (!check(value)) throw new ProtocolError(`malformed ${value.event} event`);
  return value as unknown as EngineEvent;
}

/** Parses one line of engine stdout; blank lines give undefined. */
export function parseEventLine(line: string): EngineEvent | undefined {
  const text = line.trim();
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError(`not JSON: ${text.slice(0, 120)}`);
  }
  return parseEvent(value);
}
