// The decode loop: runs the exported decoder (an optimum-style ONNX graph: input_ids,
// attention_mask, position_ids, past_key_values.* in; logits, present.* out) one token at
// a time on an ONNX Runtime session. It replaces transformers.js's generate() in the
// worker because per token that spent more time around the session than in it: every
// step allocated the whole key/value cache anew, copied it out of ONNX Runtime into
// JavaScript and left the old one to the garbage collector. Here the cache lives in
// buffers ONNX Runtime reads from and writes into (kvCache.ts); with an export of format
// 4 attention reads the past as it is and only the step's new positions come back.
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { KvCache, type KvLayout, type KvType } from './kvCache';
import type { SamplingOptions } from './protocol';
import { logProbability, pickToken, RecentTokens } from './sampling';

/** onnxruntime-node's Tensor class: the one the session's own package checks inputs against. */
export type TensorClass = typeof Tensor;

export interface DecodeRequest {
  prompt: readonly number[];
  sampling: SamplingOptions;
  eos: readonly number[];
  /** Where the keys/values go (Decoder.newCache()); it is left holding this request's. */
  cache: KvCache;
  /** Start from what `cache` holds, cropped to the prefix it shares with this prompt. */
  reuseCache: boolean;
  /** After each new token, with all tokens generated so far: true stops generation. */
  onToken?: (generated: readonly number[]) => boolean;
  /** [0, 1) for sampling; Math.random by default. */
  random?: () => number;
  /** Asked between the runs of a long uncomputed prompt: true stops before the first token (what was read stays cached). */
  shouldStop?: () => boolean;
}

export interface DecodeResult {
  generated: number[];
  /** Prompt tokens whose keys/values came from the cache. */
  reused: number;
  /** The last generated token is an end-of-sequence token. */
  eos: boolean;
  /** Per generated token, its natural-log probability where it was picked (after the repetition penalty, before temperature). */
  logprobs: number[];
  /** shouldStop() turned true while the prompt was read: nothing was generated. */
  stopped?: boolean;
}

export interface PrefillRequest {
  prompt: readonly number[];
  cache: KvCache;
  /** Positions per session run: a run cannot be stopped, so this bounds how long a stop waits. */
  chunkTokens: number;
  /** Checked before each chunk: true stops (what is computed stays in the cache). */
  shouldStop?: () => boolean;
}

export interface PrefillResult {
  /** Prompt positions the cache holds now. */
  cached: number;
  /** Of them, computed by this call (the rest were already there). */
  computed: number;
  /** Everything a generation from this prompt can take from the cache is there (all but its last token). */
  complete: boolean;
}

/** Prompt positions per session run when a prompt is computed (generate, prefill's callers): about the fastest on 2 cores. */
export const PROMPT_CHUNK = 256;

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/** The cache layout from the session's inputs ([batch, heads, past, headDim] entries) and outputs. */
export function kvLayout(session: Pick<InferenceSession, 'inputMetadata' | 'outputNames'>): KvLayout {
  const entries = session.inputMetadata.filter((m) => PAST.test(m.name));
  if (entries.length === 0) throw new Error('The ONNX model has no past_key_values inputs: it was not exported with a key/value cache.');
  const first = entries[0]!;
  if (!first.isTensor) throw new Error(`${first.name} is not a tensor input.`);
  const [, heads, , headDim] = first.shape;
  if (typeof heads !== 'number' || typeof headDim !== 'number') {
    throw new Error(`${first.name} has no fixed head count and size (shape ${JSON.stringify(first.shape)}).`);
  }
  if (first.type !== 'float16' && first.type !== 'float32') throw new Error(`${first.name} is ${first.type}; float16 or float32 expected.`);
  const names = entries.map((m) => m.name);
  // Exports from format 4 on also output each step's own positions: the cache is kept in place (kvCache.ts).
  const kept = names.every((n) => session.outputNames.includes(n.replace(PAST, 'new_key_values.$1.$2')));
  return { names, heads, headDim, type: first.type as KvType, kept };
}

export class Decoder {
  readonly layout: KvLayout;
  /** What each past entry's step output is called: new_key_values.N.* (kept) or present.N.* (appended). */
  private readonly outputNames: string[];
  private readonly takesPositions: boolean;
  private readonly takesLogitsToKeep: boolean;

  /** `appended`: use the appending binding even where the export allows keeping the cache (tests compare the two). */
  constructor(private readonly session: InferenceSession, private readonly TensorCtor: TensorClass, options: { appended?: boolean } = {}) {
    const layout = kvLayout(session);
    this.layout = options.appended ? { ...layout, kept: false } : layout;
    this.outputNames = this.layout.names.map((n) => n.replace(PAST, this.layout.kept ? 'new_key_values.$1.$2' : 'present.$1.$2'));
    const missing = this.outputNames.filter((n) => !session.outputNames.includes(n));
    if (missing.length > 0) throw new Error(`The ONNX model lacks the outputs ${missing.slice(0, 2).join(', ')}${missing.length > 2 ? '…' : ''}.`);
    this.takesPositions = session.inputNames.includes('position_ids');
    this.takesLogitsToKeep = session.inputNames.includes('num_logits_to_keep');
  }

