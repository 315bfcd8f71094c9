// The decode loop's warm-up (Decoder.prefill) and its per-token log-probabilities, on the
// real offline model in fp32 against a reference without any cache (the whole sequence
// computed afresh): a cache filled in chunks writes exactly what one filled in one go writes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Decoder } from '../../../src/inference/decoder';
import { openDecoderSession } from '../../../src/inference/decoderSession';
import { modelFile, modelFiles } from '../../../src/inference/modelLocator';
import { ModelTokenizer } from '../../../src/inference/modelTokenizer';
import type { SamplingOptions } from '../../../src/inference/protocol';
import { allLogits, argmax } from '../export/onnxParity';
import { onnxModelDir } from './realModel';

let reference: InferenceSession;
let session: InferenceSession;
let decoder: Decoder;
let prompt: number[];

before(async () => {
  const dir = onnxModelDir();
  const file = modelFile(dir, modelFiles(dir)!, 'fp32');
  reference = await InferenceSession.create(file, { intraOpNumThreads: 2 });
  session = (await openDecoderSession(file, { device: 'cpu', threads: 2 })).session;
  decoder = new Decoder(session, Tensor);
  const tokenizer = await ModelTokenizer.load(dir);
  prompt = tokenizer.encode('The lighthouse keeper climbed the stairs every evening. He counted them, as his father had, and the count was always the same. In winter the lamp smoked, and');
});
after(async () => {
  await reference.release();
  await session.release();
});

const greedy: SamplingOptions = { temperature: 0, topK: 0, repetitionPenalty: 1, repetitionWindow: 0, maxNewTokens: 5 };

function logSoftmax(row: Float32Array, token: number): number {
  const max = Math.max(...row);
  return row[token]! - max - Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
}

test('a cache filled in chunks holds all of the prompt but its last token, and generation from it matches the reference', { timeout: 600_000 }, async () => {
  const cache = decoder.newCache();
  const stops: number[] = [];
  const filled = await decoder.prefill({ prompt, cache, chunkTokens: 7, shouldStop: () => { stops.push(cache.length); return false; } });
  assert.deepEqual(filled, { cached: prompt.length - 1, computed: prompt.length - 1, complete: true });
  assert.deepEqual(stops, Array.from({ length: Math.ceil((prompt.length - 1) / 7) }, (_, i) => i * 7), 'asked before every chunk of 7');

  const out = await decoder.generate({ prompt, sampling: greedy, eos: [], cache, reuseCache: true });
  assert.equal(out.reused, prompt.length - 1);
  const tokens = [...prompt];
  for (let i = 0; i < greedy.maxNewTokens; i++) {
    const row = (await allLogits(reference, tokens)).at(-1)!;
    const next = argmax(row);
    assert.equal(out.generated[i], next, `token ${i}`);
    assert.ok(Math.abs(out.logprobs[i]! - logSoftmax(row, next)) < 1e-3, `log-probability of token ${i}: ${out.logprobs[i]} vs ${logSoftmax(row, next)}`);
    tokens.push(next);
  }
});

test('a stopped warm-up keeps what it computed; the next one carries on from there', { timeout: 600_000 }, async () => {
  const cache = decoder.newCache();
  let chunks = 0;
  const stopped = await decoder.prefill({ prompt, cache, chunkTokens: 8, shouldStop: () => chunks++ >= 2 });
  assert.deepEqual(stopped, { cached: 16, computed: 16, complete: false });
  const rest = await decoder.prefill({ prompt, cache, chunkTokens: 8 });
  assert.deepEqual(rest, { cached: prompt.length - 1, computed: prompt.length - 17, complete: true });
  const again = await decoder.prefill({ prompt, cache, chunkTokens: 8 });
  assert.equal(again.computed, 0);
});
