import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  buildSelfTestPairs, type DatasetDocument, type HeldOutContinuation, openingOf, openingTail, parseContinuations, readSelfTestPairs, sentenceEnds, splitAt, trimPair,
} from '../../../src/core/eval/selfTestPairs';

const sentence = (i: number, words = 8) => `Sentence ${i} ${Array.from({ length: words - 3 }, (_, k) => `w${i}x${k}`).join(' ')} end.`;
const sentences = (from: number, count: number, words = 8) => Array.from({ length: count }, (_, k) => sentence(from + k, words)).join(' ');

const OPENING_1 = 'The lamp in the hall had burned all night, and nobody in the house would admit to having lit it. My aunt said the wind.';
const OPENING_2 = 'Walking is the one exercise I never tire of, because it asks nothing of me except that I keep going and look about.';
const user = (opening: string) => `Continue my essay "Notes" from where it stops.\n\nAn earlier paragraph (${opening.slice(0, 4)}).\n\n${opening}`;
const row = (id: string, opening: string, writer: string): HeldOutContinuation => ({ id, doc: id.split('#')[0]!, user: user(opening), writer });
const message = (id: string, opening: string, writer: string, tier = 'T3') => ({
  id, doc: id.split('#')[0], tier,
  messages: [{ role: 'system', content: 'You are a writing partner.' }, { role: 'user', content: user(opening) }, { role: 'assistant', content: writer }],
});

const WRITER_1 = sentences(100, 4); // 32 words
const WRITER_2 = sentences(200, 4);
const rows = [row('essays/lamp.md#T3-0', OPENING_1, WRITER_1), row('essays/walk.md#T3-0', OPENING_2, WRITER_2)];

test('samples pair with the held-out continuation their prompt_id names; title prompts and unplaced openings are skipped', () => {
  const evaluation = {
    created: '2026-11-23T14:15:02Z',
    samples: [
      { prompt_id: 'essays/walk.md#T2-0', tier: 'T2', seed: 7, prompt: 'Write an essay titled "Walking".', base: 'b', tuned: sentences(1, 3) },
      { prompt_id: 'essays/lamp.md#T3-0', tier: 'T3', seed: 8, prompt: user(OPENING_1).slice(0, 400), base: 'b', tuned: sentences(10, 4) },
      { prompt_id: 'essays/gone.md#T3-0', tier: 'T3', seed: 9, prompt: user('Some opening nobody kept in the dataset, long enough to be looked for anywhere.'), base: 'b', tuned: sentences(20, 4) },
      { prompt_id: 'essays/lamp.md#T3-0', tier: 'T3', seed: 8, prompt: user(OPENING_1), base: 'b', tuned: '   ' },
    ],
  };
  const got = buildSelfTestPairs(evaluation, rows, []);
  assert.equal(got.evalCreated, '2026-11-23T14:15:02Z');
  assert.deepEqual(got.pairs.map((p) => [p.sample, p.promptId, p.seed, p.source]), [[1, 'essays/lamp.md#T3-0', 8, 'val']]);
  assert.equal(got.pairs[0]!.writer, WRITER_1);
  assert.equal(got.pairs[0]!.voice, sentences(10, 4));
  assert.equal(got.pairs[0]!.opening, `\u2026${OPENING_1}`, 'the opening\'s last paragraph, for context');
  assert.deepEqual(got.skipped.map((s) => s.sample), [0, 2, 3]);
  assert.match(got.skipped[0]!.reason, /title prompt/);
  assert.match(got.skipped[1]!.reason, /no held-out text/);
  assert.match(got.skipped[2]!.reason, /wrote nothing/);
});

