// The whole pipeline on the shared corpora and on hand-made nasty folders. Expected
// counts come from the corpora's own MANIFEST.json (word counts by their builder), not
// from the code under test.
import assert from 'node:assert/strict';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildDataset, DatasetError, type DatasetBuild } from '../../../src/core/dataset/build';
import { templateWording } from '../../../src/core/dataset/prompts';
import { hashFraction } from '../../../src/core/dataset/split';
import type { InstructionExample, TrainingExample } from '../../../src/core/dataset/types';
import { BIERCE_NOTES, MACDOWELL, corporaMissing, essay, folderWith, prose } from '../corpus/fixtures';
import { writtenFiles } from '../helpers/datasetFiles';

interface CorpusManifest {
  files: Array<{ path: string; words: number; title: string }>;
  total_words: number;
}
const corpusManifest = (dir: string, up = 0) => JSON.parse(readFileSync(path.join(dir, ...Array<string>(up).fill('..'), 'MANIFEST.json'), 'utf8')) as CorpusManifest;

let macdowell: Promise<DatasetBuild> | undefined;
const buildMacdowell = () => (macdowell ??= buildDataset({ folder: MACDOWELL }));

const texts = (e: TrainingExample) => (e.tier === 'raw' ? [e.text] : e.tier === 'fim' ? [e.prompt, e.completion] : e.messages.map((m) => m.content));
const assistant = (e: TrainingExample) => (e.tier === 'raw' ? e.text : e.tier === 'fim' ? e.completion : ((e.messages.at(-1)?.content ?? '')));

test('MacDowell essays: a title → essay pair per essay, continuations, raw text, nothing lost', { skip: corporaMissing }, async () => {
  const { manifest, train, val, documents } = await buildMacdowell();
  const source = corpusManifest(MACDOWELL);
  assert.equal(manifest.documents.total, source.files.length);
  assert.deepEqual(manifest.skipped, []);
  const long = source.files.filter((f) => f.words >= 250).length;
  assert.equal(manifest.tiers.T2, long);
  assert.equal(manifest.tiers.T4, source.files.length - long);
  assert.equal(manifest.tiers.T1, 0, 'no drafts, so no T1: drafts are never made up');
  assert.ok(manifest.tiers.T3 >= 2 * source.files.length, `${manifest.tiers.T3} continuations`);
  assert.equal(manifest.cap.droppedPairs, 0);
  // Raw segments cover every document's text exactly once.
  for (const d of documents) {
    const raw = [...train, ...val].filter((e) => e.doc === d.doc && e.tier === 'raw').map(assistant);
    assert.equal(raw.join('\n\n'), d.text, d.doc);
  }
  // The corpus counts words the same way; only the 15 footnotes are gone.
  assert.ok(manifest.words <= source.total_words && manifest.words > source.total_words * 0.98, `${manifest.words} of ${source.total_words}`);
  assert.equal(manifest.markup.footnotes, 15);
  assert.equal(manifest.boilerplate.removed, 0);
});

test('no document is in both splits; at least one is held out; the split is recorded per document', { skip: corporaMissing }, async () => {
  const { manifest, train, val, documents } = await buildMacdowell();
  const trainDocs = new Set(train.map((e) => e.doc));
  const valDocs = new Set(val.map((e) => e.doc));
  assert.ok(valDocs.size >= 1);
  assert.deepEqual([...trainDocs].filter((d) => valDocs.has(d)), []);
  for (const d of documents) assert.ok(d.split === 'val' ? valDocs.has(d.doc) && !trainDocs.has(d.doc) : !valDocs.has(d.doc), d.doc);
  assert.equal(manifest.documents.val, valDocs.size);
  assert.equal(manifest.pairs.train, train.length);
  assert.ok(Math.max(...manifest.perDocumentShare.map((d) => d.share)) <= 0.2);
});

test('every line has the contract\'s shape, and no instruction wording leaks into answers', { skip: corporaMissing }, async () => {
  const { train, val } = await buildMacdowell();
  const wording = (['T1', 'T2', 'T3', 'T4'] as const).flatMap(templateWording);
  for (const e of [...train, ...val]) {
    assert.match(e.id, new RegExp(`^${e.doc.replace(/[.]/g, '\\.')}#(T[1-4]|raw|fim)-\\d+$`));
    if (e.tier === 'raw') {
      assert.ok(e.text.length > 0);
      continue;
    }
    if (e.tier === 'fim') {
      assert.ok(e.prompt.length > 0 && e.completion.length > 0);
      continue;
    }
    const roles = e.messages.map((m) => m.role);
    assert.deepEqual(roles, ['system', 'user', 'assistant']);
    const answer = assistant(e).toLowerCase();
    for (const phrase of wording) assert.ok(!answer.includes(phrase), `${e.id}: "${phrase}"`);
  }
});

