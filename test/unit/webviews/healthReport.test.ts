// The dashboard's corpus health: read leniently from manifest.health, drawn as groups of
// flagged pieces (rendered here on a server-side DOM, as the webview would).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDocument } from '@mixmark-io/domino';
import { buildDataset } from '../../../src/core/dataset/build';
import { healthBlock } from '../../../src/webviews/app/dataReport';
import { dataReport } from '../../../src/webviews/reports';
import { folderWith, prose } from '../corpus/fixtures';

const HEALTH = {
  words: 4200, pieces: 12, need: { minimum: 5000, enough: 20000, plenty: 50000 }, verdict: 'too small',
  crossPosts: [{ doc: 'b.md', of: 'a.md', similarity: 0.97, kept: false }, { doc: 'd.md', of: 'c.md', similarity: 0.64, kept: true }],
  quoted: [{ doc: 'q.md', share: 0.45 }], otherAuthors: [{ doc: 'g.md', author: 'Jane Doe', from: 'byline' }],
  short: [{ doc: 'n.md', words: 12 }], machineLike: [{ doc: 'm.md', perThousandWords: 21.5, phrases: ['delve', 'rich tapestry'] }],
  flagged: 5, howToExclude: 'Add its path to .voiceignore.',
};

test('manifest.health becomes labelled groups of flagged pieces; junk and absence are read as nothing', () => {
  const h = dataReport({ health: HEALTH })!.health!;
  assert.deepEqual([h.words, h.pieces, h.verdict, h.enough, h.plenty, h.flagged], [4200, 12, 'too small', 20000, 50000, 5]);
  assert.deepEqual(h.groups.map((g) => [g.title.split(' ')[0], g.items.map((i) => `${i.doc}: ${i.detail}`)]), [
    ['Left', ['b.md: copy of a.md, 97% the same']],
    ['Alike', ['d.md: like c.md, 64% the same']],
    ['Mostly', ['q.md: 45% in block quotes']],
    ['By', ['g.md: byline: Jane Doe']],
    ['Very', ['n.md: 12 words']],
    ['Reads', ['m.md: 21.5 stock phrases per 1,000 words: \u201cdelve\u201d, \u201crich tapestry\u201d']],
  ]);
  assert.equal(dataReport({})!.health, null);
  assert.deepEqual(dataReport({ health: { quoted: 'x', short: [null, 3], flagged: 'many' } })!.health, { words: null, pieces: null, verdict: null, enough: null, plenty: null, groups: [], flagged: 0, howToExclude: null });
});

test('the dashboard draws the health of a real dataset: each flagged piece by name, and how to leave it out', async () => {
  const files: Record<string, string> = { 'short.md': '# Short\n\nA note of a few words only.\n' };
  for (let i = 0; i < 3; i++) files[`e${i}.md`] = `# E${i}\n\n${prose(i, 120)}\n\n${prose(i + 10, 120)}\n`;
  const { dir, cleanup } = await folderWith(files);
  const g = globalThis as { document?: Document };
  const before = g.document;
  try {
    const { manifest } = await buildDataset({ folder: dir, useGitHistory: false });
    g.document = createDocument('<!doctype html><body></body>');
    const report = dataReport(JSON.parse(JSON.stringify(manifest)))!;
    const health = healthBlock(report.health!);
    const text = health.textContent ?? '';
    assert.match(text, /Corpus health/);
    assert.match(text, /words in 4 pieces: too small · about 20000 words give a voice; 50000\+ is plenty/);
    assert.match(text, /Very short: 1short\.md — 7 words/);
    assert.match(text, /1 flagged piece is still in the training data\. To leave a piece out of training, add its path to \.voiceignore/);
    assert.equal(health.querySelector('meter')?.getAttribute('max'), '50000');
  } finally {
    g.document = before;
    await cleanup();
  }
});
