// The inference worker: onnxruntime-node (the decode loop, decoder.ts) and the model's
// tokenizer and chat template (modelTokenizer.ts) on a worker thread, because loading a model and each session.run block
// their thread for up to seconds, and the extension host's thread must never stall. One
// model at a time (swapped when the voice changes), local files only. Requests run one after another; generation stops
// between tokens when interrupted (terminating the thread mid-run aborts the process).
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { chooseWindow, QUICK_CONTEXT_TOKENS, type ContextWindow } from './contextWindow';
import { Decoder } from './decoder';
import type { KvCache } from './kvCache';
import { openDecoderSession } from './decoderSession';
import { modelFile, modelFiles } from './modelLocator';
import { ModelTokenizer } from './modelTokenizer';
import { buildContinuationPrompt, buildFillInTheMiddlePrompt, joinSuggestion, plainPrompt, type TokenCounter } from './prompt';
import {
  isHostMessage,
  type CacheWarm,
  type Device,
  type Dtype,
  type GenerateStart,
  type HostMessage,
  type ModelLoad,
  type PromptInput,
  type StopReason,
  type WarmStats,
  type WorkerMessage,
} from './protocol';
import { checkStop, finalizeSuggestion, type StopKind } from './stopping';

if (!parentPort) throw new Error('worker.ts runs as a worker thread (see workerHost.ts)');
const port = parentPort;

interface Loaded {
  dir: string;
  device: Device;
  dtype: Dtype;
  session: InferenceSession;
  tokenizer: ModelTokenizer;
  counter: TokenCounter;
  eos: number[];
  decoder: Decoder;
  /** Ghost text's cache, carried from keystroke to keystroke. */
  kept: KvCache;
  /** Ghost text's quick window's cache (contextWindow.ts). */
  quick: KvCache;
  /** For requests that do not reuse one (rewrites): they leave ghost text's cache alone. */
  scratch: KvCache;
}

let loaded: Loaded | undefined;
const queue: HostMessage[] = [];
let running: { id: number; interrupted: boolean; warm?: boolean } | undefined;
/**
 * Positions a warm-up computes per session run: a request arriving meanwhile waits for at
 * most one (~0.18 s on 2 cores). 1,500 tokens took 4.6 s in runs of 64, 4.2 s in runs of 128,
 * 4.0 s in runs of 256, but the first suggestion comes from the quick window long before the
 * full one is done, so the shorter wait wins: bench/first_suggestion.ts p50 0.81-0.83 s in
 * runs of 64 against 1.01-1.23 s in runs of 128 (back to back, 2 idle cores).
 */
const WARM_CHUNK_TOKENS = 64;
let pumping = false;

function send(m: WorkerMessage): void {
  port.postMessage(m);
}

port.on('message', (raw: unknown) => {
  if (!isHostMessage(raw)) {
    send({ type: 'worker.log', level: 'error', message: `ignored a malformed message: ${JSON.stringify(raw).slice(0, 200)}` });
    return;
  }
  if (raw.type === 'generate.interrupt') {
    // Delivered between tokens: onnxruntime-node runs each step from a setImmediate, so the event loop turns.
    if (running?.id === raw.id) running.interrupted = true;
    const queued = queue.findIndex((m) => (m.type === 'generate.start' || m.type === 'cache.warm') && m.id === raw.id);
    if (queued >= 0) dropQueued(queued);
    return;
  }
  // A warm-up runs only when nothing else waits: anything else stops one between chunks
  // and drops those queued (the request fills the cache for where the writer is now), and a
  // newer warm-up replaces a queued one.
  if (running?.warm) running.interrupted = true;
  for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.type === 'cache.warm') dropQueued(i);
  queue.push(raw);
  void pump();
});

/** Takes a queued request out, answering it as stopped. */
function dropQueued(index: number): void {
  const [m] = queue.splice(index, 1);
  if (m?.type === 'generate.start') {
    send({ type: 'generate.done', id: m.id, text: '', reason: 'interrupted', stats: { promptTokens: 0, reusedTokens: 0, newTokens: 0, ms: 0 }, logprobs: [] });
  } else if (m?.type === 'cache.warm' && m.id >= 0) {
    send({ type: 'cache.warmed', id: m.id, stats: { promptTokens: 0, cachedTokens: 0, computedTokens: 0, complete: false, ms: 0 } });
  }
}

async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  try {
    for (let m = queue.shift(); m; m = queue.shift()) {
      try {
        await handle(m);
      } catch (e) {
        send({ type: 'request.failed', id: m.id, message: e instanceof Error ? e.message : String(e) });
      }
    }
  } finally {
    pumping = false;
  }
}