  /** An empty cache for this model (its buffers are reused by every request given it). */
  newCache(capacity?: number): KvCache {
    return new KvCache(this.layout, capacity);
  }

  async generate(req: DecodeRequest): Promise<DecodeResult> {
    const reused = req.cache.prepare(req.prompt, req.reuseCache);
    const generated: number[] = [];
    const logprobs: number[] = [];
    if (req.sampling.maxNewTokens <= 0) return { generated, reused, eos: false, logprobs };
    // A long uncomputed prompt goes in runs of PROMPT_CHUNK: one run of 860 positions on top
    // of 640 cached took 3.2 s, four of up to 256 took 2.4 s (2 cores, q8).
    // A keystroke meanwhile stops it between runs (a cold prompt of 1,500 tokens is seconds of work).
    if (req.prompt.length - 1 - reused > PROMPT_CHUNK) {
      const read = await this.prefill({ prompt: req.prompt, cache: req.cache, chunkTokens: PROMPT_CHUNK, shouldStop: req.shouldStop });
      if (!read.complete) return { generated, reused, eos: false, logprobs, stopped: true };
    }
    const fed = [...req.prompt];
    const seen = new RecentTokens(req.sampling.repetitionWindow, req.prompt);
    let input = req.prompt.slice(req.cache.length);
    for (;;) {
      const logits = await this.step(req.cache, input, fed);
      const token = pickToken(logits, seen, req.sampling, req.random);
      generated.push(token);
      logprobs.push(logProbability(logits, token));
      seen.push(token);
      const eos = req.eos.includes(token);
      if (eos || generated.length >= req.sampling.maxNewTokens || req.onToken?.(generated)) return { generated, reused, eos, logprobs };
      fed.push(token);
      input = [token];
    }
  }

  /**
   * Fills the cache for `prompt` ahead of a generation from it (the cache warm-up: a
   * document just focused, the cursor at rest), `chunkTokens` positions per run so that a
   * stop waits at most one chunk. Keeps what the cache shares with the prompt and computes
   * the rest but its last token, which a generation computes for its logits anyway: a
   * generation from this prompt then takes all the rest from the cache.
   */
  async prefill(req: PrefillRequest): Promise<PrefillResult> {
    const { cache, prompt } = req;
    const target = prompt.length - 1;
    cache.prepare(prompt, true);
    let computed = 0;
    while (cache.length < target) {
      if (req.shouldStop?.()) return { cached: cache.length, computed, complete: false };
      const start = cache.length;
      const end = Math.min(target, start + Math.max(1, req.chunkTokens));
      await this.step(cache, prompt.slice(start, end), prompt.slice(0, end));
      computed += end - start;
    }
    return { cached: cache.length, computed, complete: true };
  }

  /**
   * Computes `input` (the last tokens of `fed`) on top of the cache; the cache then covers
   * all of `fed`. Returns the logits of the last input token.
   */
  private async step(cache: KvCache, input: readonly number[], fed: readonly number[]): Promise<Float32Array> {
    const T = this.TensorCtor;
    const { heads, headDim, type } = cache.layout;
    const start = cache.length;
    if (start + input.length !== fed.length) throw new Error(`decode step covers ${start + input.length} positions but ${fed.length} tokens were fed`);
    const b = cache.bind(input.length);

    const feeds: Record<string, Tensor> = {
      input_ids: new T('int64', BigInt64Array.from(input, BigInt), [1, input.length]),
      attention_mask: new T('int64', b.mask, [1, b.mask.length]),
    };
    // Positions count real tokens only: a kept cache's unused rows are masked, not counted.
    if (this.takesPositions) feeds.position_ids = new T('int64', BigInt64Array.from(input, (_, i) => BigInt(start + i)), [1, input.length]);
    if (this.takesLogitsToKeep) feeds.num_logits_to_keep = new T('int64', BigInt64Array.of(1n), []);
    // Outputs ONNX Runtime writes into the cache's buffers; logits it allocates. (A session
    // whose graph still has present.* computes them unfetched, since ONNX Runtime runs every
    // node: the worker's, from decoderSession.ts, has none.)
    const fetches: Record<string, Tensor | null> = { logits: null };
    cache.layout.names.forEach((name, i) => {
      feeds[name] = new T(type, b.past(i), [1, heads, b.pastPositions, headDim]);
      fetches[this.outputNames[i]!] = new T(type, b.output(i), [1, heads, b.outputPositions, headDim]);
    });

    const out = await this.session.run(feeds, fetches);
    cache.advance(fed);
    const logits = out.logits!;
    if (logits.type !== 'float32') throw new Error(`The ONNX model's logits are ${logits.type}; float32 expected.`);
    const vocab = logits.dims.at(-1)!;
    const rows = logits.size / vocab;
    return (logits.data as Float32Array).subarray((rows - 1) * vocab, rows * vocab);
  }
}
