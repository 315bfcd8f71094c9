import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataReport, formatNumber, humanize, scoreTree } from '../../../src/webviews/reports';

test('the data report reads the manifest contract: tiers, documents, shares largest first, boilerplate, warnings', () => {
  const manifest = {
    format: 1, source: 'essays', documents: { total: 5, train: 4, val: 1 }, pairs: { train: 40, val: 6 },
    tiers: { T1: 2, T2: 5, T3: 30, T4: 3, raw: 6 }, words: 12000,
    perDocumentShare: [{ doc: 'a.md', pairs: 8, share: 0.2 }, { doc: 'b.md', pairs: 12, share: 0.3 }],
    boilerplate: { removed: 3, byKind: { cta: 1, footer: 2 }, examples: ['Thanks for reading!', { kind: 'cta', text: 'Subscribe now', doc: 'a.md' }] },
    skipped: [{ path: 'empty.md', reason: 'no prose' }],
    warnings: ['b.md supplies 30% of the pairs'],
    settings: { maxDocumentShare: 0.2 },
  };
  const r = dataReport(manifest)!;
  assert.deepEqual(r.documents, { total: 5, train: 4, val: 1 });
  assert.deepEqual(r.tiers.map((t) => t.tier), ['T1', 'T2', 'T3', 'T4', 'raw']);
  assert.deepEqual(r.shares.map((s) => s.doc), ['b.md', 'a.md']);
  assert.equal(r.maxShare, 0.2);
  assert.deepEqual(r.boilerplate?.byKind, [{ kind: 'footer', count: 2 }, { kind: 'cta', count: 1 }]);
  assert.deepEqual(r.boilerplate?.examples, ['Thanks for reading!', 'Subscribe now  (cta, a.md)']);
  assert.deepEqual(r.skipped, [{ path: 'empty.md', reason: 'no prose' }]);
  assert.deepEqual(r.warnings, ['b.md supplies 30% of the pairs']);
  assert.equal(dataReport(null), null);
  assert.deepEqual(dataReport({})?.tiers, []);
});

test('the share limit is the cap the builder applied (relaxed for few essays), not the bare setting', () => {
  const manifest = { settings: { maxDocumentShare: 0.2 }, cap: { maxShare: 0.2, effectiveShare: 0.34, perDocumentLimit: 12, droppedPairs: 0 } };
  assert.equal(dataReport(manifest)!.maxShare, 0.34);
});

test('eval.json is rendered generically: base/tuned pairs become comparisons, nesting becomes groups', () => {
  const tree = scoreTree({
    perplexity: { base: 21.5, tuned: 14.2, docs: 3, ratio_ci: { low: 0.61, high: 0.7 }, per_doc: [1, 2, 3, 4, 5], detail: { a: { b: 1 } } },
    stylometry: { function_words: { base: 0.31, tuned: 0.12 }, sentence_length: 0.4 },
    attribution_share: 0.83,
    habits: [{ name: 'em-dash', base: 0.1, tuned: 0.4 }],
    model: null,
  })!;
  assert.deepEqual(tree.map((n) => [n.kind, n.label]), [['compare', 'perplexity'], ['group', 'stylometry'], ['value', 'attribution share'], ['group', 'habits'], ['value', 'model']]);
  const ppl = tree[0]!;
  assert.ok(ppl.kind === 'compare' && ppl.base === 21.5 && ppl.tuned === 14.2);
  // Scalars and intervals ride along; bulky values stay out of the row.
  assert.deepEqual(ppl.kind === 'compare' && ppl.extra, [['docs', '3'], ['ratio ci', 'low 0.61, high 0.7']]);
  const habits = tree[3]!;
  assert.ok(habits.kind === 'group' && habits.children[0]?.label === 'em-dash' && habits.children[0].kind === 'compare');
  // Side-by-side objects pivot into one comparison per metric, the writer's values folded in.
  const pivot = scoreTree({ base: { ppl: 20, ttr: 0.5 }, tuned: { ppl: 12, ttr: 0.6 }, writer: { ppl: 10 }, n: 4 })!;
  assert.deepEqual(pivot.map((n) => [n.kind, n.label]), [['compare', 'ppl'], ['compare', 'ttr'], ['value', 'n']]);
  assert.deepEqual(pivot[0]!.kind === 'compare' && pivot[0]!.extra, [['writer', '10']]);
  assert.equal(scoreTree(undefined), null);
  // Flat headline keys pair up: <name>_base with <name>_tuned, base_<name> with tuned_<name>.
  const flat = scoreTree({ summary: { perplexity_base: 20, perplexity_tuned: 12, gap_closed: 0.3, base_share: 0.1, tuned_share: 0.6, delta_base: null, delta_tuned: 1 } })!;
  const summary = flat[0]!;
  assert.ok(summary.kind === 'group');
  assert.deepEqual(summary.children.map((n) => [n.kind, n.label]), [['compare', 'perplexity'], ['value', 'gap closed'], ['compare', 'share'], ['value', 'delta base'], ['value', 'delta tuned']]);
});

test('labels and numbers read naturally', () => {
  assert.equal(humanize('val_ppl'), 'val ppl');
  assert.equal(humanize('heldOutPerplexity'), 'held out perplexity');
  assert.equal(humanize('T3'), 'T3');
  assert.equal(formatNumber(2.345678), '2.346');
  assert.equal(formatNumber(0.0001), '1.00e-4');
  assert.equal(formatNumber(148), '148');
  assert.equal(formatNumber(10.795915, 6), '10.7959');
});
