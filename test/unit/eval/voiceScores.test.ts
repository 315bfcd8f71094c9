import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatTable, parseSummary, readEvalJson, scoreRows, summaryLine } from '../../../src/core/eval/voiceScores';

// The shape docs/contracts.md gives eval.json (values hand-made).
const EVAL = {
  format: 1,
  summary: { perplexity_base: 31.52, perplexity_tuned: 22.04, delta_base: 1.2, delta_tuned: 0.8, delta_floor: 0.4, gap_closed: 0.5, attributed_to_writer: 0.25, slop_per_1000_words_base: 3, slop_per_1000_words_tuned: null },
  perplexity: { base: 31.52, tuned: 22.04, ratio: 0.6993, ratio_ci: [0.65, 0.75], tokens: 3000, documents: 4 },
  stylometry: {
    delta: { base: 1.2, tuned: 0.8, floor: 0.4, gap_closed: 0.5, gap_closed_ci: [0.3, 0.7] },
    char_cosine: { base: 0.9, tuned: 0.95, floor: 0.97, gap_closed: 0.714 },
    gap_closed: 0.5,
  },
  attribution: { tuned_share: 0.25, ci: [0.1, 0.4], base_share: 0.05, writer_heldout_share: 0.9, classifier_accuracy: 0.95 },
  habits: {
    hashtags: { base: 1.5, tuned: 0, writer: 0 },
    calls_to_action: { base: 2, tuned: 0.5, writer: 0 },
    stock_phrases: { base: 4, tuned: 1, writer: 0.1 },
    exclamations: { base: 6, tuned: 2, writer: 1 },
    first_person_claims: { base: 10, tuned: null, writer: 12 },
  },
  length: { T2: { writer_median_words: 640, median_words: { base: 120, tuned: 150 }, truncated_share: { base: 1, tuned: 0.5 } } },
};

test('scoreRows: one row per score, base/tuned/writer columns, intervals and gap closed in the note', () => {
  const rows = scoreRows(EVAL);
  const byName = Object.fromEntries(rows.map((r) => [r[0], r]));
  assert.deepEqual(byName['held-out perplexity (lower = closer)'], ['held-out perplexity (lower = closer)', '31.52', '22.04', '', 'tuned/base 0.699 [0.650, 0.750]']);
  assert.deepEqual(byName["Burrows' Delta (lower = closer)"]!.slice(1), ['1.20', '0.80', '0.40 held-out', 'gap closed 50% [30%, 70%]']);
  assert.deepEqual(byName['attributed to the writer']!.slice(1), ['5% (cv)', '25% [10%, 40%]', '90% held-out', 'classifier accuracy 95%']);
  assert.deepEqual(byName['unprompted "I" claims /1k words']!.slice(1), ['10.00', '—', '12.00', '']);
  assert.deepEqual(byName['T2 length (median words)']!.slice(1), ['120', '150', '640', '50% of tuned samples hit the token cap']);
});

test('one held-out document: no perplexity interval, and the note says why', () => {
  const one = { ...EVAL, perplexity: { ...EVAL.perplexity, ratio_ci: [null, null], documents: 1, interval_note: '1 held-out document: no interval (resampling needs 2 or more)' } };
  assert.equal(scoreRows(one)[0]![4], 'tuned/base 0.699 (1 held-out document: no interval (resampling needs 2 or more))');
});

test('a skipped attribution says why instead of a number', () => {
  const rows = scoreRows({ ...EVAL, attribution: { tuned_share: null, skipped: 'attribution needs at least 2 writer and 2 base paragraphs' } });
  assert.equal(rows.find((r) => r[0] === 'attributed to the writer')![4], 'attribution needs at least 2 writer and 2 base paragraphs');
});

test('formatTable aligns columns under a header', () => {
  const lines = formatTable(scoreRows(EVAL)).trimEnd().split('\n');
  assert.match(lines[0]!, /^metric\s+base\s+tuned\s+writer\s+note$/);
  const tunedCol = lines[0]!.indexOf('tuned');
  for (const line of lines.slice(1)) {
    assert.equal(line.slice(tunedCol - 2, tunedCol), '  ');
    assert.notEqual(line[tunedCol], ' ');
  }
  assert.equal(lines.length, scoreRows(EVAL).length + 1);
});

test('summary: numbers only, one readable sentence', () => {
  const s = parseSummary(EVAL.summary);
  assert.equal(s.slop_per_1000_words_tuned, undefined);
  assert.equal(summaryLine(s), 'held-out perplexity 31.5 → 22.0; 50% of the style gap to your writing closed; 25% of tuned paragraphs read as yours.');
  assert.equal(summaryLine({}), 'No scores.');
});

test('readEvalJson: the file when it parses, undefined otherwise', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vd-eval-'));
  assert.equal(await readEvalJson(dir), undefined);
  await writeFile(join(dir, 'eval.json'), JSON.stringify(EVAL));
  assert.deepEqual(await readEvalJson(dir), EVAL);
  await writeFile(join(dir, 'eval.json'), '{"half":');
  assert.equal(await readEvalJson(dir), undefined);
});

test('continuations and chat residue: their own rows and a word in the summary line', () => {
  const withCont = {
    ...EVAL,
    chat_residue: { base: { share: 0.5, examples: ['Sure! Here is your essay about music and more'] }, tuned: { share: 0, examples: [] } },
    continuation: {
      attribution: { tuned_share: 0.85, ci: [0.7, 0.95], base_share: 0.1, writer_heldout_share: 0.9 },
      stylometry: { delta: { base: 1.1, tuned: 0.6, floor: 0.5, gap_closed: 0.83 }, reliable: true },
      chat_residue: { base: { share: 0.25 }, tuned: { share: 0, examples: [] } },
      length: { writer_median_words: 98, median_words: { base: 60, tuned: 90 }, ratio_to_writer: { base: 0.61, tuned: 0.92 } },
    },
  };
  const rows = scoreRows(withCont);
  const byName = new Map(rows.map((r) => [r[0], r]));
  assert.deepEqual(byName.get('chat residue (share of samples)')?.slice(1, 3), ['50%', '0%']);
  assert.deepEqual(byName.get('continuations attributed to the writer')?.slice(1, 3), ['10% (cv)', '85% [70%, 95%]']);
  assert.equal(byName.get("continuations' Burrows' Delta")?.[4], 'gap closed 83%');
  assert.equal(byName.get('continuation length (median words)')?.[4], 'tuned/writer 0.92');
  assert.equal(scoreRows(EVAL).some((r) => r[0].startsWith('continuation')), false);  // older eval.json: no rows
  const line = summaryLine(parseSummary({ ...EVAL.summary, attributed_continuation: 0.85, chat_residue_continuation: 0, chat_residue_instruction: 0.1 }));
  assert.match(line, /85% of its continuations read as yours; 10% of samples talk like a chat assistant\.$/);
});
