// The key/value cache, kept in buffers the worker owns and hands to ONNX Runtime as inputs
// and as pre-allocated outputs, so no step allocates a cache, copies one out to
// JavaScript or leaves one to the garbage collector. Two bindings, by export:
//
// - kept (export format 4 and later, whose graph also outputs each step's own positions as
//   `new_key_values.*`): one buffer per entry, [heads, capacity, headDim]. A step reads
//   the whole buffer as its past, with the attention mask zero over the rows not in use,
//   and fetches only its new positions, which are then copied into their rows; cropping
//   moves nothing. The capacity grows in small steps, so few masked rows are read.
// - appended (older exports: present = Concat(past, new)): two buffers per entry; a step
//   reads the past ([heads, length, headDim], packed) from one and ONNX Runtime writes the
//   present into the other, and they swap.
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
  /** The kept binding (the graph outputs new_key_values.*); else appended. */
  kept: boolean;
}

/** What one step reads and writes for each entry, and which of the positions it attends to are real. */
export interface StepBinding {
  /** Positions of the past fed (rows of each past buffer). */
  pastPositions: number;
  past(i: number): KvArray;
  /** Positions of what ONNX Runtime writes: the new ones (kept) or past + new (appended). */
  outputPositions: number;
  output(i: number): KvArray;
  /** 1 for a real position, 0 for an unused row: pastPositions + the new positions. */
  mask: BigInt64Array;
}

/** Rows a kept cache grows by: at most this many masked rows are read per step. */
const KEPT_GROWTH = 128;

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
  /** The cache: kept, [heads, room, headDim] per entry; appended, the past ([heads, length, headDim]). */
  private front: KvArray[];
  /** Appended: where the present goes. Kept: where the step's new positions go. */
  private back: KvArray[];
  /** Positions each front buffer has room for. */
  private room: number;
  private step: { input: number; mask: BigInt64Array } | undefined;
  /** Positions held. */
  length = 0;

  constructor(readonly layout: KvLayout, capacity = layout.kept ? KEPT_GROWTH : 256) {
    this.room = capacity;
    this.front = layout.names.map(() => this.allocate(capacity));
    this.back = layout.names.map(() => this.allocate(layout.kept ? 1 : capacity));
  }

  get capacity(): number {
    return this.room;
  }

  /** How many of `prompt`'s tokens prepare() would keep (never all of them). */
  reusable(prompt: readonly number[]): number {
    return reusableLength(this.ids, this.length, prompt);
  }

  /**
   * Prepares for a prompt: keeps the positions it shares with what the cache holds (at
   * least one prompt token left to compute) and returns how many that is. `reuse: false`
   * empties the cache.
   */
  prepare(prompt: readonly number[], reuse: boolean): number {
    const keep = reuse ? reusableLength(this.ids, this.length, prompt) : 0;
    const { heads, headDim, kept } = this.layout;
    // Kept rows past `keep` are masked out and overwritten; appended ones must be packed.
    if (keep > 0 && !kept) for (const data of this.front) cropInPlace(data, heads, this.length, headDim, keep);
    this.length = keep;
    this.ids = prompt.slice(0, keep);
    return keep;
  }

  /** The buffers and mask for a step computing `input` new positions on top of the cache. */
  bind(input: number): StepBinding {
    const { heads, headDim, kept } = this.layout;
    const total = this.length + input;
    if (!kept) {
      if (total > this.room) this.grow(total);
      const held = heads * this.length * headDim;
      this.step = { input, mask: new BigInt64Array(total).fill(1n) };
      return {
        pastPositions: this.length,
        past: (i) => this.front[i]!.subarray(0, held),
        outputPositions: total,
        output: (i) => this.back[i]!.subarray(0, heads * total * headDim),
        mask: this.step.mask,
      };
    }
    if (total > this.room) this.grow(Math.ceil(total / KEPT_GROWTH) * KEPT_GROWTH);
    if (this.back[0]!.length < heads * input * headDim) this.back = this.back.map(() => this.allocateFor(heads * input * headDim));
    // An empty cache is fed as no past at all: a long first prompt would otherwise attend to every masked row.
    const pastPositions = this.length === 0 ? 0 : this.room;
    const mask = new BigInt64Array(pastPositions + input);
    mask.fill(1n, 0, this.length);
    mask.fill(1n, pastPositions);
    this.step = { input, mask };
    return {
      pastPositions,
      past: (i) => (pastPositions === 0 ? this.front[i]!.subarray(0, 0) : this.front[i]!),
      outputPositions: input,
      output: (i) => this.back[i]!.subarray(0, heads * input * headDim),
      mask,
    };
  }

  /** After the step bound last wrote its outputs: the cache holds `ids` (all positions fed so far). */
  advance(ids: readonly number[]): void {
    const step = this.step;
    if (!step || ids.length !== this.length + step.input) throw new Error('advance() follows the bind() of the same step');
    const { kept } = this.layout;
    if (!kept) {
      [this.front, this.back] = [this.back, this.front];
    } else {
      this.front.forEach((data, i) => this.copyRows(this.back[i]!, step.input, data, this.room, step.input, this.length));
    }
    this.step = undefined;
    this.length = ids.length;
    this.ids = ids.slice();
  }

  /** The positions held for entry `i`, as [heads, length, headDim] (a copy). */
  positions(i: number): KvArray {
    const { heads, headDim, kept } = this.layout;
    const out = this.allocateFor(heads * this.length * headDim);
    this.copyRows(this.front[i]!, kept ? this.room : this.length, out, this.length, this.length);
    return out;
  }

  clear(): void {
    this.length = 0;
    this.ids = [];
  }

  private allocate(positions: number): KvArray {
    return this.allocateFor(this.layout.heads * positions * this.layout.headDim);
  }

  private allocateFor(n: number): KvArray {
    return this.layout.type === 'float16' ? new Uint16Array(n) : new Float32Array(n);
  }

  /** Room for `positions` (appended: at least, doubling), keeping what is held. */
  private grow(positions: number): void {
    const { heads, headDim, kept } = this.layout;
    if (!kept) {
      while (this.room < positions) this.room *= 2;
      const held = heads * this.length * headDim;
      this.front = this.front.map((old) => {
        const fresh = this.allocate(this.room);
        fresh.set(old.subarray(0, held));
        return fresh;
      });
      this.back = this.back.map(() => this.allocate(this.room));
      return;
    }
    // Kept: each head's rows move from head * room to head * positions.
    this.front = this.front.map((old) => {
      const fresh = this.allocate(positions);
      this.copyRows(old, this.room, fresh, positions, this.length);
      return fresh;
    });
    this.room = positions;
  }

  /**
   * Copies the first `rows` positions of each head from `from`, laid out [heads, fromRows,
   * headDim], into `to`, laid out [heads, toRows, headDim], starting at position `at` there.
   */
  private copyRows(from: KvArray, fromRows: number, to: KvArray, toRows: number, rows: number, at = 0): void {
    const { heads, headDim } = this.layout;
    for (let h = 0; h < heads; h++) {
      const start = h * fromRows * headDim;
      to.set(from.subarray(start, start + rows * headDim), (h * toRows + at) * headDim);
    }
  }
}
