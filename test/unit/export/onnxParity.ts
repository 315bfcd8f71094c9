// Checks of an exported voice in the runtime the editor writes with (onnxruntime-node, the
// worker's decode loop and tokenizer) against PyTorch, shared by the tiny-model and the
// SmolLM2 parity tests.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Decoder } from '../../../src/inference/decoder';
import { modelFile, modelFiles } from '../../../src/inference/modelLocator';
import { ModelTokenizer } from '../../../src/inference/modelTokenizer';
import type { ExportFixture, PromptReference } from '../helpers/exportFixture';

export type Which = 'voice' | 'base';
export type Dtype = 'fp32' | 'q8';

/** The export's whole graph (present.* and all) and its tokenizer; release the session when done. */
export async function loadExport(dir: string, dtype: Dtype): Promise<{ model: InferenceSession; tokenizer: ModelTokenizer }> {
  const files = modelFiles(dir);
  assert.ok(files, `${dir} is not an ONNX model folder`);
  const model = await InferenceSession.create(modelFile(dir, files, dtype), { intraOpNumThreads: 2 });
  return { model, tokenizer: await ModelTokenizer.load(dir) };
}

export function folderOf(fixture: ExportFixture, which: Which): string {
  return join(fixture.run, which === 'voice' ? 'onnx' : 'onnx-base');
}

/** Logits for every position of `tokens` (one forward pass from an empty cache). */
export async function allLogits(model: InferenceSession, tokens: number[]): Promise<Float32Array[]> {
  const n = tokens.length;
  const feeds: Record<string, Tensor> = {
    input_ids: new Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, n]),
    attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
  };
  if (model.inputNames.includes('position_ids')) feeds.position_ids = new Tensor('int64', BigInt64Array.from(tokens, (_, i) => BigInt(i)), [1, n]);
  if (model.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new Tensor('int64', BigInt64Array.of(0n), []);
  for (const m of model.inputMetadata) {
    if (!m.name.startsWith('past_key_values.') || !m.isTensor) continue;
    const [, heads, , headDim] = m.shape as [unknown, number, unknown, number];
    feeds[m.name] = new Tensor(m.type as 'float32', new Float32Array(0), [1, heads, 0, headDim]);
  }
  const out = await model.run(feeds, ['logits']);
  const [, rows, vocab] = out.logits!.dims as [number, number, number];
  const data = out.logits!.data as Float32Array;
  return Array.from({ length: rows }, (_, i) => data.subarray(i * vocab, (i + 1) * vocab));
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

/** Greedy continuation through the editor's own decode loop (decoder.ts, its key/value cache). */
export async function generateGreedy(model: InferenceSession, tokens: number[], steps: number): Promise<number[]> {
  const decoder = new Decoder(model, Tensor);
  const out = await decoder.generate({
    prompt: tokens, cache: decoder.newCache(), reuseCache: false, eos: [],
    sampling: { temperature: 0, topK: 0, repetitionPenalty: 1, repetitionWindow: 0, maxNewTokens: steps },
  });
  return out.generated;
}

/** Steps (of the reference continuation) where the runtime's next-token argmax is PyTorch's. */
export async function teacherForcedAgreement(model: InferenceSession, p: PromptReference, which: Which): Promise<number> {
  const ref = p[which].greedy;
  const rows = await allLogits(model, [...p.ids, ...ref]);
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