test('a prompt_id with a prefix, or a prompt text alone, finds its row; a disagreeing prompt text is refused', () => {
  const evaluation = {
    samples: [
      // plain-continuation sample: the bare opening under its title, id with a prefix
      { prompt_id: 'plain:essays/walk.md#T3-0', tier: 'raw', seed: 1, prompt: `Notes\n\n${OPENING_2}`, tuned: sentences(30, 4) },
      // no usable id: the prompt text (cut at 400 characters) decides
      { prompt_id: 'eval-3', tier: 'T3', seed: 2, prompt: user(OPENING_1).slice(0, 90), tuned: sentences(40, 4) },
      // the id names lamp, the text is walk's opening
      { prompt_id: 'essays/lamp.md#T3-0', tier: 'T3', seed: 3, prompt: user(OPENING_2), tuned: sentences(50, 4) },
      // `#T3-01` is not `#T3-0`
      { prompt_id: 'essays/lamp.md#T3-01', tier: 'T3', seed: 4, prompt: 'x', tuned: sentences(60, 4) },
    ],
  };
  const got = buildSelfTestPairs(evaluation, rows, []);
  assert.deepEqual(got.pairs.map((p) => [p.sample, p.writer]), [[0, WRITER_2], [1, WRITER_1]]);
  assert.deepEqual(got.skipped.map((s) => s.sample), [2, 3]);
  assert.match(got.skipped[0]!.reason, /prompt text is another/);
});

test('an explicit writer reference in the sample wins over the dataset', () => {
  const evaluation = { samples: [{ prompt_id: 'essays/lamp.md#T3-0', tier: 'T3', seed: 8, prompt: user(OPENING_1), tuned: sentences(10, 4), reference: sentences(300, 4) }] };
  const got = buildSelfTestPairs(evaluation, rows, []);
  assert.equal(got.pairs[0]!.source, 'reference');
  assert.equal(got.pairs[0]!.writer, sentences(300, 4));
});

test('a whole opening found once in a held-out document pairs with what follows it there', () => {
  const before = `First paragraph of the held-out essay.\n\n${OPENING_1}`;
  const after = sentences(400, 5);
  const documents: DatasetDocument[] = [
    { doc: 'essays/lamp.md', split: 'val', text: `${before}\n\n${after}\n\nA last paragraph.` },
    // a training document holding the same words is not held-out text
    { doc: 'essays/copy.md', split: 'train', text: `${OPENING_1}\n\nSomething else entirely, written for training only.` },
  ];
  const evaluation = { samples: [
    { prompt_id: 'cont-0', tier: 'raw', seed: 1, prompt: `Lamp\n\n${OPENING_1.replace(/ /g, '\n')}`, tuned: sentences(10, 6) },
    { prompt_id: 'cont-1', tier: 'raw', seed: 2, prompt: 'x'.repeat(400), opening: OPENING_1, tuned: sentences(20, 6, 6) },
    { prompt_id: 'cont-2', tier: 'raw', seed: 3, prompt: 'y'.repeat(400), tuned: sentences(30, 6) },
  ] };
  const got = buildSelfTestPairs(evaluation, [], documents);
  assert.deepEqual(got.pairs.map((p) => [p.sample, p.source]), [[0, 'document'], [1, 'document']]);
  assert.equal(got.pairs[0]!.writer, `${after}\n\nA last paragraph.`, 'the rest of the document, 43 words beside the voice\'s 48');
  assert.equal(got.pairs[1]!.writer, after, 'cut at a sentence end: 40 words beside the voice\'s 36');
  assert.equal(got.pairs[0]!.opening, `\u2026${OPENING_1}`);
  assert.deepEqual(got.skipped.map((s) => s.sample), [2]);
  assert.match(got.skipped[0]!.reason, /cut at 400 characters/);
});

test('splitAt finds the opening\'s end whatever the spacing, once, at a word boundary', () => {
  const text = 'Alpha beta gamma delta epsilon zeta eta theta iota kappa.\n\nLambda mu nu.';
  assert.deepEqual(splitAt(text, 'beta  gamma delta\nepsilon zeta eta theta iota kappa.'), { before: 'Alpha beta gamma delta epsilon zeta eta theta iota kappa.', after: 'Lambda mu nu.' });
  assert.equal(splitAt(text, 'gamma delta epsilon zeta eta theta iota kap'), undefined, 'stops mid-word');
  assert.equal(splitAt(`${text} ${text}`, 'beta gamma delta epsilon zeta eta theta iota kappa.'), undefined, 'twice');
  assert.equal(splitAt(text, 'Lambda mu'), undefined, 'too short to place');
});

