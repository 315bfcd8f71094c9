import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countWords } from '../../../src/core/corpus/text';
import { afterTextForPrompt, fillInTheMiddlePrompt, fimCuts, fimPairs, FIM_AFTER_CLOSE, FIM_AFTER_OPEN } from '../../../src/core/dataset/fim';
import { DEFAULT_DATASET_SETTINGS } from '../../../src/core/dataset/options';
import type { EssayDocument, FimExample } from '../../../src/core/dataset/types';

const PARAGRAPHS = [
  'The ferry left at six. Nobody on the pier waved, though the captain always looked back as if someone might. I had taken it for eleven years before I noticed that.',
  'Habits are the furniture of a life. We stop seeing them the way we stop seeing a chair, and then one day the chair is gone and the room looks wrong. My mother kept a chair like that.',
  'She sat in it to read the letters from her brother. They came twice a year, at Easter and in the first week of December, and she read each one three times before she said a word about it.',
  'When he died the letters stopped, of course. What surprised me was that she kept sitting in the chair at Easter, with nothing in her hands, for the length of time it used to take.',
  'I think of that when people tell me routines are empty. A routine is a place where something used to happen, and may again, and the keeping of it is a kind of faith.',
  'The ferry still leaves at six. I still look back, now that I know to, and sometimes there is someone on the pier.',
];

function essay(name = 'ferry.md', paragraphs = PARAGRAPHS): EssayDocument {
  const blocks = paragraphs.map((text) => ({ kind: 'paragraph' as const, text }));
  const blockWords = paragraphs.map(countWords);
  return { doc: name, title: 'The Ferry', tags: [], blocks, blockWords, words: blockWords.reduce((a, b) => a + b, 0), drafts: [] };
}

const whole = PARAGRAPHS.join('\n\n');
const settings = { ...DEFAULT_DATASET_SETTINGS, fimCutsPerEssay: 4 };
// Enough words for four cuts.
const long = essay('long.md', ['ferry', 'tram', 'bus', 'train', 'boat', 'cart', 'coach'].flatMap((ride) => PARAGRAPHS.map((p) => p.replace('ferry', ride))));

test('each cut is the essay itself: before, then the middle, then the text after it', () => {
  const cuts = fimCuts(essay(), { ...settings, fimBeforeWords: 1000 });
  assert.ok(cuts.length >= 1);
  for (const c of cuts) {
    assert.ok(whole.includes(c.before + c.middle), `before runs straight into the middle: ${JSON.stringify(c.middle)}`);
    const at = whole.indexOf(c.before + c.middle) + (c.before + c.middle).length;
    assert.ok(whole.slice(at).trimStart().startsWith(c.after), 'the text after the middle follows it');
    assert.ok(!/[ \t]$/.test(c.before), 'before ends without the space the middle starts with');
    assert.match(c.middle, /[.!?]$/, 'the middle ends a sentence');
    assert.ok(countWords(c.middle) >= 3);
    assert.match(c.after, /[.!?]$/, 'the text after is whole sentences');
  }
});

test('the cuts are spread over the essay, seeded by the document, and the count is capped', () => {
  const cuts = fimCuts(long, settings);
  assert.equal(cuts.length, 4);
  const blocks = cuts.map((c) => c.block);
  assert.deepEqual([...blocks].sort((a, b) => a - b), blocks, 'in essay order');
  assert.equal(new Set(blocks).size, blocks.length, 'one cut per paragraph');
  assert.deepEqual(fimCuts(long, settings), cuts, 'the same essay is cut the same way');
  assert.notDeepEqual(fimCuts({ ...long, doc: 'other.md' }, settings).map((c) => c.middle), cuts.map((c) => c.middle));
  assert.deepEqual(fimCuts(long, { ...settings, fimCutsPerEssay: 0 }), []);
  assert.ok(essay().words < 300);
  assert.equal(fimCuts(essay(), settings).length, 1, 'a short essay gets one cut');
});

test('before and after are bounded by their word budgets', () => {
  for (const c of fimCuts(long, { ...settings, fimBeforeWords: 40, fimAfterWords: 25 })) {
    // Whole paragraphs are added until the budget is reached: at most one paragraph past it.
    const paragraphs = c.before.split('\n\n');
    assert.ok(countWords(paragraphs.slice(1).join(' ')) < 40, `before: ${countWords(c.before)} words`);
    assert.ok(countWords(c.after) <= 25 || !/[.!?].+[.!?]$/s.test(c.after), `after: ${countWords(c.after)} words`);
  }
});

test('a pair is the prompt in the fill-in-the-middle format and the middle as its completion', () => {
  const pairs = fimPairs(long, settings);
  const cuts = fimCuts(long, settings);
  assert.equal(pairs.length, cuts.length);
  pairs.forEach((p, k) => {
    const e = p.example as FimExample;
    assert.equal(e.tier, 'fim');
    assert.equal(e.id, `long.md#fim-${k}`);
    assert.equal(e.prompt, `${FIM_AFTER_OPEN}${cuts[k]!.after}${FIM_AFTER_CLOSE}${cuts[k]!.before}`);
    assert.equal(e.completion, cuts[k]!.middle);
    assert.deepEqual(p.spans, [{ source: -1, start: cuts[k]!.block, end: cuts[k]!.block + 1 }]);
  });
});

test('the prompt trims the text after, and keeps the text before as typed', () => {
  assert.equal(fillInTheMiddlePrompt('It was late.\n\n', '  The rain stopped.\n'), '<after>\nThe rain stopped.\n</after>\n\nIt was late.\n\n');
});

test('the text after the cursor is cut to whole sentences within the word budget', () => {
  const after = ' the rest of it. Then a second sentence here.\n\nA new paragraph starts.';
  assert.equal(afterTextForPrompt(after, 4), 'the rest of it.');
  assert.equal(afterTextForPrompt(after, 8), 'the rest of it.');
  assert.equal(afterTextForPrompt(after, 9), 'the rest of it. Then a second sentence here.');
  assert.equal(afterTextForPrompt(after, 100), 'the rest of it. Then a second sentence here.\n\nA new paragraph starts.');
  assert.equal(afterTextForPrompt('one two three four five six', 3), 'one two three', 'a long unfinished sentence: its first words');
  assert.equal(afterTextForPrompt('  \n\n ', 10), undefined);
});
