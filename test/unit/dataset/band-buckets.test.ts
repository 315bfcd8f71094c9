// The LSH bucket table against a Map of arrays: same members, oldest first, for colliding
// and repeated keys across bands.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BandBuckets } from '../../../src/core/dataset/band-buckets';

test('buckets hold what a Map of arrays would, in insertion order', () => {
  const buckets = new BandBuckets(4000);
  const reference = new Map<string, number[]>();
  let x = 12345;
  const nextKey = () => {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    return x % 50; // few distinct keys: long buckets, and the same key in several bands
  };
  for (let item = 0; item < 250; item++) {
    for (let band = 0; band < 16; band++) {
      const key = nextKey();
      buckets.add(band, key, item);
      const name = `${band}/${key}`;
      reference.set(name, [...(reference.get(name) ?? []), item]);
    }
  }
  for (let band = 0; band < 16; band++) {
    for (let key = -60; key < 60; key++) {
      const members: number[] = [];
      for (let e = buckets.first(band, key); e >= 0; e = buckets.next(e)) members.push(buckets.item(e));
      assert.deepEqual(members, reference.get(`${band}/${key}`) ?? [], `band ${band}, key ${key}`);
    }
  }
  assert.throws(() => {
    for (let i = 0; i < 100; i++) buckets.add(0, i, i);
  }, RangeError);
});
