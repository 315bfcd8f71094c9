// Picks the next token from a step's logits: repetition penalty, then greedy or
// temperature + top-k sampling, the same rules (and order) as transformers.js and
// Hugging Face `generate`. Works in place on the logits row and touches each of the
// vocabulary's ~49k entries a small, fixed number of times: it runs once per token.
import type { SamplingOptions } from './protocol';

/**
 * The tokens the repetition penalty looks at: those among the last `size` of the context
 * (llama.cpp's and Ollama's repeat_last_n; 0, the default: every one, as Hugging Face's).
 */
export class RecentTokens implements Iterable<number> {
  private readonly counts = new Map<number, number>();
  private readonly order: number[] = [];

  constructor(private readonly size: number, context: readonly number[] = []) {
    for (const token of size > 0 ? context.slice(-size) : context) this.push(token);
  }

  push(token: number): void {
    this.counts.set(token, (this.counts.get(token) ?? 0) + 1);
    if (this.size <= 0) return;
    this.order.push(token);
    if (this.order.length > this.size) {
      const gone = this.order.shift()!;
      const left = this.counts.get(gone)! - 1;
      if (left === 0) this.counts.delete(gone);
      else this.counts.set(gone, left);
    }
  }

  [Symbol.iterator](): Iterator<number> {
    return this.counts.keys();
  }
}

/** HF's repetition penalty: every token in `seen` is made less likely, once. */
export function penalizeRepeats(logits: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of seen) {
    const v = logits[id];
    if (v === undefined) continue;
    logits[id] = v < 0 ? v * penalty : v / penalty;
  }
}

export function argmax(values: Float32Array): number {
  let best = 0;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! > max) {
      max = values[i]!;
      best = i;
    }
  }
  return best;
}

/** Indices of the `k` largest values (any order): a size-k min-heap over one pass. */
export function topKIndices(values: Float32Array, k: number): Int32Array {
  const n = Math.min(k, values.length);
  const heap = new Int32Array(n);
  const less = (a: number, b: number) => values[heap[a]!]! < values[heap[b]!]!;
  const swap = (a: number, b: number) => { const t = heap[a]!; heap[a] = heap[b]!; heap[b] = t; };
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && less(l, m)) m = l;
      if (r < n && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let i = 0; i < n; i++) heap[i] = i;
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(i);
  for (let i = n; i < values.length; i++) {
    if (values[i]! > values[heap[0]!]!) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap;
}

/**
 * The next token: greedy when temperature is 0, else a draw from the softmax of
 * logits / temperature over the top-k tokens (all of them when topK is 0).
 * `random` returns [0, 1) (tests pass a seeded one).
 */
export function pickToken(logits: Float32Array, seen: Iterable<number>, sampling: SamplingOptions, random: () => number = Math.random): number {
  penalizeRepeats(logits, seen, sampling.repetitionPenalty);
  if (sampling.temperature <= 0) return argmax(logits);
  const candidates = sampling.topK > 0 && sampling.topK < logits.length ? topKIndices(logits, sampling.topK) : undefined;
  const count = candidates ? candidates.length : logits.length;
  const at = (i: number) => (candidates ? candidates[i]! : i);
  let max = -Infinity;
  for (let i = 0; i < count; i++) max = Math.max(max, logits[at(i)]!);
  const weights = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += Math.exp((logits[at(i)]! - max) / sampling.temperature);
    weights[i] = total;
  }
  const target = random() * total;
  // Cumulative weights: the first one past the target.
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (weights[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return at(lo);
}

/** Logits this far below the largest add under e^-20 (2e-9) each to the softmax's sum: skipped. */
const NEGLIGIBLE = 20;

/** log softmax(logits)[token]: how likely the model found the token it gave (one pass over the vocabulary). */
export function logProbability(logits: Float32Array, token: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  const floor = max - NEGLIGIBLE;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > floor) sum += Math.exp(v - max);
  }
  return logits[token]! - max - Math.log(sum);
}
