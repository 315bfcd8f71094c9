// What the dataset tells the engine for synthetic drafts (issue #20): the rewrite wording with
// its slots, and how many training paragraphs may become drafts; the summary says so.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDataset } from '../../../src/core/dataset/build';
import { rewriteTemplates, TEMPLATES } from '../../../src/core/dataset/prompts';
import { formatDatasetSummary } from '../../../src/core/dataset/summary';
import { essay, folderWith, prose } from '../corpus/fixtures';

test('the rewrite wording, with {title} and {draft} where the T1 templates put them', () => {
  const t = rewriteTemplates();
  assert.equal(t.T1.length, TEMPLATES.T1.length);
  t.T1.forEach((slots, i) => {
    const fill = (s: string, title?: string) => s.replace('{title}', title ?? '').replace('{draft}', 'DRAFT');
    assert.equal(fill(slots.titled, 'Money'), TEMPLATES.T1[i]!({ title: 'Money', text: 'DRAFT' }));
    assert.equal(fill(slots.untitled), TEMPLATES.T1[i]!({ text: 'DRAFT' }));
    assert.ok(!slots.untitled.includes('{title}'));
  });
});

test('eligible paragraphs: 20+ words, training essays only, none from an essay with a real draft', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 10; i++) files[`essay-${i}.md`] = essay(`Essay ${i}`, i + 1, 4, `Short line ${i}.`);
  files['drafted.md'] = essay('Drafted', 50, 4);
  files['drafts/drafted.md'] = `${prose(900, 40)}\n\n${prose(901, 40)}\n`;
  const { dir, cleanup } = await folderWith(files);
  try {
    const { manifest, documents } = await buildDataset({ folder: dir, validationRatio: 0.2 });
    const trainEssays = documents.filter((d) => d.split === 'train' && d.doc !== 'drafted.md');
    assert.equal(manifest.syntheticDrafts?.essaysWithRealDrafts, documents.some((d) => d.doc === 'drafted.md' && d.split === 'train') ? 1 : 0);
    assert.equal(manifest.syntheticDrafts?.eligibleParagraphs, trainEssays.length * 4);
    assert.ok(manifest.prompts?.T1[0]?.titled.includes('{draft}'));
    assert.match(formatDatasetSummary(manifest), new RegExp(`Synthetic drafts for T1: .*up to ${trainEssays.length * 4} paragraphs`));
  } finally {
    await cleanup();
  }
});
