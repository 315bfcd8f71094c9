// Generated from src/engine/python/voice_draft_engine/events.py by
// `python3 scripts/events_contract.py --write`: change the event there, never here.
// Fields marked `?` may be absent (runs recorded by an older engine, or not applicable).

export const PROTOCOL_VERSION = 1;

export type VersionCheck = {
  installed?: string | null;
  /** the tested range, as a pip specifier */
  tested?: string;
  ok?: boolean;
};

/** What this machine can train well. */
export type Recommendation = {
  base_model: string;
  micro_batch_size: number;
  qlora: boolean;
  why: string;
};

export type SetupCommand = {
  stage?: string;
  argv?: string[];
};

export type DatasetCounts = {
  train_pairs: number;
  val_pairs: number;
  train_tokens?: number;
  val_tokens?: number;
  train_rows?: number;
  tiers?: Record<string, number>;
  truncated?: number;
  dropped_too_long?: number;
  /** the synthetic drafts' report (train.drafts) */
  synthetic_drafts?: Record<string, unknown>;
};

export type BaseModel = {
  /** as the config names it */
  spec?: string;
  /** the folder it was loaded from */
  path?: string;
  params?: number;
};

export type DamagedCheckpoint = {
  checkpoint: string;
  problem: string;
  moved_to: string;
};

export type Sampling = {
  do_sample?: boolean;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  /** 1 where absent */
  repetition_penalty?: number;
  /** 0 (the whole prompt and answer) where absent */
  repetition_window?: number;
  max_new_tokens?: number;
  seed?: number;
  num_samples?: number;
};

/** `doctor`: the engine runs here, with these libraries on this hardware. */
export type EngineReady = {
  event: 'engine.ready';
  /** the protocol version (1) */
  protocol: number;
  device: 'cuda' | 'mps' | 'cpu';
  python: string;
  torch: string;
  /** the engine's version */
  engine?: string;
  python_executable?: string;
  transformers?: string | null;
  peft?: string | null;
  bitsandbytes?: string | null;
  onnx?: string | null;
  /** each library's installed version against its tested range */
  versions?: Record<string, VersionCheck>;
  gpu?: string | null;
  gpu_memory_gib?: number | null;
  gpu_count?: number;
  bf16?: boolean;
  /** the engine's cache folder */
  cache?: string;
  disk_free_gib?: number;
  recommendation?: Recommendation;
};

/** How far a long step has come. */
export type StageProgress = {
  stage: string;
  message: string;
  percent?: number;
};

export type SetupProgress = StageProgress & {
  event: 'setup.progress';
};

/** `setup --dry-run`: what the set-up would do. */
export type SetupPlan = {
  event: 'setup.plan';
  venv?: string;
  create_venv?: boolean;
  torch?: string;
  locks?: string[];
  lock_digest?: string;
  up_to_date?: boolean;
  commands?: SetupCommand[];
};

/** The venv is ready (with `--dry-run`, what would be); the versions it verified. */
export type SetupDone = {
  event: 'setup.done';
  venv: string;
  python?: string;
  seconds?: number;
  dry_run?: boolean;
  torch_build?: string;
  lock_digest?: string;
  python_version?: string;
  torch?: string;
  transformers?: string;
  peft?: string;
  cuda?: boolean;
};

/** Building the offline default model, or a download from the hub (`done` of `total` bytes). */
export type ModelProgress = StageProgress & {
  event: 'model.progress';
  done?: number;
  total?: number;
};

/** The offline default model's folder is built. */
export type ModelReady = {
  event: 'model.ready';
  path: string;
  params?: number | null;
  seconds?: number;
};

/** Synthetic drafts, made before train.started: progress (`kept` null), then `stage: "done"` with `kept` of `total` and the rest of the report. */
export type TrainDrafts = {
  event: 'train.drafts';
  /** the method while they are made, then "done" */
  stage: string;
  done: number;
  total: number;
  kept: number | null;
  eta_s?: number | null;
  method?: string | null;
  seconds?: number | null;
  rejected?: Record<string, number>;
  cached?: boolean;
  /** why none were made (turned off, nothing eligible, a dataset from before them) */
  skipped?: string | null;
  examples?: Record<string, unknown>[];
};

