import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkStop, finalizeSuggestion } from '../../../src/inference/stopping';

const sentence = { at: 'sentence' as const, after: '' };
const paragraph = { at: 'paragraph' as const, after: '' };

test('sentence mode stops after the first sentence end followed by a space, keeping closing quotes', () => {
  assert.deepEqual(checkStop(' it rained. Then', sentence), { stop: true, reason: 'sentence', text: ' it rained.' });
  assert.deepEqual(checkStop(' he said "no." And', sentence), { stop: true, reason: 'sentence', text: ' he said "no."' });
  assert.equal(checkStop(' it rained', sentence).stop, false);
});

test('a period at the very end stops at once after a word, but waits after a number, an initial or an abbreviation', () => {
  assert.equal(checkStop(' it rained.', sentence).stop, true);
  assert.equal(checkStop(' why?', sentence).stop, true);
  assert.equal(checkStop(' it cost 3.', sentence).stop, false, '"3." may become "3.5"');
  assert.equal(checkStop(' written by J.', sentence).stop, false);
  assert.equal(checkStop(' as Mr.', sentence).stop, false);
  assert.equal(checkStop(' it cost 3.5 dollars', sentence).stop, false, 'a decimal point is no sentence end');
  assert.deepEqual(checkStop(' as Mr. Smith said. Then', sentence).text, ' as Mr. Smith said.');
});

test('sentence mode ends at a line end; leading newlines before any text do not count', () => {
  assert.deepEqual(checkStop(' a list\n- item', sentence), { stop: true, reason: 'sentence', text: ' a list' });
  assert.equal(checkStop('\n\nThe next', sentence).stop, false);
  assert.deepEqual(checkStop('\n\nThe next one. And', sentence).text, '\n\nThe next one.');
});

test('paragraph mode runs over sentences and stops at a blank line', () => {
  assert.equal(checkStop(' One. Two. Three', paragraph).stop, false);
  assert.deepEqual(checkStop(' One. Two.\n\nNew', paragraph), { stop: true, reason: 'paragraph', text: ' One. Two.' });
  assert.deepEqual(checkStop(' One.\n  \nNew', paragraph).text, ' One.');
});

test('never repeats the text after the cursor: stops where the suggestion runs into it', () => {
  const rules = { at: 'paragraph' as const, after: ' on the mat, asleep.' };
  assert.deepEqual(checkStop(' quietly on the mat, asleep. The', rules), { stop: true, reason: 'repeat', text: ' quietly' });
  // Whole words only: "on the" inside "Brighton theatre" is not a repeat.
  assert.equal(checkStop(' in Brighton the matinee', { at: 'none', after: 'on the mat' }).stop, false);
  // Punctuation right after the cursor: the suggestion ends before it.
  assert.deepEqual(checkStop(' and the dog. Later', { at: 'paragraph', after: '. Later that day' }).text, ' and the dog');
});

test('finalize drops a dangling start of the text after the cursor and trailing whitespace', () => {
  assert.equal(finalizeSuggestion(' slept soundly on the', { at: 'none', after: 'on the mat' }), ' slept soundly');
  assert.equal(finalizeSuggestion(' it rained.  \n', sentence), ' it rained.');
  assert.equal(finalizeSuggestion('   \n', sentence), '', 'whitespace only is no suggestion');
  assert.equal(finalizeSuggestion(' on the mat', { at: 'sentence', after: ' on the mat.' }), '', 'only a repeat is no suggestion');
});
