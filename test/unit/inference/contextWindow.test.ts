import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseWindow, READY_TOKENS, type ContextWindow } from '../../../src/inference/contextWindow';
import { KvCache } from '../../../src/inference/kvCache';

const layout = { names: ['past_key_values.0.key'], heads: 1, headDim: 2, type: 'float32' as const, kept: true };
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

/** A window over `prompt` whose cache holds its first `cached` tokens. */
function windowOf(prompt: number[], cached: number): ContextWindow {
  const cache = new KvCache(layout);
  if (cached > 0) {
    cache.prepare(prompt.slice(0, cached), false);
    cache.bind(cached);
    cache.advance(prompt.slice(0, cached));
  }
  return { ids: prompt, leadingTrim: '', cache };
}

test('nothing read: the full window writes (a one-off request, the CLI)', () => {
  const r = chooseWindow(windowOf(ids(1500), 0), windowOf(ids(384, 1116), 0));
  assert.equal(r.quick, false);
});

test('the full window not ready, the quick one ready: the quick one writes', () => {
  const quick = windowOf(ids(384, 1116), 383);
  const r = chooseWindow(windowOf(ids(1500), 700), quick);
  assert.deepEqual([r.quick, r.window], [true, quick]);
});

test('the full window ready: it writes, however the quick one stands', () => {
  const full = windowOf(ids(1500), 1500 - READY_TOKENS);
  assert.equal(chooseWindow(full, windowOf(ids(384, 1116), 383)).window, full);
  assert.equal(chooseWindow(windowOf(ids(1500), 1499), windowOf(ids(384, 1116), 0)).quick, false);
});

test('neither ready: the full window writes (the quick one is no head start)', () => {
  assert.equal(chooseWindow(windowOf(ids(1500), 200), windowOf(ids(384, 1116), 384 - READY_TOKENS - 1)).quick, false);
});

test('a prompt no longer than the quick window has only the full one', () => {
  assert.equal(chooseWindow(windowOf(ids(300), 0), undefined).quick, false);
});