async function handle(m: HostMessage): Promise<void> {
  switch (m.type) {
    case 'generate.interrupt': return; // handled on arrival
    case 'model.load': return load(m);
    case 'generate.start': return generate(m);
    case 'cache.warm': return warm(m);
    case 'model.dispose':
      await unload();
      send({ type: 'model.disposed', id: m.id });
      return;
  }
}

async function unload(): Promise<void> {
  const old = loaded;
  loaded = undefined;
  if (old) await old.session.release();
}

async function load(m: ModelLoad): Promise<void> {
  const t0 = performance.now();
  const files = modelFiles(m.dir);
  if (!files) throw new Error(`${m.dir} is not an ONNX model folder (config.json, tokenizer.json, onnx/model*.onnx)`);
  const dtype: Dtype = files.dtypes.includes(m.dtype) ? m.dtype : files.dtypes[0]!;
  await unload();
  const tokenizer = await ModelTokenizer.load(m.dir);
  const eos = eosIds(m.dir, tokenizer);
  const { session, device, fallbackReason } = await openDecoderSession(modelFile(m.dir, files, dtype), { device: m.device, threads: m.threads });
  const decoder = new Decoder(session, Tensor);
  loaded = {
    dir: m.dir, device, dtype, session, tokenizer, counter: memoizedCounter(tokenizer), eos,
    decoder, kept: decoder.newCache(), quick: decoder.newCache(), scratch: decoder.newCache(),
  };
  send({ type: 'model.loaded', id: m.id, dir: m.dir, device, dtype, fallbackReason, ms: Math.round(performance.now() - t0) });
}

/** Tokens that end a generation: the model's generation config's, its config's and the tokenizer's. */
function eosIds(dir: string, tokenizer: ModelTokenizer): number[] {
  const ids = new Set<number>();
  const add = (v: unknown) => {
    if (typeof v === 'number') ids.add(v);
    else if (Array.isArray(v)) v.forEach(add);
  };
  for (const name of ['generation_config.json', 'config.json']) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    try {
      add((JSON.parse(readFileSync(file, 'utf8')) as { eos_token_id?: unknown }).eos_token_id);
    } catch (e) {
      throw new Error(`${file} is not valid JSON (${e instanceof Error ? e.message : String(e)}): export the voice again, or run set-up for the default model.`, { cause: e });
    }
  }
  add(tokenizer.eosTokenId);
  return [...ids];
}

/** Token counts of paragraphs: only the paragraph being typed changes between keystrokes. */
function memoizedCounter(tokenizer: ModelTokenizer): TokenCounter {
  const memo = new Map<string, number>();
  return {
    countTokens(text: string): number {
      let n = memo.get(text);
      if (n === undefined) {
        n = tokenizer.encode(text, { addSpecialTokens: false }).length;
        if (memo.size > 4096) memo.clear();
        memo.set(text, n);
      }
      return n;
    },
  };
}

/** The prompt's token ids, and the whitespace cut off its end; undefined when there is nothing to continue. */
function promptOf(input: PromptInput, model: Loaded): { ids: number[]; leadingTrim: string } | undefined {
  const { tokenizer } = model;
  if (input.kind === 'continuation') {
    const prompt = input.after !== undefined && /\S/.test(input.after)
      ? buildFillInTheMiddlePrompt(input.before, input.after, input.budgetTokens, model.counter)
      : buildContinuationPrompt(input.before, input.budgetTokens, model.counter);
    if (!prompt) return undefined;
    // Same call as a raw training segment (and a fill-in-the-middle prompt): the tokenizer's own special-token handling.
    return { ids: tokenizer.encode(prompt.text), leadingTrim: prompt.trimmedWhitespace };
  }
  // As the engine formats instruction pairs (data.py prompt_ids): the chat template writes its
  // own special tokens; the plain format of a base model gets the tokenizer's usual ones.
  const ids = tokenizer.chatTemplate
    ? tokenizer.encode(tokenizer.renderChat(input.messages, { addGenerationPrompt: true }), { addSpecialTokens: false })
    : tokenizer.encode(plainPrompt(input.messages));
  return { ids, leadingTrim: '' };
}

/**
 * Ghost text's windows for a continuation kept across keystrokes: the full one (its budget)
 * and, when that is longer, the quick one (contextWindow.ts), each with its own cache.
 */
function ghostWindows(input: PromptInput, model: Loaded): { full: ContextWindow; quick?: ContextWindow } | undefined {
  const full = promptOf(input, model);
  if (!full) return undefined;
  const windows: { full: ContextWindow; quick?: ContextWindow } = { full: { ...full, cache: model.kept } };
  if (input.kind === 'continuation' && input.budgetTokens > QUICK_CONTEXT_TOKENS) {
    const quick = promptOf({ ...input, budgetTokens: QUICK_CONTEXT_TOKENS }, model);
    if (quick && quick.ids.length < full.ids.length) windows.quick = { ...quick, cache: model.quick };
  }
  return windows;
}

