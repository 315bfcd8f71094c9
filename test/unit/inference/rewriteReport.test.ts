// A rewrite's reports in words: the notification's summary and the log's lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentKept } from '../../../src/inference/contentKept';
import { nothingUsable, paragraphNotes, rewriteLines, rewriteSummary } from '../../../src/inference/rewriteReport';
import type { ParagraphReport, RewriteResult } from '../../../src/inference/rewriteService';

const base: ParagraphReport = { index: 0, draftStart: 0, draftEnd: 0, start: 0, end: 0, output: '', stoppedBy: 'eos', attempts: 1, keptDraft: false, removed: [], candidates: [], chosen: 0 };
const faithful = contentKept('the mill closed in 1911 and nobody talked about it', 'The mill closed in 1911, and nobody talked about it.');
const lossy = contentKept('the mill closed in 1911 and nobody talked about it', 'The mill closed, and people talked.');

test('a clean, faithful rewrite needs no summary', () => {
  const result: RewriteResult = { text: '', paragraphs: 1, unchanged: 0, reports: [{ ...base, content: faithful }] };
  assert.equal(rewriteSummary(result), '');
  assert.equal(nothingUsable(result), false);
  assert.deepEqual(rewriteLines(result), ["the paragraph: content kept: 100% of the draft's content words, chrF 0.92"]);
});

test('flags come first in the summary, then paragraphs kept as drafted, then what was cut', () => {
  const result: RewriteResult = {
    text: '', paragraphs: 3, unchanged: 1, reports: [
      { ...base, index: 0, content: lossy, removed: [{ kind: 'preamble', text: 'Sure!' }] },
      { ...base, index: 1, keptDraft: true, removed: [{ kind: 'preamble', text: "I'd be happy to help." }] },
      { ...base, index: 2, content: faithful, removed: [{ kind: 'commentary', text: 'I hope this helps!' }, { kind: 'wrapper', text: '"…"' }] },
    ],
  };
  assert.equal(rewriteSummary(result),
    "⚠ check the meaning: paragraph 1 drops the number 1911, drops 'nobody'; 1 of 3 paragraphs stay as drafted (nothing usable came back); the model's preamble, commentary and quotes were left out");
  assert.equal(paragraphNotes(result.reports[1]!, 3).kept, "nothing usable came back, so it stays as drafted (the model wrote only preamble: “I'd be happy to help.”)");
  assert.deepEqual(rewriteLines(result).slice(0, 2), [
    "paragraph 1: cut the model's preamble: “Sure!”",
    `paragraph 1: content kept: ${Math.round(lossy.recall * 100)}% of the draft's content words, chrF ${lossy.chrF.toFixed(2)} — ⚠ ${lossy.flags.join('; ')}`,
  ]);
  assert.equal(nothingUsable({ ...result, unchanged: 3 }), true);
});
