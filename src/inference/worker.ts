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
import { Decoder } from './decoder';
import type { KvCache } from './kvCache';
import { openDecoderSession } from './decoderSession';
import { modelFile, modelFiles } from './modelLocator';
import { ModelTokenizer } from './modelTokenizer';
import { buildContinuationPrompt, joinSuggestion, plainPrompt, type TokenCounter } from './prompt';
import {
  isHostMessage,
  type Device,
  type Dtype,
  type GenerateStart,
  type HostMessage,
  type ModelLoad,
  type StopReason,
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
  /** For requests that do not reuse one (rewrites): they leave ghost text's cache alone. */
  scratch: KvCache;
}

let loaded: Loaded | undefined;
const queue: HostMessage[] = [];
let running: { id: number; interrupted: boolean } | undefined;
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
    const queued = queue.findIndex((m) => m.type === 'generate.start' && m.id === raw.id);
    if (queued >= 0) {
      queue.splice(queued, 1);
      send({ type: 'generate.done', id: raw.id, text: '', reason: 'interrupted', stats: { promptTokens: 0, reusedTokens: 0, newTokens: 0, ms: 0 } });
    }
    return;
  }
  queue.push(raw);
  void pump();
});

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
    decoder, kept: decoder.newCache(), scratch: decoder.newCache(),
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

async function generate(m: GenerateStart): Promise<void> {
  const t0 = performance.now();
  if (!loaded) throw new Error('no model is loaded (send model.load first)');
  const { tokenizer, decoder } = loaded;
  const empty = (reason: StopReason) => send({ type: 'generate.done', id: m.id, text: '', reason, stats: { promptTokens: 0, reusedTokens: 0, newTokens: 0, ms: Math.round(performance.now() - t0) } });

  let promptIds: number[];
  let leadingTrim = '';
  if (m.prompt.kind === 'continuation') {
    const prompt = buildContinuationPrompt(m.prompt.before, m.prompt.budgetTokens, loaded.counter);
    if (!prompt) return empty('eos');
    leadingTrim = prompt.trimmedWhitespace;
    // Same call as a raw training segment: the tokenizer's own special-token handling.
    promptIds = tokenizer.encode(prompt.text);
  } else {
    // As the engine formats instruction pairs (data.py prompt_ids): the chat template writes its
    // own special tokens; the plain format of a base model gets the tokenizer's usual ones.
    promptIds = tokenizer.chatTemplate
      ? tokenizer.encode(tokenizer.renderChat(m.prompt.messages, { addGenerationPrompt: true }), { addSpecialTokens: false })
      : tokenizer.encode(plainPrompt(m.prompt.messages));
  }

  const job = { id: m.id, interrupted: false };
  running = job;
  try {
    const decode = (ids: readonly number[]) => joinSuggestion({ trimmedWhitespace: leadingTrim },
      tokenizer.decode(ids, { skipSpecialTokens: true }));
    let stopReason: StopKind | 'interrupted' | undefined;
    let lastSent = '';
    const { generated, reused, eos } = await decoder.generate({
      prompt: promptIds,
      sampling: m.sampling,
      eos: loaded.eos,
      cache: m.reuseCache ? loaded.kept : loaded.scratch,
      reuseCache: m.reuseCache,
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
    const reason: StopReason = stopReason ?? (eos ? 'eos' : 'max-tokens');
    const raw = decode(generated);
    const text = m.prompt.kind === 'continuation' ? finalizeSuggestion(raw, m.stop) : checkStop(raw, m.stop).text.trim();
    send({
      type: 'generate.done', id: m.id, text, reason,
      stats: { promptTokens: promptIds.length, reusedTokens: reused, newTokens: generated.length, ms: Math.round(performance.now() - t0) },
    });
  } finally {
    running = undefined;
  }
}
