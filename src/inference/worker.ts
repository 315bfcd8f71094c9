// The inference worker: transformers.js + onnxruntime-node on a worker thread, because
// loading a model and each session.run block their thread for up to seconds, and the
// extension host's thread must never stall. One model at a time (swapped when the
// voice changes), local files only. Requests run one after another; generation stops
// between tokens when interrupted (terminating the thread mid-run aborts the process).
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicCache, PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers' with { 'resolution-mode': 'import' };
import { KvCacheSlot } from './kvCache';
import { modelFiles } from './modelLocator';
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

type Transformers = typeof import('@huggingface/transformers', { with: { 'resolution-mode': 'import' } });

/** transformers.js is an ES module and this file CommonJS: load it once, on the first message. */
const library: Promise<Transformers> = import('@huggingface/transformers').then((tf) => {
  // Never reach for the network; the bundled defaults would look inside the extension folder.
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  tf.env.localModelPath = '/';
  tf.env.cacheDir = join(tmpdir(), 'voice-draft-transformers-cache');
  return tf;
});

interface Loaded {
  dir: string;
  device: Device;
  dtype: Dtype;
  model: PreTrainedModel;
  tokenizer: PreTrainedTokenizer;
  counter: TokenCounter;
  eos: number[];
}

let loaded: Loaded | undefined;
const kv = new KvCacheSlot();
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
  kv.clear();
  const old = loaded;
  loaded = undefined;
  if (old) await old.model.dispose();
}

