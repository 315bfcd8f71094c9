// Messages between the extension host (workerHost.ts) and the inference worker (worker.ts).
// Discriminated unions named `noun.verb`; both sides parse what they receive from
// `unknown` with the guards below, so a malformed message is an error, never a crash.

export type Device = 'cpu' | 'cuda';
export type Dtype = 'q8' | 'fp32';
export type StopAt = 'sentence' | 'paragraph' | 'none';

export interface SamplingOptions {
  /** 0 = greedy (deterministic). */
  temperature: number;
  /** 0 = no top-k cut. The only nucleus-like cut (sampling.ts; transformers.js, too, ignored top_p). */
  topK: number;
  /** 1 = off. */
  repetitionPenalty: number;
  /** The penalty looks at this many of the last tokens, prompt and answer (llama.cpp's repeat_last_n); 0 = all of them. */
  repetitionWindow: number;
  maxNewTokens: number;
}

export interface StopOptions {
  at: StopAt;
  /** Text after the cursor: the suggestion stops before it would repeat it. */
  after: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * What to generate from. `continuation` is shaped in the worker (it owns the tokenizer)
 * by buildContinuationPrompt: the text before the cursor cut to a token budget at a
 * paragraph boundary. `chat` goes through the model's chat template.
 */
export type PromptInput =
  | {
    kind: 'continuation';
    before: string;
    budgetTokens: number;
    /** The text after the cursor, cut to whole sentences (fim.ts afterTextForPrompt): ask for the middle that leads into it. Only for a voice that learned fill-in-the-middle. */
    after?: string;
  }
  | { kind: 'chat'; messages: ChatMessage[] };

export type StopReason = 'eos' | 'max-tokens' | 'sentence' | 'paragraph' | 'repeat' | 'interrupted';

export interface GenerationStats {
  promptTokens: number;
  /** Prompt tokens whose keys/values came from the previous request's cache. */
  reusedTokens: number;
  newTokens: number;
  /** Worker time from receiving the request to the last token. */
  ms: number;
  /** Ghost text: written from the full context window or the quick one (contextWindow.ts). */
  window?: 'full' | 'quick';
}

/** How far a cache warm-up got. */
export interface WarmStats {
  promptTokens: number;
  /** Prompt positions the cache holds now (at most promptTokens − 1: a generation computes the last). */
  cachedTokens: number;
  /** Of them, computed by this warm-up. */
  computedTokens: number;
  /** All it could fill is filled (false: stopped by a request, or by a newer warm-up). */
  complete: boolean;
  ms: number;
  /** The quick window, read first (contextWindow.ts), when the prompt is longer than it. */
  quick?: { promptTokens: number; cachedTokens: number };
}

// ---- host → worker ----
export interface ModelLoad { type: 'model.load'; id: number; dir: string; device: Device; dtype: Dtype; threads: number }
export interface GenerateStart {
  type: 'generate.start';
  id: number;
  prompt: PromptInput;
  sampling: SamplingOptions;
  stop: StopOptions;
  /** Keep and reuse the key/value cache across requests (ghost text: yes). */
  reuseCache: boolean;
  /** Send `generate.text` as tokens arrive (rewrite preview). */
  stream: boolean;
}
/**
 * Fill ghost text's key/value cache for this prompt in the background: it runs only when
 * nothing else is queued, a newer warm-up replaces a queued one, and any other request
 * stops it between chunks (what it computed stays in the cache).
 */
export interface CacheWarm { type: 'cache.warm'; id: number; prompt: PromptInput }
/** Stops a generation between tokens, or a warm-up between chunks. */
export interface GenerateInterrupt { type: 'generate.interrupt'; id: number }
export interface ModelDispose { type: 'model.dispose'; id: number }
export type HostMessage = ModelLoad | GenerateStart | CacheWarm | GenerateInterrupt | ModelDispose;

// ---- worker → host ----
export interface ModelLoaded {
  type: 'model.loaded';
  id: number;
  dir: string;
  device: Device;
  dtype: Dtype;
  /** Why the requested device was not used (CUDA asked for, CPU given). */
  fallbackReason?: string;
  ms: number;
}
export interface GenerateText { type: 'generate.text'; id: number; text: string }
export interface GenerateDone {
  type: 'generate.done';
  id: number;
  text: string;
  reason: StopReason;
  stats: GenerationStats;
  /** Natural-log probability of each generated token (confidence.ts). */
  logprobs: number[];
}
export interface CacheWarmed { type: 'cache.warmed'; id: number; stats: WarmStats }
export interface ModelDisposed { type: 'model.disposed'; id: number }
export interface RequestFailed { type: 'request.failed'; id: number; message: string }
export interface WorkerLog { type: 'worker.log'; level: 'info' | 'warn' | 'error'; message: string }
export type WorkerMessage = ModelLoaded | GenerateText | GenerateDone | CacheWarmed | ModelDisposed | RequestFailed | WorkerLog;

// ---- guards ----
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const oneOf = <T extends string>(v: unknown, values: readonly T[]): v is T => isStr(v) && (values as readonly string[]).includes(v);

const DEVICES = ['cpu', 'cuda'] as const;
const DTYPES = ['q8', 'fp32'] as const;
const STOP_AT = ['sentence', 'paragraph', 'none'] as const;
const ROLES = ['system', 'user', 'assistant'] as const;
const REASONS = ['eos', 'max-tokens', 'sentence', 'paragraph', 'repeat', 'interrupted'] as const;
const LEVELS = ['info', 'warn', 'error'] as const;

export function isSampling(v: unknown): v is SamplingOptions {
  return isObj(v) && isNum(v.temperature) && v.temperature >= 0 && isNum(v.topK) && v.topK >= 0
    && isNum(v.repetitionPenalty) && v.repetitionPenalty > 0 && isNum(v.repetitionWindow) && Number.isInteger(v.repetitionWindow)
    && v.repetitionWindow >= 0 && isNum(v.maxNewTokens) && v.maxNewTokens >= 1;
}

export function isPromptInput(v: unknown): v is PromptInput {
  if (!isObj(v)) return false;
  if (v.kind === 'continuation') return isStr(v.before) && isNum(v.budgetTokens) && v.budgetTokens > 0 && (v.after === undefined || isStr(v.after));
  if (v.kind === 'chat') {
    return Array.isArray(v.messages) && v.messages.length > 0
      && v.messages.every((m) => isObj(m) && oneOf(m.role, ROLES) && isStr(m.content));
  }
  return false;
}

export function isHostMessage(v: unknown): v is HostMessage {
  if (!isObj(v) || !isNum(v.id)) return false;
  switch (v.type) {
    case 'model.load': return isStr(v.dir) && oneOf(v.device, DEVICES) && oneOf(v.dtype, DTYPES) && isNum(v.threads);
    case 'generate.start':
      return isPromptInput(v.prompt) && isSampling(v.sampling) && isObj(v.stop) && oneOf(v.stop.at, STOP_AT)
        && isStr(v.stop.after) && typeof v.reuseCache === 'boolean' && typeof v.stream === 'boolean';
    case 'cache.warm': return isPromptInput(v.prompt);
    case 'generate.interrupt': case 'model.dispose': return true;
    default: return false;
  }
}

function isStats(v: unknown): v is GenerationStats {
  return isObj(v) && isNum(v.promptTokens) && isNum(v.reusedTokens) && isNum(v.newTokens) && isNum(v.ms)
    && (v.window === undefined || v.window === 'full' || v.window === 'quick');
}

function isWarmStats(v: unknown): v is WarmStats {
  return isObj(v) && isNum(v.promptTokens) && isNum(v.cachedTokens) && isNum(v.computedTokens) && typeof v.complete === 'boolean' && isNum(v.ms)
    && (v.quick === undefined || (isObj(v.quick) && isNum(v.quick.promptTokens) && isNum(v.quick.cachedTokens)));
}

export function isWorkerMessage(v: unknown): v is WorkerMessage {
  if (!isObj(v)) return false;
  if (v.type === 'worker.log') return oneOf(v.level, LEVELS) && isStr(v.message);
  if (!isNum(v.id)) return false;
  switch (v.type) {
    case 'model.loaded':
      return isStr(v.dir) && oneOf(v.device, DEVICES) && oneOf(v.dtype, DTYPES) && isNum(v.ms)
        && (v.fallbackReason === undefined || isStr(v.fallbackReason));
    case 'generate.text': return isStr(v.text);
    case 'generate.done': return isStr(v.text) && oneOf(v.reason, REASONS) && isStats(v.stats) && Array.isArray(v.logprobs) && v.logprobs.every(isNum);
    case 'cache.warmed': return isWarmStats(v.stats);
    case 'model.disposed': return true;
    case 'request.failed': return isStr(v.message);
    default: return false;
  }
}
