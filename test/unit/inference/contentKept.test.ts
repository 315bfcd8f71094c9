// Content preservation of a rewritten paragraph against its draft, on hand-made pairs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chrF, contentKept, contentStems, names, negations, numbers, quotations, stem } from '../../../src/inference/contentKept';

test('content words: stop words and filler out, lower-cased, lightly stemmed', () => {
  assert.deepEqual(contentStems('The shops were closing, and we really walked past them.'), ['shop', 'clos', 'walk', 'past']);
  assert.equal(stem('closed'), stem('close'));
  assert.equal(stem('stories'), stem('story'));
  assert.equal(stem('stopped'), stem('stop'));
  assert.equal(stem('walking'), stem('walked'));
  assert.equal(stem("Rosa's"), 'rosa');
});

test('chrF: 1 for the same text, 0 for nothing in common, in between for a paraphrase, case and spaces ignored', () => {
  assert.equal(chrF('The mill closed.', 'The mill closed.'), 1);
  assert.equal(chrF('the  MILL closed.', 'The mill closed.'), 1);
  assert.equal(chrF('xyz', 'abc'), 0);
  assert.equal(chrF('', 'abc'), 0);
  const close = chrF('The mill shut, and the town changed.', 'the town changed after the mill closed');
  const far = chrF('Birds sing in spring.', 'the town changed after the mill closed');
  assert.ok(close > 0.4 && close < 1, `paraphrase ${close}`);
  assert.ok(far < 0.2, `unrelated ${far}`);
  // β = 2: missing half the reference costs more than adding as much again.
  const ref = 'the town changed after the mill closed';
  assert.ok(chrF('the town changed', ref) < chrF(`${ref} and the people left for the city`, ref));
});

test('names: capitalised words not opening a sentence, or capitalised there and elsewhere too; "I" is none', () => {
  assert.deepEqual(names('My grandmother Rosa walked to Brighton. Rosa never drove. I did.').map((n) => n.text), ['Rosa', 'Brighton', 'Rosa']);
  assert.deepEqual(names('Money is a loan. It was 1911.').map((n) => n.text), []);
  assert.deepEqual(names("We met at Rosa's house.").map((n) => n.text), ['Rosa']);
  assert.deepEqual(names('It held: However we looked, Mr. Smith was gone.\n\n- Rent first').map((n) => n.text), ['Mr', 'Smith']);
});

test('numbers in digits or words, negations with or without apostrophes, quotations in any quotes', () => {
  assert.deepEqual(numbers('In 1911 they walked twelve miles, 3.5 hours, for 12,000 people and twenty-five cents.').map((n) => n.value), [1911, 12, 3.5, 12000, 25]);
  assert.deepEqual(negations("We don't, we never did, dont ask; no one cannot, without it, not ever.").map((n) => n.group),
    ['not', 'never', 'not', 'no', 'not', 'without', 'not']);
  assert.deepEqual(quotations('He called it “a loan”, she said "no way", and it\'s \'not mine\' either.').map((q) => q.text), ['a loan', 'no way', 'not mine']);
});

test('a faithful rewrite keeps its draft: high recall and chrF, no flags', () => {
  const draft = 'my grandmother rosa never learned to drive, she walked everywhere, even to Brighton once which is 12 miles';
  const rewrite = 'My grandmother Rosa never learned to drive. She walked everywhere; once, she even walked the twelve miles to Brighton.';
  const c = contentKept(draft, rewrite);
  assert.ok(c.recall >= 0.9, `recall ${c.recall}`);
  assert.ok(c.chrF > 0.5, `chrF ${c.chrF}`);
  assert.deepEqual(c.flags, [], '"twelve" keeps "12"; the capitalised "Rosa" is the draft\'s "rosa"');
});

test('a rewrite that drops the number, the name and the negation is flagged with each reason', () => {
  const draft = 'In 1911 my uncle Tomas did not own a car, and he never wanted one.';
  const rewrite = 'Long ago my uncle owned a car, and he wanted one more.';
  const c = contentKept(draft, rewrite);
  assert.ok(c.flags.includes('drops the number 1911'), c.flags.join('; '));
  assert.ok(c.flags.includes('drops the name Tomas'), c.flags.join('; '));
  assert.ok(c.flags.includes("drops 'not'"), c.flags.join('; '));
  assert.ok(c.flags.includes("drops 'never'"), c.flags.join('; '));
  assert.deepEqual(c.lost.map((l) => draft.slice(l.start, l.end)), ['Tomas', '1911', 'not', 'never'].sort((a, b) => draft.indexOf(a) - draft.indexOf(b)));
});

test('negations may change form ("did not" → "didn\'t", "no" → "nothing"); only fewer of them is flagged', () => {
  assert.deepEqual(contentKept('we did not know and had no money', "We didn't know, and we had nothing.").flags.filter((f) => f.startsWith('drops')), []);
  assert.deepEqual(contentKept('we did not know', 'We knew.').flags, ["drops 'not'"]);
});

test('a drifted rewrite (the demo\'s kind) falls below recall and chrF', () => {
  const draft = 'the walk to work is long but i like it because you see stuff like the baker and the canal and its nice.';
  const rewrite = "The walk to work is a classic example of a narrative that's both relatable and engaging.";
  const c = contentKept(draft, rewrite);
  assert.ok(c.recall < 0.6 && c.chrF < 0.3, `recall ${c.recall} chrF ${c.chrF}`);
  assert.match(c.flags[0]!, /^loses the draft's words: long, see, baker, canal, nice \(29% kept\)$/);
  assert.match(c.flags[1]!, /^little of the draft's wording is left \(chrF 0\.\d\d\)$/);
});

test('a changed quotation is flagged; numbers and names the draft does not have are flagged as added', () => {
  const draft = 'my father called money "a loan from the future" and never borrowed';
  assert.deepEqual(contentKept(draft, 'My father called money a debt to tomorrow, and he never borrowed.').flags,
    ['changes or drops the quotation “a loan from the future”']);
  assert.deepEqual(contentKept(draft, 'My father called money "a loan from the future," and never borrowed.').flags, []);
  assert.deepEqual(contentKept('the meeting went badly', 'The meeting with Harold went badly, 3 times.').flags,
    ['adds the number 3, not in the draft', 'adds the name Harold, not in the draft']);
});

test('short drafts are not judged on recall (one lost word is a quarter of them), but key items still are', () => {
  assert.deepEqual(contentKept('it rained', 'Rain fell.').flags.filter((f) => f.startsWith('loses')), []);
  assert.deepEqual(contentKept('never again', 'Again.').flags, ["drops 'never'"]);
});
