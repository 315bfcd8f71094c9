// The dashboard's words for the synthetic drafts (train.drafts) and eval.json's rewrite section.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvent } from '../../../src/core/runs/protocol';
import { scoreTree, syntheticDraftsReport } from '../../../src/webviews/reports';
import { applyEvents, emptyModel } from '../../../src/core/runs/runModel';

test('progress, then the counts, the reasons some were left out and examples; or why there were none', () => {
  const m = emptyModel();
  applyEvents(m, [parseEvent({ event: 'train.drafts', stage: 'paraphrased', done: 8, total: 40, kept: null, eta_s: 95.2 })]);
  assert.equal(syntheticDraftsReport(m.drafts)?.line, 'Making them (paraphrased): 8 of 40, about 95 s left.');
  applyEvents(m, [parseEvent({
    event: 'train.drafts', stage: 'done', done: 100, total: 100, kept: 74, eta_s: 0, method: 'destyled', seconds: 2.54,
    rejected: { 'near copy': 25, 'loses content words': 1 }, cached: false, skipped: null,
    examples: [{ plain: 'The Greeks had no harmony.', paragraph: 'The Greeks—it is said—had no harmony at all.', doc: '06-greece.md' }],
  })]);
  const done = syntheticDraftsReport(m.drafts);
  assert.equal(done?.line, '74 of 100 paragraphs became rewrite pairs (destyled: a plain version in, your paragraph out); left out: 25 near copy, 1 loses content words; 2.54 s.');
  assert.deepEqual(done?.examples, [{ plain: 'The Greeks had no harmony.', paragraph: 'The Greeks—it is said—had no harmony at all.', doc: '06-greece.md' }]);
  const none = parseEvent({ event: 'train.drafts', stage: 'done', done: 0, total: 0, kept: 0, skipped: 'turned off (synthetic_drafts: "off")' });
  assert.equal(none.event === 'train.drafts' && syntheticDraftsReport(none)?.line, 'None: turned off (synthetic_drafts: "off").');
  assert.equal(syntheticDraftsReport(null), null);
  assert.throws(() => parseEvent({ event: 'train.drafts', stage: 'done', done: 1 }), /malformed/);
});

test('eval.json\'s rewrite section shows attribution base vs tuned with the plain inputs and the writer beside them', () => {
  const tree = scoreTree({ rewrite: { paragraphs: 12, attributed: { plain: 0.9, base: 0.1, tuned: 0.6, writer: 1 },
    content: { base: { recall: 0.4 }, tuned: { recall: 0.85 } } } });
  const rewrite = tree?.find((n) => n.label === 'rewrite');
  assert.ok(rewrite && rewrite.kind === 'group');
  const attributed = rewrite.children.find((n) => n.label === 'attributed');
  assert.ok(attributed && attributed.kind === 'compare' && attributed.base === 0.1 && attributed.tuned === 0.6);
  assert.deepEqual(attributed.extra, [['plain', '0.9'], ['writer', '1']]);
  const content = rewrite.children.find((n) => n.label === 'content');
  assert.ok(content && content.kind === 'group' && content.children.some((n) => n.kind === 'compare' && n.label === 'recall' && n.tuned === 0.85));
});
