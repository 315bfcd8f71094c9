// The key/value cache, kept in buffers the worker owns. Each decode step reads the past
// keys/values from one buffer and ONNX Runtime writes the present ones (past + this
// step's) straight into the other, which it is handed as a pre-allocated output: no
// output is allocated, copied out to JavaScript or garbage-collected per token, and the
// two buffers swap roles each step. The buffers grow (doubling) when a sequence outgrows
// them and are otherwise reused from request to request.
//
// Across keystrokes the next prompt usually shares all but its last few tokens with the
// last request (the writer typed a character, or rejected the suggestion): the cache is
// cropped to the longest common token prefix and only the rest is computed. At least one
// prompt token is always left uncached: its logits are what the next token is sampled from.

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

export type KvArray = Float32Array | Uint16Array;
export type KvType = 'float32' | 'float16';

/** One cache entry's shape: [1, heads, positions, headDim] (the optimum/transformers.js layout). */
export interface KvLayout {
  /** Input names of the past entries (`past_key_values.3.value`), in the session's order. */
  names: string[];
  heads: number;
  headDim: number;
  type: KvType;
}

/**
 * Keeps the positions `[0, keep)` of a [heads, length, headDim] block that starts at the
 * front of `data`, moving each head's rows down so the block stays contiguous ([heads, keep, headDim]).
 */
export function cropInPlace(data: KvArray, heads: number, length: number, headDim: number, keep: number): void {
  if (keep > length || keep < 0) throw new RangeError(`cannot crop a cache of ${length} positions to ${keep}`);
  if (keep === length) return;
  const from = length * headDim;
  const to = keep * headDim;
  // Head 0 is already in place; later heads move down, never over a head not yet moved.
  for (let h = 1; h < heads; h++) data.copyWithin(h * to, h * from, h * from + to);
}

export class KvCache {
  /** Token ids whose keys/values the cache holds (`length` of them). */
  private ids: number[] = [];
  private front: KvArray[];
  private back: KvArray[];
  /** Positions held. */
  length = 0;

  constructor(readonly layout: KvLayout, capacity = 256) {
    this.front = layout.names.map(() => this.allocate(capacity));
    this.back = layout.names.map(() => this.allocate(capacity));
  }

  /** Positions a buffer can hold. */
  get capacity(): number {
    return this.front[0]!.length / (this.layout.heads * this.layout.headDim);
  }

  /**
   * Prepares for a prompt: keeps the positions it shares with what the cache holds (at
   * least one prompt token left to compute) and returns how many that is. `reuse: false`
   * empties the cache.
   */
  prepare(prompt: readonly number[], reuse: boolean): number {
    const keep = reuse ? reusableLength(this.ids, this.length, prompt) : 0;
    const { heads, headDim } = this.layout;
    if (keep > 0) for (const data of this.front) cropInPlace(data, heads, this.length, headDim, keep);
    this.length = keep;
    this.ids = prompt.slice(0, keep);
    return keep;
  }

  /** The past entry `i` as a [heads, length, headDim] view of the buffer. */
  past(i: number): KvArray {
    return this.front[i]!.subarray(0, this.layout.heads * this.length * this.layout.headDim);
  }

  /** Makes room for `total` positions (before a step takes its views of the buffers). */
  reserve(total: number): void {
    if (total > this.capacity) this.grow(total);
  }

  /** Where step output `i` goes: a [heads, total, headDim] view of the other buffer. */
  present(i: number, total: number): KvArray {
    if (total > this.capacity) throw new RangeError(`${total} positions do not fit a cache of ${this.capacity} (reserve first)`);
    return this.back[i]!.subarray(0, this.layout.heads * total * this.layout.headDim);
  }

  /** After a step wrote the present entries: they become the past, covering `ids`. */
  advance(ids: readonly number[]): void {
    [this.front, this.back] = [this.back, this.front];
    this.length = ids.length;
    this.ids = ids.slice();
  }

  clear(): void {
    this.length = 0;
    this.ids = [];
  }

  private allocate(positions: number): KvArray {
    const n = this.layout.heads * positions * this.layout.headDim;
    return this.layout.type === 'float16' ? new Uint16Array(n) : new Float32Array(n);
  }

  private grow(total: number): void {
    let positions = this.capacity;
    while (positions < total) positions *= 2;
    // The past (front) keeps its contents; the back is overwritten by the step anyway.
    const size = this.length * this.layout.heads * this.layout.headDim;
    this.front = this.front.map((old) => {
      const fresh = this.allocate(positions);
      fresh.set(old.subarray(0, size));
      return fresh;
    });
    this.back = this.back.map(() => this.allocate(positions));
  }
}
