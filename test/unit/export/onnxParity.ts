// Checks of an exported voice in transformers.js + onnxruntime-node against PyTorch,
// shared by the tiny-model and the SmolLM2 parity tests.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ExportFixture, PromptReference } from '../helpers/exportFixture';

type Transformers = typeof import('@huggingface/transformers', { with: { 'resolution-mode': 'import' } });
type Tensor = InstanceType<Transformers['Tensor']>;

export async function transformers(): Promise<Transformers> {
  const tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  tf.env.localModelPath = '/';
  return tf;
}

export type Which = 'voice' | 'base';
export type Dtype = 'fp32' | 'q8';

export async function loadExport(tf: Transformers, dir: string, dtype: Dtype) {
  const model = await tf.AutoModelForCausalLM.from_pretrained(dir, {
    local_files_only: true, dtype, device: 'cpu', session_options: { intraOpNumThreads: 2 },
  });
  const tokenizer = await tf.AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  return { model, tokenizer };
}

export function folderOf(fixture: ExportFixture, which: Which): string {
  return join(fixture.run, which === 'voice' ? 'onnx' : 'onnx-base');
}

function ids(tf: Transformers, tokens: number[]): { input_ids: Tensor; attention_mask: Tensor } {
  const n = tokens.length;
  return {
    input_ids: new tf.Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [1, n]),
    attention_mask: new tf.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
  };
}

type Model = Awaited<ReturnType<typeof loadExport>>['model'];

/** Logits for every position of `tokens` (one forward pass, no cache). */
export async function allLogits(tf: Transformers, model: Model, tokens: number[]): Promise<Float32Array[]> {
  const out = (await model(ids(tf, tokens))) as { logits: Tensor };
  const [, n, vocab] = out.logits.dims as [number, number, number];
  const data = out.logits.data as Float32Array;
  return Array.from({ length: n }, (_, i) => data.subarray(i * vocab, (i + 1) * vocab));
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'vocabulary sizes differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Greedy continuation through transformers.js' own generate (the KV-cache path the editor uses). */
export async function generateGreedy(tf: Transformers, model: Model, tokens: number[], steps: number): Promise<number[]> {
  const out = (await model.generate({ ...ids(tf, tokens), max_new_tokens: steps, min_new_tokens: steps, do_sample: false })) as Tensor;
  return Array.from(out.data as BigInt64Array, Number).slice(tokens.length);
}

/** Steps (of the reference continuation) where the runtime's next-token argmax is PyTorch's. */
export async function teacherForcedAgreement(tf: Transformers, model: Model, p: PromptReference, which: Which): Promise<number> {
  const ref = p[which].greedy;
  const rows = await allLogits(tf, model, [...p.ids, ...ref]);
  let same = 0;
  for (let i = 0; i < ref.length; i++) if (argmax(rows[p.ids.length - 1 + i]!) === ref[i]) same++;
  return same;
}

/** Index of the first step where two continuations differ (their length when they never do). */
export function firstDivergence(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