/**
 * Fills ghost text's caches for a prompt, a chunk at a time, until done or anything else
 * arrives: the quick window first (a suggestion soon after can be written from it), then the
 * full one. An internal warm-up (negative id, after a suggestion from the quick window) answers no one.
 */
async function warm(m: CacheWarm): Promise<void> {
  const t0 = performance.now();
  if (!loaded) throw new Error('no model is loaded (send model.load first)');
  const windows = ghostWindows(m.prompt, loaded);
  const job = { id: m.id, interrupted: false, warm: true };
  running = job;
  try {
    const fill = (w: ContextWindow) => loaded!.decoder.prefill({ prompt: w.ids, cache: w.cache, chunkTokens: WARM_CHUNK_TOKENS, shouldStop: () => job.interrupted });
    const quick = windows?.quick ? await fill(windows.quick) : undefined;
    const full = windows && (!quick || quick.complete)
      ? await fill(windows.full)
      : { cached: windows?.full.cache.reusable(windows.full.ids) ?? 0, computed: 0, complete: !windows };
    const stats: WarmStats = {
      promptTokens: windows?.full.ids.length ?? 0, cachedTokens: full.cached, computedTokens: full.computed + (quick?.computed ?? 0), complete: full.complete,
      ms: Math.round(performance.now() - t0),
      ...(windows?.quick && quick ? { quick: { promptTokens: windows.quick.ids.length, cachedTokens: quick.cached } } : {}),
    };
    if (m.id >= 0) send({ type: 'cache.warmed', id: m.id, stats });
  } finally {
    running = undefined;
  }
}

async function generate(m: GenerateStart): Promise<void> {
  const t0 = performance.now();
  if (!loaded) throw new Error('no model is loaded (send model.load first)');
  const { tokenizer, decoder } = loaded;
  const empty = (reason: StopReason) => send({ type: 'generate.done', id: m.id, text: '', reason, stats: { promptTokens: 0, reusedTokens: 0, newTokens: 0, ms: Math.round(performance.now() - t0) }, logprobs: [] });

  // Requests that keep the cache (ghost text) are written from a window (contextWindow.ts); others from scratch.
  const windows = m.reuseCache ? ghostWindows(m.prompt, loaded) : undefined;
  const chosen = windows ? chooseWindow(windows.full, windows.quick) : undefined;
  const prompt = chosen?.window ?? promptOf(m.prompt, loaded);
  if (!prompt) return empty('eos');
  const { ids: promptIds, leadingTrim } = prompt;
  const cache = chosen?.window.cache ?? loaded.scratch;

  const job = { id: m.id, interrupted: false };
  running = job;
  try {
    const decode = (ids: readonly number[]) => joinSuggestion({ trimmedWhitespace: leadingTrim },
      tokenizer.decode(ids, { skipSpecialTokens: true }));
    let stopReason: StopKind | 'interrupted' | undefined;
    let lastSent = '';
    const { generated, reused, eos, logprobs, stopped } = await decoder.generate({
      prompt: promptIds,
      sampling: m.sampling,
      eos: loaded.eos,
      cache,
      reuseCache: m.reuseCache,
      shouldStop: () => job.interrupted,
      onToken: (ids) => {
        // A token can end inside a multi-byte character: hold back the replacement character until it completes.
        const check = checkStop(decode(ids).replace(/\uFFFD+$/, ''), m.stop);
        if (m.stream && check.text !== lastSent) {
          lastSent = check.text;
          send({ type: 'generate.text', id: m.id, text: check.text });
        }
        // Interrupts arrive between steps: onnxruntime-node starts each run from setImmediate, so the event loop turns.
        stopReason = check.stop ? check.reason : job.interrupted ? 'interrupted' : undefined;
        return stopReason !== undefined;
      },
    });
    const reason: StopReason = stopReason ?? (stopped ? 'interrupted' : eos ? 'eos' : 'max-tokens');
    const raw = decode(generated);
    const text = m.prompt.kind === 'continuation' ? finalizeSuggestion(raw, m.stop) : checkStop(raw, m.stop).text.trim();
    send({
      type: 'generate.done', id: m.id, text, reason,
      stats: {
        promptTokens: promptIds.length, reusedTokens: reused, newTokens: generated.length, ms: Math.round(performance.now() - t0),
        ...(chosen ? { window: chosen.quick ? 'quick' : 'full' } : {}),
      },
      logprobs,
    });
    // Written from the quick window: read the full one in the background until something else arrives.
    if (chosen?.quick && !queue.some((q) => q.type !== 'cache.warm')) queue.push({ type: 'cache.warm', id: -1, prompt: m.prompt });
  } finally {
    running = undefined;
  }
}
