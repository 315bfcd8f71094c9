import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvent } from '../../../src/core/runs/protocol';
import { canariesFromFile, canaryGroups, changedShare, samplingSettings, wordDiff } from '../../../src/webviews/canaryModel';
import { modelFromEvents } from '../../../src/core/runs/runModel';

test('word diff marks inserted and deleted words and keeps every character of both texts', () => {
  const base = 'The dog ran quickly home.';
  const tuned = 'The cat ran home, slowly.';
  const parts = wordDiff(base, tuned);
  const ins = parts.filter((p) => p.kind === 'ins').map((p) => p.text.trim());
  const del = parts.filter((p) => p.kind === 'del').map((p) => p.text.trim());
  assert.ok(ins.includes('cat') && del.includes('dog'), JSON.stringify(parts));
  assert.ok(del.includes('quickly'));
  const rebuilt = (keep: 'ins' | 'del') => parts.filter((p) => p.kind !== keep).map((p) => p.text).join('');
  assert.equal(rebuilt('ins'), base);
  assert.equal(rebuilt('del'), tuned);
});

test('changed share: 0 for identical samples, 1 for nothing shared, in between otherwise', () => {
  assert.equal(changedShare(wordDiff('same words here', 'same words here')), 0);
  assert.equal(changedShare(wordDiff('alpha beta', 'gamma delta')), 1);
  const some = changedShare(wordDiff('one two three four', 'one two five four'));
  assert.ok(some > 0.2 && some < 0.3, String(some)); // 2 changed of 8 words
  assert.equal(changedShare([]), 0);
});

test('canaries group per prompt, ordered by epoch; the file wins over events for the same epoch', () => {
  const m = modelFromEvents([
    parseEvent({ event: 'train.canary', epoch: 1, prompt_id: 'b-topic', base: ['b1'], tuned: ['t1'] }),
    parseEvent({ event: 'train.canary', epoch: 0, prompt_id: 'b-topic', prompt: 'Write about B', base: ['b0'], tuned: ['t0'], sampling: { temperature: 0.7 } }),
    parseEvent({ event: 'train.canary', epoch: 1, prompt_id: 'a-topic', base: ['x'], tuned: ['from events'] }),
  ]);
  const file = [{ epoch: 1, prompt_id: 'a-topic', base: ['x'], tuned: ['from file'] }];
  const groups = canaryGroups(m.canaries, file);
  assert.deepEqual(groups.map((g) => g.promptId), ['a-topic', 'b-topic']);
  assert.deepEqual(groups[0]!.epochs.map((e) => e.tuned[0]), ['from file']);
  assert.deepEqual(groups[1]!.epochs.map((e) => e.epoch), [0, 1]);
  assert.equal(groups[1]!.prompt, 'Write about B');
});

test('canaries.json is read in any reasonable nesting, prompt and epoch inherited from parents or keys', () => {
  const nested = { canaries: [{ prompt_id: 'p', prompt: 'Say it', sampling: { top_k: 40 }, epochs: [{ epoch: 0, base: 'a', tuned: 'b' }, { epoch: 2, base: ['c'], tuned: ['d'] }] }] };
  const flat = canariesFromFile(nested);
  assert.deepEqual(flat.map((c) => [c.promptId, c.epoch, c.base, c.tuned, c.prompt, c.sampling?.top_k]), [
    ['p', 0, ['a'], ['b'], 'Say it', 40], ['p', 2, ['c'], ['d'], 'Say it', 40],
  ]);
  const keyed = canariesFromFile({ prompts: { 'novel-topic': { '1': { base: ['x'], tuned: ['y'] } } } });
  assert.deepEqual(keyed.map((c) => [c.promptId, c.epoch]), [['novel-topic', 1]]);
  assert.deepEqual(canariesFromFile(null), []);
  assert.deepEqual(canariesFromFile({ base: ['no id or epoch'], tuned: ['x'] }), []);
});

test("the engine's canaries.json layout: prompts, base samples per prompt, tuned samples per epoch", () => {
  const book = {
    format: 1, system: 'You write like the author.',
    prompts: [{ id: 'novel-topic', prompt: 'Define: Optimism', max_new_tokens: 60, sampling: { temperature: 0.7, seed: 1 } }],
    base: { 'novel-topic': ['A positive attitude.'] },
    epochs: [{ epoch: 1, step: 10, tuned: { 'novel-topic': ['The doctrine that everything is beautiful.'] } },
      { epoch: 2, step: 20, tuned: { 'novel-topic': ['OPTIMISM, n. The doctrine.'] } }],
  };
  const flat = canariesFromFile(book);
  assert.deepEqual(flat.map((c) => [c.promptId, c.epoch, c.base, c.tuned[0], c.prompt, c.sampling?.temperature]), [
    ['novel-topic', 1, ['A positive attitude.'], 'The doctrine that everything is beautiful.', 'Define: Optimism', 0.7],
    ['novel-topic', 2, ['A positive attitude.'], 'OPTIMISM, n. The doctrine.', 'Define: Optimism', 0.7],
  ]);
});

test('sampling settings come from the canary event, else from the config', () => {
  const withOwn = { epoch: 0, promptId: 'p', base: [], tuned: [], sampling: { temperature: 0.8, top_k: 50, nested: { x: 1 } } };
  assert.deepEqual(samplingSettings(withOwn, { canary_temperature: 1 }), [['temperature', '0.8'], ['top_k', '50']]);
  const without = { epoch: 0, promptId: 'p', base: [], tuned: [] };
  assert.deepEqual(samplingSettings(without, { canary_temperature: 0.7, canary_max_new_tokens: 80, lora_rank: 16 }), [['canary_temperature', '0.7'], ['canary_max_new_tokens', '80']]);
});
