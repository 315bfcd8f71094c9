// The guards between pairs and training: near-duplicates, the split, the per-essay cap.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { capDocumentShare } from '../../../src/core/dataset/cap';
import { ParagraphLedger, findNearDuplicates, jaccard, shingles, sketch } from '../../../src/core/dataset/dedupe';
import { DEFAULT_DATASET_SETTINGS, resolveDatasetSettings } from '../../../src/core/dataset/options';
import { hashFraction, splitByDocument } from '../../../src/core/dataset/split';
import type { Tier } from '../../../src/core/dataset/types';
import { wordHashes } from '../../../src/core/corpus/text';
import { prose } from '../corpus/fixtures';

const candidate = (item: string, text: string) => {
  const s = shingles(text);
  return { item, sketch: sketch(s), shingles: () => s };
};

test('MinHash + LSH finds a lightly edited copy and leaves different texts alone', () => {
  const original = Array.from({ length: 8 }, (_, i) => prose(i, 80)).join(' ');
  const edited = original.replace('river', 'stream').replace('winter', 'summer').replace('quiet', 'still');
  const other = Array.from({ length: 8 }, (_, i) => prose(100 + i, 80)).join(' ');
  assert.ok(jaccard(shingles(original), shingles(edited)) > 0.8, 'the edit is light');
  const found = findNearDuplicates([candidate('a', original), candidate('b', other), candidate('c', edited)], 0.8);
  assert.equal(found.length, 1);
  assert.equal(found[0]?.duplicate, 'c');
  assert.equal(found[0]?.of, 'a');
  // Only items of the same group are compared.
  assert.deepEqual(findNearDuplicates([candidate('a', original), candidate('c', edited)], 0.8, (x) => x), []);
});

test('the paragraph ledger finds paragraphs an earlier document already had', () => {
  const ledger = new ParagraphLedger();
  const first = [prose(1), prose(2), 'Short line.'].map(wordHashes);
  ledger.add('a.md', first);
  const second = [prose(3), prose(2).toUpperCase(), 'Short line.'].map(wordHashes);
  assert.deepEqual([...ledger.repeats(second)], [[1, 'a.md']]);
});

test('the split is by document, deterministic, and holds out at least one essay', () => {
  const docs = Array.from({ length: 40 }, (_, i) => `essays/${i}.md`);
  const split = splitByDocument(docs, 0.1);
  assert.deepEqual(splitByDocument([...docs].reverse(), 0.1), split);
  assert.equal(split.train.length + split.val.length, 40);
  assert.equal(split.train.filter((d) => split.val.includes(d)).length, 0);
  assert.ok(split.val.length >= 1);
  const under = docs.filter((d) => hashFraction(d) < 0.1);
  for (const d of under) assert.ok(split.val.includes(d)); // a path under the ratio is always held out
  assert.ok(split.val.length >= Math.round(0.1 * docs.length)); // and the ratio's share at least
  const lowest = [...docs].sort((a, b) => hashFraction(a) - hashFraction(b)).slice(0, split.val.length);
  assert.deepEqual(split.val, lowest.sort()); // the lowest hashes first
  // Adding an essay moves at most one other across.
  const grown = splitByDocument([...docs, 'essays/new.md'], 0.1);
  assert.ok(split.val.filter((d) => !grown.val.includes(d)).length <= 1);
  assert.deepEqual(splitByDocument(['a.md', 'b.md'], 0.01).val.length, 1);
  assert.deepEqual(splitByDocument(['only.md'], 0.1), { train: ['only.md'], val: [] });
  // 21 essays at 0.2: four or more held out, whatever their hashes.
  const essays = Array.from({ length: 21 }, (_, i) => `${String(i + 1).padStart(2, '0')}-essay.md`);
  assert.ok(splitByDocument(essays, 0.2).val.length >= 4);
});

const pairs = (counts: Record<string, number>) =>
  Object.entries(counts).flatMap(([doc, n]) => Array.from({ length: n }, (_, i) => ({ doc, tier: (i === 0 ? 'T2' : i % 3 === 0 ? 'T3' : 'raw') as Tier, i })));

test('no document supplies more than the set share of the pairs', () => {
  const counts: Record<string, number> = { 'long.md': 60 };
  for (let i = 0; i < 12; i++) counts[`e${i}.md`] = 5;
  const { kept, dropped, effectiveShare } = capDocumentShare(pairs(counts), 0.2);
  assert.equal(effectiveShare, 0.2);
  assert.ok(dropped > 0);
  const long = kept.filter((p) => p.doc === 'long.md');
  assert.ok(long.length / kept.length <= 0.2 + 1e-9, `long.md has ${long.length}/${kept.length}`);
  assert.ok(long.some((p) => p.tier === 'T2'), 'the rarer tier is kept first');
  assert.equal(kept.filter((p) => p.doc === 'e0.md').length, 5, 'small essays keep everything');
});

test('with too few essays to honour the cap, it relaxes to twice a fair share', () => {
  const { kept, effectiveShare } = capDocumentShare(pairs({ 'a.md': 30, 'b.md': 15, 'c.md': 2 }), 0.2);
  assert.ok(Math.abs(effectiveShare - 2 / 3) < 1e-9);
  assert.ok(kept.length > 30, 'a handful of essays is not cut down to a handful of pairs');
});

test('dataset defaults mirror the voiceDraft.data.* settings in package.json', () => {
  const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default: unknown }> } };
  };
  const setting = (name: string) => manifest.contributes.configuration.properties[`voiceDraft.data.${name}`]?.default;
  assert.equal(DEFAULT_DATASET_SETTINGS.maxDocumentShare, setting('maxDocumentShare'));
  assert.equal(DEFAULT_DATASET_SETTINGS.validationRatio, setting('validationRatio'));
  assert.equal(DEFAULT_DATASET_SETTINGS.shortNoteWords, setting('shortNoteWords'));
  assert.deepEqual(DEFAULT_DATASET_SETTINGS.include, setting('include'));
  assert.deepEqual(DEFAULT_DATASET_SETTINGS.exclude, setting('exclude'));
  assert.throws(() => resolveDatasetSettings({ validationRatio: 0.9 }), /validationRatio must be a number from 0.01 to 0.5/);
  assert.equal(resolveDatasetSettings({ maxDocumentShare: undefined }).maxDocumentShare, 0.2);
});