test('the same input gives a byte-identical dataset', { skip: corporaMissing }, async () => {
  const first = await writtenFiles(await buildMacdowell());
  const second = await writtenFiles(await buildDataset({ folder: MACDOWELL }));
  assert.deepEqual(Object.keys(first), ['documents.jsonl', 'manifest.json', 'train.jsonl', 'val.jsonl']);
  for (const name of Object.keys(first)) assert.ok(first[name]?.equals(second[name] ?? Buffer.alloc(0)), `${name} differs between runs`);
});

test('Bierce notes: short pieces become topic → note pairs, longer ones title → essay', { skip: corporaMissing }, async () => {
  const { manifest, documents } = await buildDataset({ folder: BIERCE_NOTES });
  const source = corpusManifest(BIERCE_NOTES, 1).files.filter((f) => f.path.startsWith('notes/'));
  assert.equal(manifest.documents.total, source.length);
  const short = source.filter((f) => f.words < 250).length;
  assert.equal(manifest.tiers.T4, short);
  assert.equal(manifest.tiers.T2, source.length - short);
  const words = Object.fromEntries(source.map((f) => [f.path.replace(/^notes\//, ''), f.words]));
  for (const d of documents) assert.equal(d.words, words[d.doc], d.doc);
  assert.equal(manifest.boilerplate.removed, 0, 'Bierce\'s "G.J." signature is his, not a newsletter sign-off');
});

test('one long essay among short ones is held to the 20% cap', { skip: corporaMissing }, async () => {
  const files = readdirSync(MACDOWELL).filter((f) => f.endsWith('.md')).sort();
  const bodies = files.map((f) => readFileSync(path.join(MACDOWELL, f), 'utf8'));
  const giant = bodies.slice(10).map((b) => b.replace(/^---\n[\s\S]*?\n---\n/, '')).join('\n\n');
  // A name the split keeps in training (the lowest hash is the one essay held out).
  const lowest = Math.min(...files.slice(0, 10).map(hashFraction));
  const name = ['giant.md', 'giant-essay.md', 'everything.md'].find((n) => hashFraction(n) > lowest) ?? 'giant.md';
  const { dir, cleanup } = await folderWith({
    ...Object.fromEntries(files.slice(0, 10).map((f, i) => [f, bodies[i] ?? ''])),
    [name]: `---\ntitle: Everything Else\n---\n\n${giant}`,
  });
  try {
    const { manifest, train } = await buildDataset({ folder: dir, validationRatio: 0.01 });
    const giantPairs = train.filter((e) => e.doc === name).length;
    assert.ok(giantPairs > 0, `${name} is in training`);
    assert.ok(giantPairs / train.length <= 0.2 + 1e-9, `${name} supplies ${giantPairs}/${train.length}`);
    assert.ok(manifest.cap.droppedPairs > 0);
    assert.ok(Math.max(...manifest.perDocumentShare.map((d) => d.share)) <= 0.2);
    assert.ok(train.some((e) => e.doc === name && e.tier === 'T2'), 'the capped essay keeps its rarer tiers');
  } finally {
    await cleanup();
  }
});

test('newsletter boilerplate is removed, counted by kind, and shown by example', async () => {
  const footer = [
    'Thanks for reading The Lantern! Subscribe for free to receive new posts.',
    '[Twitter](https://twitter.com/x) · [RSS](https://x.com/feed)',
    'Buy me a coffee if you enjoyed this.',
    '— Jane',
  ].join('\n\n');
  const files: Record<string, string> = {};
  for (let i = 0; i < 8; i++) files[`post-${i}.md`] = essay(`Post ${i}`, i + 1, 6, i < 6 ? footer : `Closing thought number ${i}.`);
  const { dir, cleanup } = await folderWith(files);
  try {
    const { manifest, train, val, documents } = await buildDataset({ folder: dir });
    assert.equal(manifest.boilerplate.removed, 24);
    assert.deepEqual(manifest.boilerplate.byKind, { 'thanks for reading': 6, 'link-only line': 6, 'call to action': 6, 'repeated sign-off': 6 });
    assert.ok(manifest.boilerplate.examples.some((e) => e.text.startsWith('Thanks for reading The Lantern')));
    const everything = [...train, ...val].flatMap(texts).join('\n') + documents.map((d) => d.text).join('\n');
    for (const gone of ['Subscribe', 'coffee', 'Twitter', '— Jane']) assert.ok(!everything.includes(gone), gone);
    assert.ok(everything.includes('Closing thought number 7.'));
  } finally {
    await cleanup();
  }
});

test('nasty files: CRLF, BOM, emoji, broken YAML, nested fences, a binary and a 50 MB file', async () => {
  const { dir, cleanup } = await folderWith({
    'crlf.md': `\ufeff${essay('Windows Lines', 1).replace(/\n/g, '\r\n')}`,
    'emoji.md': `---\ntitle: Small Joys\n---\n\n${prose(2)} 🌧️ then ☕ and 🐈‍⬛.\n\n${prose(3)}\n`,
    'broken-yaml.md': `---\ntitle: "never closed\ntags: [a, b\n---\n\n${prose(4)}\n\n${prose(5)}\n`,
    'fences.md': `---\ntitle: Fences\n---\n\n${prose(6)}\n\n\`\`\`\`markdown\n\`\`\`js\nnot prose\n\`\`\`\nstill code\n\`\`\`\`\n\n${prose(7)}\n`,
    'picture.md': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]),
  });
  try {
    const huge = await fs.open(path.join(dir, 'huge.md'), 'w');
    await huge.truncate(50 * 1024 * 1024);
    await huge.close();
    const { manifest, documents } = await buildDataset({ folder: dir });
    assert.deepEqual(documents.map((d) => d.doc), ['broken-yaml.md', 'crlf.md', 'emoji.md', 'fences.md']);
    assert.deepEqual(manifest.skipped.map((s) => s.path), ['huge.md', 'picture.md']);
    assert.match(manifest.skipped[0]?.reason ?? '', /too large/);
    assert.match(manifest.skipped[1]?.reason ?? '', /binary/);
    assert.ok(manifest.warnings.some((w) => /^broken-yaml\.md: front matter is not valid YAML/.test(w)));
    const byDoc = Object.fromEntries(documents.map((d) => [d.doc, d]));
    assert.ok(!byDoc['crlf.md']?.text.includes('\r') && !byDoc['crlf.md']?.text.includes('\ufeff'));
    assert.equal(byDoc['crlf.md']?.title, 'Windows Lines');
    assert.ok(byDoc['emoji.md']?.text.includes('🌧️ then ☕ and 🐈‍⬛.'));
    assert.equal(byDoc['fences.md']?.text, `${prose(6)}\n\n${prose(7)}`);
    assert.equal(manifest.markup.codeBlocks, 1);
  } finally {
    await cleanup();
  }
});

test('a near-duplicate essay and a drafts/ twin: the copy is dropped, the draft feeds T1', async () => {
  const original = essay('Walking', 1, 8);
  const { dir, cleanup } = await folderWith({
    'walking.md': original,
    'walking-copy.md': original.replace('river', 'stream'),
    'drafts/walking.md': `# Walking\n\n${prose(10)}\n\n${prose(2 * 100 + 1)}\n`,
    'tea.md': essay('Tea', 2, 8),
    'drafts/orphan.md': essay('Orphan', 3, 2),
  });
  try {
    const { manifest, train, val, documents } = await buildDataset({ folder: dir });
    assert.deepEqual(documents.map((d) => d.doc), ['tea.md', 'walking.md']);
    assert.match(manifest.skipped.find((s) => s.path === 'walking-copy.md')?.reason ?? '', /^(near-duplicate of|repeats) walking\.md/);
    assert.match(manifest.skipped.find((s) => s.path === 'drafts/orphan.md')?.reason ?? '', /draft without a finished essay/);
    assert.equal(manifest.tiers.T1, 1);
    assert.equal(manifest.drafts.used['drafts folder'], 1);
    const t1 = [...train, ...val].find((e) => e.tier === 'T1') as InstructionExample;
    assert.equal(t1.doc, 'walking.md');
    assert.ok(t1.messages[1]?.content.includes(prose(10)));
  } finally {
    await cleanup();
  }
});

test('an empty folder is an error that says what was looked for, and where', async () => {
  const { dir, cleanup } = await folderWith({ 'notes.txt': 'not markdown', 'picture.md': Buffer.from([0, 1, 2, 3]) });
  try {
    await assert.rejects(buildDataset({ folder: dir }), (e: unknown) => {
      assert.ok(e instanceof DatasetError);
      assert.equal(e.code, 'no-essays');
      assert.match(e.message, new RegExp(`No markdown essays found in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(e.message, /Looked for: \*\*\/\*\.md, \*\*\/\*\.markdown/);
      assert.match(e.message, /picture\.md: binary file/);
      return true;
    });
  } finally {
    await cleanup();
  }
  const code = await folderWith({ 'snippets.md': '```js\nconsole.log(1);\n```\n' });
  try {
    await assert.rejects(buildDataset({ folder: code.dir }), (e: unknown) => e instanceof DatasetError && e.code === 'no-prose' && /snippets\.md: no prose left/.test(e.message));
  } finally {
    await code.cleanup();
  }
});

test('one tiny essay still makes a dataset, with a warning that it is too small and how much more helps', async () => {
  const { dir, cleanup } = await folderWith({ 'only.md': `# A Small Start\n\n${prose(1, 40)}\n\n${prose(2, 40)}\n` });
  try {
    const { manifest, train, val } = await buildDataset({ folder: dir });
    assert.equal(manifest.documents.total, 1);
    assert.ok(train.length > 0);
    assert.equal(val.length, 0);
    assert.ok(manifest.warnings.some((w) => /80 words in 1 essay: too small to learn a voice/.test(w) && /add 19,920 more words/.test(w)), manifest.warnings.join('\n'));
    assert.ok(manifest.warnings.some((w) => /Only one essay, so none can be held out/.test(w)));
  } finally {
    await cleanup();
  }
});
