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

/** [heads, length, dim] with value = head*100 + pos*10 + d + offset. */
const rows = (heads: number, from: number, to: number, dim: number) =>
  Float32Array.from({ length: heads * (to - from) * dim }, (_, i) => {
    const h = Math.floor(i / ((to - from) * dim));
    const p = from + Math.floor((i % ((to - from) * dim)) / dim);
    return h * 100 + p * 10 + (i % dim);
  });

for (const kept of [false, true]) {
  test(`the ${kept ? 'kept' : 'appended'} cache binds each step, crops to the shared prefix and grows keeping its contents`, () => {
    const layout = { names: ['past_key_values.0.key', 'past_key_values.0.value'], heads: 2, headDim: 2, type: 'float32' as const, kept };
    const cache = new KvCache(layout, 2);
    /** A step over tokens [from, to): what ONNX Runtime would write, as the binding asks. */
    const step = (from: number, to: number, ids: number[]) => {
      const b = cache.bind(to - from);
      assert.equal(b.mask.length, b.pastPositions + to - from);
      for (const i of [0, 1]) {
        assert.equal(b.past(i).length, 2 * b.pastPositions * 2);
        const out = b.output(i);
        // Appended: present = past + new; kept: the new positions alone.
        out.set(kept ? rows(2, from, to, 2) : rows(2, 0, to, 2));
        assert.equal(out.length, 2 * b.outputPositions * 2);
      }
      cache.advance(ids);
      return b;
    };
    assert.equal(cache.prepare([5, 6, 7], true), 0, 'an empty cache reuses nothing');
    const first = step(0, 3, [5, 6, 7]);
    assert.equal(first.pastPositions, 0, 'an empty cache is fed as no past');
    assert.deepEqual([...first.mask], [1n, 1n, 1n]);
    assert.equal(cache.length, 3);
    assert.deepEqual([...cache.positions(1)], [...rows(2, 0, 3, 2)]);

    // The writer changed the last token: positions 0..1 are kept.
    assert.equal(cache.prepare([5, 6, 9, 10], true), 2);
    assert.deepEqual([...cache.positions(0)], [0, 1, 10, 11, 100, 101, 110, 111]);
    const second = step(2, 4, [5, 6, 9, 10]);
    if (kept) {
      // The whole buffer is the past; rows 2.. are not in use and masked out.
      assert.equal(second.pastPositions, cache.capacity);
      assert.deepEqual([...second.mask.subarray(0, 3)], [1n, 1n, 0n]);
      assert.deepEqual([...second.mask.subarray(second.pastPositions)], [1n, 1n]);
      assert.equal(second.mask.reduce((a, b) => a + b, 0n), 4n);
    } else {
      assert.equal(second.pastPositions, 2);
      assert.deepEqual([...second.mask], [1n, 1n, 1n, 1n]);
    }
    assert.deepEqual([...cache.positions(0)], [...rows(2, 0, 4, 2)]);

    // A long next step outgrows the buffers: what is held stays.
    assert.equal(cache.prepare([5, 6, 9, 10, ...Array.from({ length: 300 }, (_, i) => i)], true), 4);
    step(4, 304, [5, 6, 9, 10, ...Array.from({ length: 300 }, (_, i) => i)]);
    assert.ok(cache.capacity >= 304);
    assert.deepEqual([...cache.positions(1)], [...rows(2, 0, 304, 2)]);
    assert.throws(() => cache.advance([1, 2]), /follows the bind/);
    assert.equal(cache.prepare([5, 6], false), 0, 'no reuse: empty');
    assert.equal(cache.positions(0).length, 0);
  });
}
