import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countWords } from '../../../src/core/corpus/text';
import { DEFAULT_DATASET_SETTINGS } from '../../../src/core/dataset/options';
import { pairsForDocument } from '../../../src/core/dataset/pairs';
import { SYSTEM_PROMPT, templateWording } from '../../../src/core/dataset/prompts';
import type { BuiltPair, EssayDocument, InstructionExample, TrainingExample } from '../../../src/core/dataset/types';
import { prose } from '../corpus/fixtures';

function doc(name: string, paragraphs: string[], extra: Partial<EssayDocument> = {}): EssayDocument {
  const blocks = paragraphs.map((text) => ({ kind: 'paragraph' as const, text }));
  const blockWords = paragraphs.map(countWords);
  return { doc: name, title: 'On Lanterns', tags: [], blocks, blockWords, words: blockWords.reduce((a, b) => a + b, 0), drafts: [], ...extra };
}

const byTier = (pairs: BuiltPair[], tier: string) => pairs.filter((p) => p.example.tier === tier);
const assistant = (e: TrainingExample) => (e.tier === 'raw' ? e.text : e.tier === 'fim' ? e.completion : (e.messages[e.messages.length - 1]?.content ?? ''));

test('an essay gives T2, several T3 cuts at paragraph boundaries, and raw segments covering it all', () => {
  const paragraphs = Array.from({ length: 24 }, (_, i) => prose(i, 60)); // 1,440 words
  const essay = doc('lanterns.md', paragraphs, { subtitle: 'A small light', thesis: 'Small lights matter', tags: ['light'] });
  const built = pairsForDocument(essay, DEFAULT_DATASET_SETTINGS);
  const examples = built.map((b) => b.example);

  const t2 = examples.filter((e) => e.tier === 'T2') as InstructionExample[];
  assert.equal(t2.length, 1);
  assert.match(t2[0]?.messages[1]?.content ?? '', /On Lanterns/);
  assert.match(t2[0]?.messages[1]?.content ?? '', /Small lights matter/);
  assert.equal(t2[0] && assistant(t2[0]), paragraphs.join('\n\n'));

  const t3 = examples.filter((e) => e.tier === 'T3') as InstructionExample[];
  assert.equal(t3.length, 2); // 1,440 words / (2 × 250) → 2 cuts
  const whole = paragraphs.join('\n\n');
  for (const pair of t3) {
    const [system, user, answer] = pair.messages;
    assert.equal(system?.content, SYSTEM_PROMPT);
    assert.equal(answer?.role, 'assistant');
    // Cut at paragraph boundaries: the continuation is whole paragraphs, and the opening ends where it starts.
    const continuation = answer?.content ?? '';
    assert.ok(whole.includes(continuation) && paragraphs.includes(continuation.split('\n\n')[0] ?? ''));
    const opening = (user?.content ?? '').split('\n\n').slice(1).join('\n\n');
    assert.ok(whole.includes(`${opening}\n\n${continuation}`), 'the opening runs straight into the continuation');
  }
  const raw = examples.filter((e) => e.tier === 'raw');
  assert.equal(raw.map(assistant).join('\n\n'), whole, 'raw segments cover the essay once, in order');
  assert.deepEqual(examples.filter((e) => e.tier !== 'fim').map((e) => e.id), ['lanterns.md#T2-0', 'lanterns.md#T3-0', 'lanterns.md#T3-1', 'lanterns.md#raw-0', 'lanterns.md#raw-1', 'lanterns.md#raw-2', 'lanterns.md#raw-3']);
  assert.ok(examples.some((e) => e.tier === 'fim'), 'and fill-in-the-middle pairs (fim.test.ts)');
});

test('a short piece gives topic → note (T4) instead of T2', () => {
  const built = pairsForDocument(doc('note.md', [prose(1, 40), prose(2, 40)]), DEFAULT_DATASET_SETTINGS);
  assert.deepEqual(built.map((b) => b.example.tier), ['T4', 'T3', 'raw']);
  assert.match((byTier(built, 'T4')[0]?.example as InstructionExample).messages[1]?.content ?? '', /On Lanterns/);
});

test('T1 pairs come only from real drafts, one per draft', () => {
  const draftParagraphs = [prose(1, 50), prose(2, 50)];
  const essay = doc('walk.md', [prose(1, 60), prose(3, 60)], {
    drafts: [{ origin: 'drafts folder', label: 'drafts/walk.md', blocks: draftParagraphs.map((text) => ({ kind: 'paragraph', text })), blockWords: [50, 50], words: 100 }],
  });
  const t1 = pairsForDocument(essay, DEFAULT_DATASET_SETTINGS).filter((b) => b.example.tier === 'T1');
  assert.equal(t1.length, 1);
  const messages = (t1[0]?.example as InstructionExample).messages;
  assert.ok(messages[1]?.content.endsWith(draftParagraphs.join('\n\n')));
  assert.equal(messages[2]?.content, essay.blocks.map((b) => b.text).join('\n\n'));
  assert.deepEqual(pairsForDocument(doc('plain.md', [prose(1, 300)]), DEFAULT_DATASET_SETTINGS).filter((b) => b.example.tier === 'T1'), []);
});

test('instruction wording varies between pairs but never appears in what the model learns to write', () => {
  const essays = Array.from({ length: 30 }, (_, i) => doc(`e${i}.md`, Array.from({ length: 12 }, (_, k) => prose(i * 50 + k, 60))));
  const examples = essays.flatMap((e) => pairsForDocument(e, DEFAULT_DATASET_SETTINGS).map((b) => b.example));
  const users = new Set(examples.filter((e) => e.tier === 'T3').map((e) => ((e as InstructionExample).messages[1]?.content ?? '').split('\n\n')[0]));
  assert.ok(users.size >= 2, 'more than one wording is used');
  const wording = (['T1', 'T2', 'T3', 'T4'] as const).flatMap(templateWording);
  assert.ok(wording.length >= 8);
  for (const e of examples) {
    const text = assistant(e).toLowerCase();
    for (const phrase of wording) assert.ok(!text.includes(phrase), `"${phrase}" leaked into ${e.id}`);
  }
});

test('an essay that quotes an instruction gets another wording', () => {
  const quoting = doc('meta.md', [`${prose(1, 40)} Continue my essay "On Lanterns" from where it stops, she said.`, prose(2, 300), prose(3, 300)]);
  for (const b of pairsForDocument(quoting, DEFAULT_DATASET_SETTINGS)) {
    if (b.example.tier !== 'T3') continue;
    const user = b.example.messages[1]?.content ?? '';
    assert.ok(!user.startsWith('Continue my essay') || !assistant(b.example).includes('Continue my essay'));
  }
});