/** The batches are made and the model loaded: training begins (a resume starts a new segment). */
export type TrainStarted = {
  event: 'train.started';
  /** the resolved TrainConfig, every default written out */
  config: Record<string, unknown>;
  dataset: DatasetCounts;
  device?: string;
  /** the base weights' dtype */
  dtype?: string;
  /** the dtype forward passes run in under torch.autocast (bf16 on a CPU that multiplies it natively, a full fine-tune's half dtype); null: the weights' own */
  autocast?: string | null;
  base_model?: BaseModel;
  trainable_params?: number;
  method?: 'lora' | 'qlora' | 'full';
  steps_per_epoch?: number;
  total_steps?: number;
  /** the checkpoint a resume continues from (`checkpoints/step-NNNNNN`) */
  resumed_from?: string | null;
  /** newer checkpoints a resume passed over because they failed their checksums, and where they were moved */
  damaged_checkpoints?: DamagedCheckpoint[];
};

/** One optimizer step. */
export type TrainProgress = {
  event: 'train.progress';
  step: number;
  /** fractional */
  epoch: number;
  loss: number | null;
  lr: number;
  grad_norm?: number | null;
  tokens_per_s?: number | null;
  eta_s?: number | null;
  total_steps?: number;
};

/** Validation loss, every `eval_every` steps, at each epoch's end and at the last step. */
export type TrainEval = {
  event: 'train.eval';
  step: number;
  val_loss: number | null;
  val_ppl?: number | null;
  /** the lowest validation loss so far */
  best?: boolean;
};

/** The quick voice score right after an evaluation: the run's continuations of fixed held-out openings, scored by a writer-vs-base classifier. Absent when the check is off. */
export type TrainVoice = {
  event: 'train.voice';
  step: number;
  /** mean probability that the continuations are the writer's */
  score: number;
  /** share of the continuations taken for the writer's */
  attributed: number;
  /** Burrows' Delta of the pooled continuations to the writer (lower: closer) */
  delta: number | null;
  samples: number;
  /** the score's standard error over the continuations: how far apart two checks must be to differ */
  stderr?: number;
};

/** A resume point, written after each evaluation. */
export type TrainCheckpoint = {
  event: 'train.checkpoint';
  step: number;
  /** relative to the run folder: `checkpoints/step-NNNNNN` */
  path: string;
};

/** The same prompt answered by the base and the tuned model, after each epoch. */
export type TrainCanary = {
  event: 'train.canary';
  /** counted from 1 (recordings from older engines: from 0) */
  epoch: number;
  prompt_id: string;
  base: string[];
  tuned: string[];
  step?: number;
  prompt?: string;
  sampling?: Sampling;
};

/** Training ended; the chosen weights are in `adapter/` (or `model/`). */
export type TrainDone = {
  event: 'train.done';
  /** the folder of the trained weights: "adapter", or "model" after a full fine-tune */
  adapter: string;
  /** the lowest validation loss's step */
  best_step?: number | null;
  best_val_loss?: number | null;
  steps?: number;
  seconds?: number;
  stopped_early?: boolean;
  outcome?: 'done' | 'early_stop' | 'max_steps';
  full_model?: boolean;
  /** the checkpoint exported as the voice; null: the last weights (absent before the voice check) */
  chosen_step?: number | null;
  /** what chose it: the best voice score, or the validation loss (also when the best voice score beats the lowest-loss checkpoint's by no more than their standard errors) */
  chosen_by?: 'voice' | 'loss';
  best_voice_score?: number | null;
};

/** SIGTERM or SIGINT: the step finished and a checkpoint was written. */
export type TrainCancelled = {
  event: 'train.cancelled';
  step?: number;
  checkpoint?: string | null;
};

/** `choose`: the writer made kept checkpoint `step` the run's voice. */
export type VoiceChosen = {
  event: 'voice.chosen';
  step: number;
  by: 'writer';
  /** where it was written */
  output: 'adapter' | 'model';
};

export type ExportProgress = StageProgress & {
  event: 'export.progress';
};

/** A file the export wrote. */
export type ExportArtifact = {
  event: 'export.artifact';
  path: string;
  bytes: number;
  seconds?: number;
};

