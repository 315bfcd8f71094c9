import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildContinuationPrompt, continuationSource, joinSuggestion, PLAIN_SEPARATOR, plainPrompt, type TokenCounter } from '../../../src/inference/prompt';
import { ModelTokenizer } from '../../../src/inference/modelTokenizer';
import { tokenizerDir } from './realModel';

let counter: TokenCounter;
before(async () => {
  const tokenizer = await ModelTokenizer.load(tokenizerDir());
  counter = { countTokens: (t) => tokenizer.encode(t, { addSpecialTokens: false }).length };
});

const para = (i: number) => `Paragraph ${i} says something about the weather, and then something else about the sea.`;

test('whole paragraphs are taken from the cursor back until the token budget is spent', () => {
  const text = [1, 2, 3, 4, 5].map(para).join('\n\n') + '\n\nNow the writer types';
  const one = counter.countTokens(para(1));
  const prompt = buildContinuationPrompt(text, one * 2 + 12, counter)!;
  assert.ok(prompt.tokens <= one * 2 + 12, `${prompt.tokens} tokens`);
  assert.equal(prompt.text, `${para(4)}\n\n${para(5)}\n\nNow the writer types`);
  assert.equal(prompt.tokens, counter.countTokens(prompt.text));
});

test('the prompt start stays put while the writer types (the key/value cache stays reusable)', () => {
  const base = [1, 2, 3, 4, 5, 6].map(para).join('\n\n') + '\n\nThe wind';
  const budget = 70;
  const a = buildContinuationPrompt(base, budget, counter)!;
  const b = buildContinuationPrompt(`${base} rose`, budget, counter)!;
  assert.equal(b.text.slice(0, a.text.length), a.text);
});

test('one paragraph longer than the budget is cut at a sentence start', () => {
  const long = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
  const prompt = buildContinuationPrompt(long, 40, counter)!;
  assert.ok(prompt.tokens <= 40);
  assert.match(prompt.text, /^Sentence number \d+ is here\./);
  assert.ok(prompt.text.endsWith('Sentence number 29 is here.'));
});

test('trailing spaces are cut off the prompt and the suggestion\'s leading space is dropped instead', () => {
  const prompt = buildContinuationPrompt('The cat sat on the ', 100, counter)!;
  assert.equal(prompt.text, 'The cat sat on the');
  assert.equal(prompt.trimmedWhitespace, ' ');
  assert.equal(joinSuggestion(prompt, ' mat.'), 'mat.');
  assert.equal(joinSuggestion(buildContinuationPrompt('The cat', 100, counter)!, ' sat'), ' sat');
});

test('a blank line at the cursor is kept: the writer starts a new paragraph', () => {
  const prompt = buildContinuationPrompt('First paragraph.\n\n', 100, counter)!;
  assert.equal(prompt.text, 'First paragraph.\n\n');
});

test('nothing to continue gives no prompt', () => {
  assert.equal(buildContinuationPrompt('   \n\n ', 100, counter), undefined);
  assert.equal(buildContinuationPrompt(continuationSource('---\ntitle: x\n---\n', 1000), 100, counter), undefined);
});

test('the source sent to the worker has no front matter or code, and starts at a paragraph', () => {
  const doc = '---\ntitle: x\n---\n\nIntro here.\n\n```\ncode();\n```\n\nMiddle one.\n\nLast bit';
  assert.equal(continuationSource(doc, 10_000).trim(), 'Intro here.\n\nMiddle one.\n\nLast bit');
  assert.equal(continuationSource(doc, 20), 'Last bit');
});

test('plain text keeps what markdown would cut: a first line of dashes and a scene break are prose there', () => {
  const story = '---\nThe first part ends here.\n\n~~~\n\nThe second part begins, and the';
  assert.equal(continuationSource(story, 10_000, { markdown: false }), story);
  assert.ok(!continuationSource(story, 10_000).includes('The second part begins'), 'as markdown, the tilde line opens a fence');
});

test('base models get the plain instruction format the engine trains them on', async () => {
  const data = await readFile(join(__dirname, '..', '..', '..', 'src', 'engine', 'python', 'voice_draft_engine', 'data.py'), 'utf8');
  const engine = /^PLAIN_SEPARATOR = "(.*)"$/m.exec(data)?.[1]?.replace(/\\n/g, '\n');
  assert.equal(PLAIN_SEPARATOR, engine, 'the same separator as voice_draft_engine/data.py');
  assert.equal(plainPrompt([{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }]), `S\n\nU${PLAIN_SEPARATOR}`);
});
