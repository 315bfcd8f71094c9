import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commonPrefixLength, cropCache, cropTensor, KvCacheSlot, reusableLength } from '../../../src/inference/kvCache';
import { onnxModelDir, transformers } from './realModel';

test('common prefix and the reusable length (at least one prompt token is left to compute)', () => {
  assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
  assert.equal(commonPrefixLength([], [1]), 0);
  assert.equal(reusableLength([1, 2, 3, 4, 5], 4, [1, 2, 3, 4, 5, 6]), 4, 'only what the cache covers');
  assert.equal(reusableLength([1, 2, 3], 3, [1, 2, 3]), 2, 'the same prompt again: its last token is recomputed');
  assert.equal(reusableLength([9, 2], 2, [1, 2]), 0);
});

test('cropping keeps the first positions of every head, contiguous', async () => {
  const { Tensor } = await transformers();
  // [batch 1, heads 2, seq 3, dim 2]: value = head*100 + pos*10 + d
  const data = Float32Array.from({ length: 12 }, (_, i) => Math.floor(i / 6) * 100 + Math.floor((i % 6) / 2) * 10 + (i % 2));
  const cropped = cropTensor(new Tensor('float32', data, [1, 2, 3, 2]), 2);
  assert.deepEqual(cropped.dims, [1, 2, 2, 2]);
  assert.deepEqual([...(cropped.data as Float32Array)], [0, 1, 10, 11, 100, 101, 110, 111]);
  assert.throws(() => cropTensor(new Tensor('float32', data, [1, 2, 3, 2]), 4), RangeError);
});

test('generating from a cropped cache gives exactly what generating from scratch gives', { timeout: 600_000 }, async () => {
  const tf = await transformers();
  const dir = onnxModelDir();
  const tokenizer = await tf.AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  // fp32: the q8 model quantizes activations with a scale per call, so its numbers depend on
  // how the prompt is split between cache and new tokens; fp32 must match exactly.
  const model = await tf.AutoModelForCausalLM.from_pretrained(dir, { local_files_only: true, dtype: 'fp32', session_options: { intraOpNumThreads: 2 } });
  const ids = (text: string) => tokenizer.encode(text);
  const run = async (prompt: number[], past?: unknown) => {
    const n = prompt.length;
    const out = (await model.generate({
      input_ids: new tf.Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, n]),
      attention_mask: new tf.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      ...(past ? { past_key_values: past } : {}),
      max_new_tokens: 8, do_sample: false, return_dict_in_generate: true,
    } as Record<string, unknown>)) as { sequences: { data: BigInt64Array }; past_key_values: Parameters<typeof cropCache>[0] };
    return { seq: Array.from(out.sequences.data, Number), cache: out.past_key_values };
  };

  const first = await run(ids('The lighthouse keeper climbed the stairs every evening, and'));
  const slot = new KvCacheSlot();
  slot.store(first.seq, first.cache);
  // The writer rejected the suggestion and typed something else: the cache holds the old suggestion too.
  const next = ids('The lighthouse keeper climbed the stairs every evening, but one night');
  const { cache, reused } = slot.take(next);
  assert.ok(reused >= 8 && reused < next.length, `reused ${reused} of ${next.length}`);
  assert.equal(cache!.get_seq_length(), reused);
  const warm = await run(next, cache);
  const cold = await run(next);
  assert.deepEqual(warm.seq, cold.seq, 'same greedy continuation with and without the reused cache');
  assert.deepEqual(slot.take(next), { cache: undefined, reused: 0 }, 'take() empties the slot');
  assert.equal(cropCache(first.cache, 3).get_seq_length(), 3);
  await model.dispose();
});