async function load(m: ModelLoad): Promise<void> {
  const t0 = performance.now();
  const files = modelFiles(m.dir);
  if (!files) throw new Error(`${m.dir} is not an ONNX model folder (config.json, tokenizer.json, onnx/model*.onnx)`);
  const dtype: Dtype = files.dtypes.includes(m.dtype) ? m.dtype : files.dtypes[0]!;
  const { AutoModelForCausalLM, AutoTokenizer } = await library;
  await unload();
  const tokenizer = await AutoTokenizer.from_pretrained(m.dir, { local_files_only: true });
  const open = (device: Device) => AutoModelForCausalLM.from_pretrained(m.dir, {
    local_files_only: true,
    dtype,
    device,
    subfolder: files.subfolder,
    session_options: {
      intraOpNumThreads: m.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // Idle pool threads sleep instead of spinning: on a busy 2-core machine a spinning
      // thread takes the core its partner needs (ghost text after 1,500 tokens, load 5.6:
      // 5.1 s spinning, 2.9 s not), and between tokens it burns CPU the editor needs. On an
      // idle machine spinning was ~10% faster per decode step.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    },
  });
  let device: Device = m.device;
  let fallbackReason: string | undefined;
  let model: PreTrainedModel;
  try {
    model = await open(device);
  } catch (e) {
    if (device !== 'cuda') throw e;
    // CUDA needs onnxruntime-node's CUDA provider files, CUDA 12 and cuDNN 9; any of them missing throws.
    fallbackReason = `CUDA was asked for but could not be used (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); using the CPU.`;
    device = 'cpu';
    model = await open(device);
  }
  loaded = { dir: m.dir, device, dtype, model, tokenizer, counter: memoizedCounter(tokenizer), eos: eosIds(model, tokenizer) };
  send({ type: 'model.loaded', id: m.id, dir: m.dir, device, dtype, fallbackReason, ms: Math.round(performance.now() - t0) });
}

function eosIds(model: PreTrainedModel, tokenizer: PreTrainedTokenizer): number[] {
  const ids = new Set<number>();
  const add = (v: unknown) => {
    if (typeof v === 'number') ids.add(v);
    else if (Array.isArray(v)) v.forEach(add);
  };
  add((model.generation_config as { eos_token_id?: unknown } | undefined)?.eos_token_id);
  add((model.config as { eos_token_id?: unknown }).eos_token_id);
  add(tokenizer.eos_token_id);
  return [...ids];
}

/** Token counts of paragraphs: only the paragraph being typed changes between keystrokes. */
function memoizedCounter(tokenizer: PreTrainedTokenizer): TokenCounter {
  const memo = new Map<string, number>();
  return {
    countTokens(text: string): number {
      let n = memo.get(text);
      if (n === undefined) {
        n = tokenizer.encode(text, { add_special_tokens: false }).length;
        if (memo.size > 4096) memo.clear();
        memo.set(text, n);
      }
      return n;
    },
  };
}

interface SuggestionStop {
  (inputIds: Array<Array<number | bigint>>): boolean[];
  reason: StopKind | 'interrupted' | undefined;
  text: string;
}

/** A stopping criterion: the stop rules or an interrupt end generation; streams the text so far. */
function suggestionStop(
  tf: Transformers,
  job: { id: number; interrupted: boolean },
  promptLength: number,
  decode: (ids: number[]) => string,
  request: GenerateStart,
): SuggestionStop {
  class Stop extends tf.StoppingCriteria {
    reason: StopKind | 'interrupted' | undefined;
    text = '';
    private lastSent = '';

    override _call(inputIds: Array<Array<number | bigint>>): boolean[] {
      const ids = (inputIds[0] ?? []).slice(promptLength).map(Number);
      // A token can end inside a multi-byte character: hold back the replacement character until it completes.
      const text = decode(ids).replace(/\uFFFD+$/, '');
      const check = checkStop(text, request.stop);
      this.text = check.text;
      if (request.stream && this.text !== this.lastSent) {
        this.lastSent = this.text;
        send({ type: 'generate.text', id: request.id, text: this.text });
      }
      if (check.stop) this.reason = check.reason;
      else if (job.interrupted) this.reason = 'interrupted';
      return [this.reason !== undefined];
    }
  }
  return new Stop() as unknown as SuggestionStop;
}

async function generate(m: GenerateStart): Promise<void> {
  const t0 = performance.now();
  const tf = await library;
  if (!loaded) throw new Error('no model is loaded (send model.load first)');
  const { model, tokenizer } = loaded;
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
    const template = (tokenizer as unknown as { chat_template?: unknown }).chat_template;
    promptIds = template
      ? tokenizer.encode(tokenizer.apply_chat_template(m.prompt.messages, { tokenize: false, add_generation_prompt: true }) as string, { add_special_tokens: false })
      : tokenizer.encode(plainPrompt(m.prompt.messages));
  }

  const job = { id: m.id, interrupted: false };
  running = job;
  try {
    const { cache, reused } = m.reuseCache ? kv.take(promptIds) : { cache: undefined, reused: 0 };
    const decode = (ids: number[]) => joinSuggestion({ trimmedWhitespace: leadingTrim },
      tokenizer.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false }));
    const stopper = suggestionStop(tf, job, promptIds.length, decode, m);
    const n = promptIds.length;
    const { temperature, topK, repetitionPenalty, maxNewTokens } = m.sampling;
    const out = (await model.generate({
      input_ids: new tf.Tensor('int64', BigInt64Array.from(promptIds, BigInt), [1, n]),
      attention_mask: new tf.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      ...(cache ? { past_key_values: cache } : {}),
      max_new_tokens: maxNewTokens,
      do_sample: temperature > 0,
      temperature: temperature > 0 ? temperature : 1,
      top_k: topK,
      repetition_penalty: repetitionPenalty,
      eos_token_id: loaded.eos,
      stopping_criteria: [stopper],
      return_dict_in_generate: true,
    } as Record<string, unknown>)) as { sequences: Tensor; past_key_values: DynamicCache };

    const sequence = Array.from(out.sequences.data as BigInt64Array, Number);
    if (m.reuseCache) kv.store(sequence, out.past_key_values);
    const generated = sequence.slice(n);
    let reason: StopReason = stopper.reason ?? 'max-tokens';
    if (!stopper.reason && generated.length > 0 && loaded.eos.includes(generated[generated.length - 1]!)) reason = 'eos';
    const raw = decode(generated);
    const text = m.prompt.kind === 'continuation' ? finalizeSuggestion(raw, m.stop) : checkStop(raw, m.stop).text.trim();
    send({
      type: 'generate.done', id: m.id, text, reason,
      stats: { promptTokens: n, reusedTokens: reused, newTokens: generated.length, ms: Math.round(performance.now() - t0) },
    });
  } finally {
    running = undefined;
  }
}
