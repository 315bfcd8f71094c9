// `voice-draft write --rewrite` prints the passage alone, what was cut from the model's
// output, the content check, and says so when nothing usable came back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rewriteOutput } from '../../../src/cli/write';
import { contentKept } from '../../../src/inference/contentKept';
import type { ParagraphReport, RewriteResult } from '../../../src/inference/rewriteService';

const DRAFT = 'in 1911 people had less and were not less happy.';
const REWRITE = 'People had less in those days, and were happier.';

function report(over: Partial<ParagraphReport>): ParagraphReport {
  return {
    index: 0, draftStart: 0, draftEnd: DRAFT.length, start: 0, end: REWRITE.length, output: '', stoppedBy: 'eos', attempts: 1,
    keptDraft: false, removed: [], candidates: [], chosen: 0, ...over,
  };
}

test('a rewrite prints the passage, then what was cut and the content check with its flags', () => {
  const result: RewriteResult = {
    text: REWRITE, paragraphs: 1, unchanged: 0,
    reports: [report({ removed: [{ kind: 'preamble', text: "Sure! Here's the revised version:" }], content: contentKept(DRAFT, REWRITE) })],
  };
  const out = rewriteOutput(result).split('\n');
  assert.equal(out[0], REWRITE);
  assert.equal(out[1], '');
  assert.equal(out[2], "  · the paragraph: cut the model's preamble: “Sure! Here's the revised version:”");
  assert.match(out[3]!, /^ {2}· the paragraph: content kept: \d+% of the draft's content words, chrF 0\.\d\d — ⚠ drops the number 1911; drops 'not'$/);
});

test('when nothing usable came back the terminal says so, and shows what the model wrote instead', () => {
  const chatty = "I'd be happy to help you refine your essay.";
  const result: RewriteResult = {
    text: DRAFT, paragraphs: 1, unchanged: 1,
    reports: [report({ keptDraft: true, end: DRAFT.length, removed: [{ kind: 'preamble', text: chatty }] })],
  };
  const out = rewriteOutput(result).split('\n');
  assert.match(out[0]!, /^\(nothing usable came back: .*the draft stays as it is\)$/);
  assert.equal(out[1], `  · the paragraph: nothing usable came back, so it stays as drafted (the model wrote only preamble: “${chatty}”)`);
});
