import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lru } from '../../../src/inference/lru';
import { SuggestionCache } from '../../../src/inference/suggestionCache';

test('the LRU drops the least recently used entry; reading refreshes an entry', () => {
  const lru = new Lru<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  assert.equal(lru.get('a'), 1);
  lru.set('c', 3);
  assert.equal(lru.get('b'), undefined, 'b was the oldest after a was read');
  assert.deepEqual([...lru.newestFirst()].map(([k]) => k), ['c', 'a']);
  assert.throws(() => new Lru(0), RangeError);
});

test('an exact prefix hits; other text after the cursor or other settings do not', () => {
  const cache = new SuggestionCache();
  cache.set({ before: 'The cat', after: '', variant: 'v1' }, ' sat on the mat.');
  assert.equal(cache.lookup({ before: 'The cat', after: '', variant: 'v1' }), ' sat on the mat.');
  assert.equal(cache.lookup({ before: 'The cat', after: ' Later.', variant: 'v1' }), undefined);
  assert.equal(cache.lookup({ before: 'The cat', after: '', variant: 'v2' }), undefined);
});

test('typing the start of a suggestion is answered with the rest of it', () => {
  const cache = new SuggestionCache();
  cache.set({ before: 'The cat', after: '', variant: 'v' }, ' sat on the mat.');
  assert.equal(cache.lookup({ before: 'The cat sa', after: '', variant: 'v' }), 't on the mat.');
  assert.equal(cache.lookup({ before: 'The cat sat on', after: '', variant: 'v' }), ' the mat.');
  assert.equal(cache.lookup({ before: 'The cat sl', after: '', variant: 'v' }), undefined, 'typed something else');
  assert.equal(cache.lookup({ before: 'The cat sat on the mat.', after: '', variant: 'v' }), undefined, 'typed it all');
});

test('type-through works when the text before the cursor is longer than the key window', () => {
  const cache = new SuggestionCache();
  const long = 'x'.repeat(3000) + ' ' + 'word '.repeat(400);
  cache.set({ before: long, after: '', variant: 'v' }, 'and more words.');
  assert.equal(cache.lookup({ before: `${long}and m`, after: '', variant: 'v' }), 'ore words.');
});