test('trimPair cuts both sides to about the same length, at sentence ends when it can', () => {
  const long = sentences(1, 20); // 160 words
  const short = sentences(50, 3, 10); // 30 words
  const t = trimPair(long, short)!;
  assert.equal(t.voice, short);
  assert.equal(t.writer, sentences(1, 4), '32 words against 30: within the tolerance, ending at a sentence');
  // both long: capped at maxWords, still at sentence ends
  const both = trimPair(long, sentences(70, 20))!;
  assert.equal(both.writer.split(/\s+/).length, 120);
  assert.equal(both.voice.split(/\s+/).length, 120);
  // one side never ends a sentence (the voice stopped at the token cap): the same word count, an ellipsis on both
  const runOn = `and then ${Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')}`;
  const cut = trimPair(sentences(1, 10), runOn)!;
  assert.equal(cut.voice.split(/\s+/).length, 42);
  assert.equal(cut.writer.split(/\s+/).length, 42);
  assert.ok(cut.writer.endsWith('\u2026') && cut.voice.endsWith('\u2026'));
  // too short to judge
  assert.equal(trimPair(long, 'Your sentiments, sir.'), null);
  // paragraph breaks are kept and end sentences
  assert.deepEqual(sentenceEnds('One two three\n\nFour five six.').map((b) => b.words), [3, 6]);
});

test('openings and their tails', () => {
  assert.equal(openingOf('Keep writing:\n\nThe opening.\n\nIts end.'), 'The opening.\n\nIts end.');
  assert.equal(openingOf('No instruction here.'), 'No instruction here.');
  assert.equal(openingTail('Only paragraph.'), 'Only paragraph.');
  const many = Array.from({ length: 70 }, (_, i) => `w${i}`).join(' ');
  assert.equal(openingTail(many), `\u2026${Array.from({ length: 60 }, (_, i) => `w${i + 10}`).join(' ')}`);
});

test('readSelfTestPairs reads eval.json and the dataset from the run folder, documents only when needed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'selftest-pairs-'));
  try {
    await mkdir(join(dir, 'dataset'));
    const val = [message('essays/lamp.md#T3-0', OPENING_1, WRITER_1), message('essays/walk.md#T2-0', 'Walking', 'x', 'T2')];
    await writeFile(join(dir, 'dataset', 'val.jsonl'), `${val.map((r) => JSON.stringify(r)).join('\n')}\nnot json\n`);
    await writeFile(join(dir, 'eval.json'), JSON.stringify({ created: 'c1', samples: [
      { prompt_id: 'essays/lamp.md#T3-0', tier: 'T3', seed: 1, prompt: user(OPENING_1), tuned: sentences(1, 4) },
      { prompt_id: 'cont-0', tier: 'raw', seed: 2, prompt: OPENING_2, tuned: sentences(2, 4) },
    ] }));
    let got = await readSelfTestPairs(dir);
    assert.deepEqual(got.pairs.map((p) => p.sample), [0]);
    assert.deepEqual(got.skipped.map((p) => p.sample), [1]);
    await writeFile(join(dir, 'dataset', 'documents.jsonl'), `${JSON.stringify({ doc: 'essays/walk.md', title: 'Walking', split: 'val', text: `${OPENING_2}\n\n${WRITER_2}` })}\n`);
    got = await readSelfTestPairs(dir);
    assert.deepEqual(got.pairs.map((p) => [p.sample, p.source]), [[0, 'val'], [1, 'document']]);
    assert.equal(got.pairs[1]!.writer, WRITER_2);
    // no eval.json: no pairs, nothing skipped
    assert.deepEqual(await readSelfTestPairs(join(dir, 'missing')), { pairs: [], skipped: [], evalCreated: null });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('parseContinuations keeps T3 rows that end with the writer\'s answer', () => {
  const got = parseContinuations([
    message('a#T3-0', OPENING_1, 'answer'),
    message('a#T2-0', 'Title', 'essay', 'T2'),
    { id: 'a#raw-0', tier: 'raw', text: 'raw' },
    { id: 'a#T3-1', tier: 'T3', messages: [{ role: 'user', content: 'u' }] },
    7,
  ]);
  assert.deepEqual(got.map((r) => r.id), ['a#T3-0']);
});
