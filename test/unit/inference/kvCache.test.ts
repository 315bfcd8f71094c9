import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commonPrefixLength, cropInPlace, KvCache, reusableLength } from '../../../src/inference/kvCache';

test('common prefix and the reusable length (at least one prompt token is left to compute)', () => {
  assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
  assert.equal(commonPrefixLength([], [1]), 0);
  assert.equal(reusableLength([1, 2, 3, 4, 5], 4, [1, 2, 3, 4, 5, 6]), 4, 'only what the cache covers');
  assert.equal(reusableLength([1, 2, 3], 3, [1, 2, 3]), 2, 'the same prompt again: its last token is recomputed');
  assert.equal(reusableLength([9, 2], 2, [1, 2]), 0);
});

/** [heads, length, dim] with value = head*100 + pos*10 + d. */
const block = (heads: number, length: number, dim: number, spare = 0) =>
  Float32Array.from({ length: heads * length * dim + spare }, (_, i) => i >= heads * length * dim ? -1
    : Math.floor(i / (length * dim)) * 100 + Math.floor((i % (length * dim)) / dim) * 10 + (i % dim));

test('cropping in place keeps the first positions of every head, contiguous', () => {
  const data = block(3, 4, 2);
  cropInPlace(data, 3, 4, 2, 2);
  assert.deepEqual([...data.subarray(0, 12)], [0, 1, 10, 11, 100, 101, 110, 111, 200, 201, 210, 211]);
  const same = block(2, 3, 2);
  cropInPlace(same, 2, 3, 2, 3);
  assert.deepEqual(same, block(2, 3, 2), 'keeping everything moves nothing');
  assert.throws(() => cropInPlace(block(2, 3, 2), 2, 3, 2, 4), RangeError);
});

test('the cache swaps buffers each step, crops to the shared prefix and grows keeping its contents', () => {
  const layout = { names: ['past_key_values.0.key', 'past_key_values.0.value'], heads: 2, headDim: 2, type: 'float32' as const };
  const cache = new KvCache(layout, 2);
  assert.equal(cache.prepare([5, 6, 7], true), 0, 'an empty cache reuses nothing');
  cache.reserve(3);
  assert.ok(cache.capacity >= 3);
  // A step wrote 3 positions: [2 heads, 3 positions, 2] into the present buffers.
  for (const i of [0, 1]) cache.present(i, 3).set(block(2, 3, 2));
  cache.advance([5, 6, 7]);
  assert.equal(cache.length, 3);
  assert.deepEqual([...cache.past(1)], [...block(2, 3, 2)]);

  // The writer changed the last token: positions 0..1 are kept, cropped contiguous.
  assert.equal(cache.prepare([5, 6, 9, 10], true), 2);
  assert.deepEqual([...cache.past(0)], [0, 1, 10, 11, 100, 101, 110, 111]);
  cache.reserve(40);
  assert.ok(cache.capacity >= 40);
  assert.deepEqual([...cache.past(0)], [0, 1, 10, 11, 100, 101, 110, 111], 'growing keeps the past');
  assert.equal(cache.prepare([5, 6, 9, 10], false), 0, 'no reuse: empty');
  assert.equal(cache.past(0).length, 0);
  assert.throws(() => cache.present(0, 1000), RangeError);
});
