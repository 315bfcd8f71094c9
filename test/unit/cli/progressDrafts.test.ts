// The terminal's line for synthetic drafts (train.drafts): progress, the counts, or why none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEvent } from '../../../src/cli/progress';
import { parseEvent } from '../../../src/core/runs/protocol';

test('synthetic drafts: progress with the time left, then what was kept and why the rest was not', () => {
  assert.equal(describeEvent(parseEvent({ event: 'train.drafts', stage: 'paraphrase', done: 16, total: 120, kept: null, eta_s: 312.4 })),
    'synthetic drafts (paraphrase): 16 of 120, about 312 s left');
  assert.equal(describeEvent(parseEvent({ event: 'train.drafts', stage: 'done', done: 100, total: 100, kept: 74, eta_s: 0, method: 'destyled',
    seconds: 2.54, rejected: { 'near copy': 25, 'loses content words': 1 }, skipped: null })),
  'synthetic drafts (destyled): 74 of 100 paragraphs kept as rewrite pairs (left out: 25 near copy, 1 loses content words), 2.5 s');
  assert.equal(describeEvent(parseEvent({ event: 'train.drafts', stage: 'done', done: 0, total: 0, kept: 0,
    skipped: 'the dataset was built before synthetic drafts: build it again' })),
  'synthetic drafts: none (the dataset was built before synthetic drafts: build it again)');
});
