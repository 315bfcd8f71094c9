// Corpus health on a hand-made folder: the writer's own essays, and one piece of each
// kind the check flags. Flagged pieces stay in the data; the report says how to leave one out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDataset } from '../../../src/core/dataset/build';
import { formatDatasetSummary } from '../../../src/core/dataset/summary';
import { stockPhrasesIn } from '../../../src/core/corpus/stockPhrases';
import { folderWith, prose } from '../corpus/fixtures';

const fm = (title: string, author = 'Henry Saunterer') => `---\ntitle: "${title}"\nauthor: ${author}\n---\n\n`;
const paragraphs = (seed: number, n = 6) => Array.from({ length: n }, (_, i) => prose(seed * 100 + i));
/** The same paragraphs with every 30th word changed: an edited cross-post (about 70% of its 5-word shingles shared). */
const edited = (ps: string[]) => ps.map((p) => p.split(' ').map((w, i) => (i % 30 === 5 ? 'altered' : w)).join(' '));

const MACHINE = [
  "In today's fast-paced world, it's important to note that walking plays a crucial role in our lives. Let's dive into the rich tapestry of paths.",
  'Whether you\'re a seasoned hiker or a beginner, walking can unlock your full potential. It is a testament to the power of simple habits, and it seamlessly fits any day.',
  'Navigating the complexities of modern life, we often forget to delve into nature. At the end of the day, a walk stands as a reminder of what matters.',
  'In conclusion, embarking on a journey of daily walks is a game-changer. I hope this helps you elevate your routine.',
].join('\n\n');

test('the health check flags cross-posts, quotation, other authors, short and machine-written pieces, and leaves them in', async () => {
  const files: Record<string, string> = {};
  for (let i = 1; i <= 8; i++) files[`essay-${i}.md`] = fm(`Essay ${i}`) + paragraphs(i).join('\n\n');
  files['copy-of-essay-1.md'] = fm('Essay 1 (Medium)') + paragraphs(1).join('\n\n');
  files['essay-2-medium.md'] = fm('Essay 2 (Medium)') + edited(paragraphs(2)).join('\n\n');
  files['quoting.md'] = fm('Quoting') + [paragraphs(20, 2).join('\n\n'), ...paragraphs(21, 3).map((p) => `> ${p}`)].join('\n\n');
  files['guest.md'] = fm('A guest') + ['Guest post by Jane Doe', ...paragraphs(30, 4)].join('\n\n');
  files['other-author.md'] = fm('Other', 'Someone Else') + paragraphs(40, 4).join('\n\n');
  files['note.md'] = fm('A note') + prose(50, 40);
  files['machine.md'] = fm('Walking tips') + MACHINE;
  const { dir, cleanup } = await folderWith(files);
  try {
    const { manifest, documents } = await buildDataset({ folder: dir, useGitHistory: false });
    const h = manifest.health;
    assert.ok(h);
    assert.deepEqual(h.crossPosts.map((c) => [c.doc, c.of, c.kept]), [['copy-of-essay-1.md', 'essay-1.md', false], ['essay-2.md', 'essay-2-medium.md', true]]);
    assert.ok(h.crossPosts[1]!.similarity >= 0.5 && h.crossPosts[1]!.similarity < 0.8, String(h.crossPosts[1]!.similarity));
    assert.deepEqual(h.quoted.map((q) => q.doc), ['quoting.md']);
    assert.ok(h.quoted[0]!.share > 0.5);
    assert.deepEqual(h.otherAuthors.map((a) => [a.doc, a.author, a.from]), [['guest.md', 'Jane Doe', 'byline'], ['other-author.md', 'Someone Else', 'front matter']]);
    assert.deepEqual(h.short, [{ doc: 'note.md', words: 40 }]);
    assert.deepEqual(h.machineLike.map((m) => m.doc), ['machine.md']);
    assert.ok(h.machineLike[0]!.phrases.includes('rich tapestry'));
    assert.equal(h.flagged, 6);
    assert.equal(h.verdict, 'too small');
    // Flagged, not excluded: each flagged piece is still a document of the dataset.
    const docs = new Set(documents.map((d) => d.doc));
    for (const doc of ['essay-2-medium.md', 'quoting.md', 'guest.md', 'other-author.md', 'note.md', 'machine.md']) assert.ok(docs.has(doc), doc);
    assert.ok(!docs.has('copy-of-essay-1.md'), 'an exact copy is left out by the builder, as before, and listed');

    const summary = formatDatasetSummary(manifest);
    assert.match(summary, /Corpus health: [\d,]+ words in 14 pieces: too small \(20,000 words give a voice, 50,000\+ is plenty\)/);
    assert.match(summary, /! reads machine-written \(stock assistant phrases\): machine\.md \([\d.]+ per 1,000 words: /);
    assert.match(summary, /6 pieces are flagged and still in the data\. To leave a piece out of training, add its path to \.voiceignore/);
  } finally {
    await cleanup();
  }
});

test('the writer\'s own byline and a writer who uses a stock phrase or two are not flagged', async () => {
  const files: Record<string, string> = {};
  for (let i = 1; i <= 6; i++) files[`e${i}.md`] = `---\ntitle: E${i}\n---\n\nBy Henry Saunterer\n\n${paragraphs(i).join('\n\n')}\n\nIn conclusion, the world of walking is a testament to patience.\n`;
  const { dir, cleanup } = await folderWith(files);
  try {
    const h = (await buildDataset({ folder: dir, useGitHistory: false })).manifest.health;
    assert.ok(h);
    assert.deepEqual([h.otherAuthors, h.machineLike, h.short, h.quoted, h.crossPosts], [[], [], [], [], []]);
    assert.equal(h.flagged, 0);
  } finally {
    await cleanup();
  }
});

test('stock phrases are found whatever the apostrophe, on word boundaries only', () => {
  assert.deepEqual(stockPhrasesIn('In today’s fast-paced world we delve. Delving deeper, she said “Certainly!”'), ["in today's fast-paced world", 'delve', 'delving', 'certainly!']);
  assert.deepEqual(stockPhrasesIn('The tapestryman undelved nothing seamlessness'), []);
});