/** Absolute paths; null for the parts not written. */
export type ExportDone = {
  event: 'export.done';
  onnx?: string | null;
  onnx_base?: string | null;
  gguf?: string | null;
  seconds?: number;
};

export type EvalProgress = StageProgress & {
  event: 'eval.progress';
};

/** eval.json is written. */
export type EvalDone = {
  event: 'eval.done';
  /** eval.json */
  path: string;
  /** the headline figures */
  summary?: Record<string, unknown>;
};

/** The command failed; `code` says how (docs/contracts.md lists the codes per command). */
export type EngineErrorEvent = {
  event: 'error';
  code: string;
  message: string;
  /** what the writer can do about it */
  hint?: string;
};

export type KnownEvent =
  | EngineReady
  | SetupProgress
  | SetupPlan
  | SetupDone
  | ModelProgress
  | ModelReady
  | TrainDrafts
  | TrainStarted
  | TrainProgress
  | TrainEval
  | TrainVoice
  | TrainCheckpoint
  | TrainCanary
  | TrainDone
  | TrainCancelled
  | VoiceChosen
  | ExportProgress
  | ExportArtifact
  | ExportDone
  | EvalProgress
  | EvalDone
  | EngineErrorEvent;

/** Events after which the engine has nothing more to say for this command. */
export const TERMINAL_EVENTS: ReadonlySet<string> = new Set([
  'engine.ready',
  'setup.done',
  'model.ready',
  'train.done',
  'train.cancelled',
  'voice.chosen',
  'export.done',
  'eval.done',
  'error',
]);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** What a reader may rely on in each event (its fields not marked `?`): an event failing it is malformed. */
export const EVENT_CHECKS: Record<KnownEvent['event'], (o: Record<string, unknown>) => boolean> = {
  'engine.ready': (o) => isInt(o.protocol) && (o.device === 'cuda' || o.device === 'mps' || o.device === 'cpu') && isStr(o.python) && isStr(o.torch),
  'setup.progress': (o) => isStr(o.stage) && isStr(o.message),
  'setup.plan': () => true,
  'setup.done': (o) => isStr(o.venv),
  'model.progress': (o) => isStr(o.stage) && isStr(o.message),
  'model.ready': (o) => isStr(o.path),
  'train.drafts': (o) => isStr(o.stage) && isInt(o.done) && o.done >= 0 && isInt(o.total) && o.total >= 0 && (o.kept === null || (isInt(o.kept) && o.kept >= 0)),
  'train.started': (o) => isObj(o.config) && isObj(o.dataset) && isInt(o.dataset.train_pairs) && o.dataset.train_pairs >= 0 && isInt(o.dataset.val_pairs) && o.dataset.val_pairs >= 0,
  'train.progress': (o) => isInt(o.step) && o.step >= 1 && isNum(o.epoch) && (o.loss === null || isNum(o.loss)) && isNum(o.lr),
  'train.eval': (o) => isInt(o.step) && o.step >= 0 && (o.val_loss === null || isNum(o.val_loss)),
  'train.voice': (o) => isInt(o.step) && o.step >= 0 && isNum(o.score) && o.score >= 0 && o.score <= 1 && isNum(o.attributed) && o.attributed >= 0 && o.attributed <= 1 && (o.delta === null || isNum(o.delta)) && isInt(o.samples) && o.samples >= 1,
  'train.checkpoint': (o) => isInt(o.step) && o.step >= 0 && isStr(o.path),
  'train.canary': (o) => isInt(o.epoch) && isStr(o.prompt_id) && Array.isArray(o.base) && o.base.every((v) => isStr(v)) && Array.isArray(o.tuned) && o.tuned.every((v) => isStr(v)),
  'train.done': (o) => isStr(o.adapter),
  'train.cancelled': () => true,
  'voice.chosen': (o) => isInt(o.step) && o.step >= 0 && (o.by === 'writer') && (o.output === 'adapter' || o.output === 'model'),
  'export.progress': (o) => isStr(o.stage) && isStr(o.message),
  'export.artifact': (o) => isStr(o.path) && isInt(o.bytes) && o.bytes >= 0,
  'export.done': () => true,
  'eval.progress': (o) => isStr(o.stage) && isStr(o.message),
  'eval.done': (o) => isStr(o.path),
  error: (o) => isStr(o.code) && isStr(o.message),
};
