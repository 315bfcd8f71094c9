// Key/value-cache reuse across keystrokes. The worker keeps the cache of its last
// request; the next prompt usually shares all but its last few tokens with it (the
// writer typed a character, or rejected the suggestion). The cache is cropped to the
// longest common token prefix and only the rest is computed. At least one prompt token
// is always left uncached: its logits are what the next token is sampled from.
// Type-only: this file builds tensors and caches with the constructors of the ones it is given,
// so it needs no runtime import of transformers.js (an ES module; this code is CommonJS).
import type { DynamicCache, Tensor } from '@huggingface/transformers' with { 'resolution-mode': 'import' };

export function commonPrefixLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** How many of `prompt`'s tokens can come from a cache that covers `cachedIds[0..cachedLength)` (never all of them). */
export function reusableLength(cachedIds: ArrayLike<number>, cachedLength: number, prompt: ArrayLike<number>): number {
  const limit = Math.min(cachedLength, cachedIds.length, prompt.length - 1);
  let i = 0;
  while (i < limit && cachedIds[i] === prompt[i]) i++;
  return Math.max(0, i);
}

type Float = Float32Array | Float64Array | Uint16Array;

/** The first `keep` positions of a [batch, heads, seq, headDim] tensor (a copy: ONNX Runtime needs contiguous inputs). */
export function cropTensor(t: Tensor, keep: number): Tensor {
  const dims = t.dims;
  const seq = dims.at(-2)!;
  if (keep === seq) return t;
  if (keep > seq || keep < 0) throw new RangeError(`cannot crop a cache of ${seq} positions to ${keep}`);
  const width = dims.at(-1)!;
  const outer = dims.slice(0, -2).reduce((a, b) => a * b, 1);
  const src = t.data as Float;
  const Ctor = src.constructor as new (n: number) => Float;
  const out = new Ctor(outer * keep * width);
  for (let o = 0; o < outer; o++) out.set(src.subarray(o * seq * width, o * seq * width + keep * width), o * keep * width);
  const TensorCtor = t.constructor as new (type: string, data: Float, dims: number[]) => Tensor;
  return new TensorCtor(t.type, out, [...dims.slice(0, -2), keep, width]);
}

/** The cache's sequence length (0 when empty). */
export function cacheLength(cache: DynamicCache): number {
  return cache.get_seq_length();
}

/** A cache holding the first `keep` positions of `cache`. */
export function cropCache(cache: DynamicCache, keep: number): DynamicCache {
  const entries: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(cache) as Array<[string, Tensor]>) {
    entries[name] = name.startsWith('past_key_values.') ? cropTensor(tensor, keep) : tensor;
  }
  const CacheCtor = cache.constructor as new (entries: Record<string, Tensor>) => DynamicCache;
  return new CacheCtor(entries);
}

/** The cache of the last request and the token ids it covers. */
export class KvCacheSlot {
  private ids: number[] = [];
  private cache: DynamicCache | undefined;

  /**
   * The cache for a new prompt, cropped to what it shares with the last one, and how many
   * prompt tokens that covers. The slot is emptied: the caller stores the new cache after generating.
   */
  take(prompt: readonly number[]): { cache: DynamicCache | undefined; reused: number } {
    const cache = this.cache;
    const ids = this.ids;
    this.clear();
    if (!cache) return { cache: undefined, reused: 0 };
    const length = cacheLength(cache);
    const reused = reusableLength(ids, length, prompt);
    if (reused === 0) return { cache: undefined, reused: 0 };
    return { cache: reused === length ? cache : cropCache(cache, reused), reused };
  }

  /** `ids`: the whole sequence (prompt + generated); the cache covers a prefix of it. */
  store(ids: readonly number[], cache: DynamicCache): void {
    this.ids = [...ids];
    this.cache = cache;
  }

  clear(): void {
    this.ids = [];
    this.cache = undefined;
  }
}
