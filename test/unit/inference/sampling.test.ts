import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmax, penalizeRepeats, pickToken, RecentTokens, topKIndices } from '../../../src/inference/sampling';

const greedy = { temperature: 0, topK: 0, repetitionPenalty: 1, repetitionWindow: 0, maxNewTokens: 8 };

/** A seeded [0, 1) generator (mulberry32). */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('greedy picks the largest logit', () => {
  assert.equal(pickToken(Float32Array.of(0.1, 3, -2, 2.9), [], greedy), 1);
  assert.equal(argmax(Float32Array.of(-5, -1, -3)), 1);
});

test('the repetition penalty divides positive and multiplies negative logits of seen tokens, once each', () => {
  const logits = Float32Array.of(2, -2, 4, 1);
  penalizeRepeats(logits, new Set([0, 1, 0, 99]), 2);
  assert.deepEqual([...logits], [1, -4, 4, 1]);
  // Token 2 is ahead, but it was already written: with a strong penalty the next best wins.
  assert.equal(pickToken(Float32Array.of(1, 0, 3, 2), new Set([2]), { ...greedy, repetitionPenalty: 2 }), 3);
});

test('the penalty looks at the last tokens of the context only, each once however often it occurs', () => {
  const recent = new RecentTokens(3, [5, 6, 7, 8]);
  assert.deepEqual([...recent].sort(), [6, 7, 8]);
  recent.push(6); // 7, 8, 6
  assert.deepEqual([...recent].sort(), [6, 7, 8]);
  recent.push(9); // 8, 6, 9: token 7 has left the window
  assert.deepEqual([...recent].sort(), [6, 8, 9]);
  recent.push(9); // 6, 9, 9
  recent.push(9); // 9, 9, 9
  assert.deepEqual([...recent], [9]);
  // 0: the whole context, as the editor penalised before the window
  const all = new RecentTokens(0, [1, 2, 1]);
  all.push(3);
  assert.deepEqual([...all].sort(), [1, 2, 3]);
  const logits = Float32Array.of(2, 2, 2, 2);
  penalizeRepeats(logits, new RecentTokens(2, [0, 1, 2]), 2);
  assert.deepEqual([...logits], [2, 1, 1, 2]);
});

test('top-k keeps exactly the k largest', () => {
  const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
  const want = [...values.keys()].sort((a, b) => values[b]! - values[a]!).slice(0, 40).sort((a, b) => a - b);
  assert.deepEqual([...topKIndices(values, 40)].sort((a, b) => a - b), want);
  assert.equal(topKIndices(values, 5000).length, 1000);
});

test('sampling follows softmax(logits / temperature) within the top k', () => {
  const logits = Float32Array.of(Math.log(1), Math.log(2), Math.log(3), Math.log(4), -5);
  const random = seeded(7);
  const counts = [0, 0, 0, 0, 0];
  const n = 20_000;
  // Top-k 4 drops token 4 and leaves tokens 0..3 with weights 1:2:3:4.
  for (let i = 0; i < n; i++) counts[pickToken(logits.slice(), [], { temperature: 1, topK: 4, repetitionPenalty: 1, repetitionWindow: 0, maxNewTokens: 1 }, random)]!++;
  assert.equal(counts[4], 0);
  counts.slice(0, 4).forEach((c, i) => assert.ok(Math.abs(c / n - (i + 1) / 10) < 0.015, `token ${i}: ${c / n}`));
  // A low temperature sharpens the same weights towards the best.
  let best = 0;
  for (let i = 0; i < 2000; i++) if (pickToken(Float32Array.of(0, 1, 2), [], { temperature: 0.1, topK: 0, repetitionPenalty: 1, repetitionWindow: 0, maxNewTokens: 1 }, random) === 2) best++;
  assert.ok(best > 1990, `${best} of 2000`);
});
