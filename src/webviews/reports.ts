// The dashboard's two reports that come from files, not events: the dataset
// manifest (what went into training) and eval.json (voice scores). Both are read
// leniently: a missing key is left out, never invented, and eval.json is walked
// generically because its keys belong to the evaluator, which evolves on its own.

export interface DataReport {
  source: string | null;
  documents: { total: number | null; train: number | null; val: number | null };
  pairs: { train: number | null; val: number | null };
  words: number | null;
  tiers: { tier: string; count: number }[];
  /** Pairs per document, largest share first. */
  shares: { doc: string; pairs: number; share: number }[];
  maxShare: number | null;
  boilerplate: { removed: number; byKind: { kind: string; count: number }[]; examples: string[] } | null;
  skipped: { path: string; reason: string }[];
  warnings: string[];
  health: HealthReport | null;
}

/** manifest.health (corpus health before training), as groups of flagged pieces with what to say about each. */
export interface HealthReport {
  words: number | null;
  pieces: number | null;
  verdict: string | null;
  /** Words that give a voice, and words that are plenty. */
  enough: number | null;
  plenty: number | null;
  groups: { title: string; items: { doc: string; detail: string }[] }[];
  flagged: number;
  howToExclude: string | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

export function dataReport(manifest: unknown): DataReport | null {
  if (!isObj(manifest)) return null;
  const docs = isObj(manifest.documents) ? manifest.documents : {};
  const pairs = isObj(manifest.pairs) ? manifest.pairs : {};
  const settings = isObj(manifest.settings) ? manifest.settings : {};
  const bp = isObj(manifest.boilerplate) ? manifest.boilerplate : null;
  const cap = isObj(manifest.cap) ? manifest.cap : {};
  return {
    source: str(manifest.source),
    documents: { total: num(docs.total), train: num(docs.train), val: num(docs.val) },
    pairs: { train: num(pairs.train), val: num(pairs.val) },
    words: num(manifest.words),
    tiers: counts(manifest.tiers).map(([tier, count]) => ({ tier, count })),
    shares: objs(manifest.perDocumentShare)
      .map((d) => ({ doc: str(d.doc) ?? '?', pairs: num(d.pairs) ?? 0, share: num(d.share) ?? 0 }))
      .sort((a, b) => b.share - a.share || a.doc.localeCompare(b.doc)),
    // The cap applied: with few documents the builder relaxes the setting (no single
    // essay could stay under 20% of five), and essays under the relaxed cap are fine.
    maxShare: num(cap.effectiveShare) ?? num(settings.maxDocumentShare),
    boilerplate: bp && {
      removed: num(bp.removed) ?? 0,
      byKind: counts(bp.byKind).map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count),
      examples: (Array.isArray(bp.examples) ? bp.examples : []).map(exampleText).filter((t) => t.trim() !== ''),
    },
    skipped: objs(manifest.skipped).map((s) => ({ path: str(s.path) ?? '?', reason: str(s.reason) ?? '' })),
    warnings: (Array.isArray(manifest.warnings) ? manifest.warnings : []).filter((w): w is string => typeof w === 'string'),
    health: healthReport(manifest.health),
  };
}

const pct = (x: number | null) => (x === null ? '?' : `${Math.round(x * 100)}%`);

function healthReport(v: unknown): HealthReport | null {
  if (!isObj(v)) return null;
  const need = isObj(v.need) ? v.need : {};
  const group = (title: string, key: string, detail: (o: Obj) => string, keep: (o: Obj) => boolean = () => true) => ({
    title,
    items: objs(v[key]).filter(keep).map((o) => ({ doc: str(o.doc) ?? '?', detail: detail(o) })),
  });
  const groups = [
    group('Left out as copies of another piece (cross-posts)', 'crossPosts', (o) => `copy of ${str(o.of) ?? '?'}, ${pct(num(o.similarity))} the same`, (o) => o.kept === false),
    group('Alike enough to be one piece posted twice (both train: it weighs double)', 'crossPosts', (o) => `like ${str(o.of) ?? '?'}, ${pct(num(o.similarity))} the same`, (o) => o.kept === true),
    group("Mostly quotation (someone else's voice)", 'quoted', (o) => `${pct(num(o.share))} in block quotes`),
    group('By someone else', 'otherAuthors', (o) => `${str(o.from) === 'byline' ? 'byline' : 'author'}: ${str(o.author) ?? '?'}`),
    group('Very short', 'short', (o) => `${num(o.words) ?? '?'} words`),
    group('Reads machine-written', 'machineLike', (o) => `${num(o.perThousandWords) ?? '?'} stock phrases per 1,000 words${Array.isArray(o.phrases) ? `: ${o.phrases.filter((p): p is string => typeof p === 'string').slice(0, 4).map((p) => `\u201c${p}\u201d`).join(', ')}` : ''}`),
  ].filter((g) => g.items.length > 0);
  return {
    words: num(v.words),
    pieces: num(v.pieces),
    verdict: str(v.verdict),
    enough: num(need.enough),
    plenty: num(need.plenty),
    groups,
    flagged: num(v.flagged) ?? 0,
    howToExclude: str(v.howToExclude),
  };
}

export interface SyntheticDraftsView {
  line: string;
  examples: Array<{ plain: string; paragraph: string; doc: string }>;
}

/** The synthetic drafts for the rewrite in words, from the last `train.drafts` (null before any). */
export function syntheticDraftsReport(drafts: { stage: string; done: number; total: number; kept: number | null } | null): SyntheticDraftsView | null {
  if (!drafts) return null;
  const d = drafts as typeof drafts & Obj;
  if (d.stage !== 'done') {
    const eta = num(d.eta_s);
    return { line: `Making them (${d.stage}): ${d.done} of ${d.total}${eta !== null ? `, about ${Math.round(eta)} s left` : ''}.`, examples: [] };
  }
  if (typeof d.skipped === 'string') return { line: `None: ${d.skipped}.`, examples: [] };
  const rejected = counts(d.rejected).map(([why, n]) => `${n} ${why}`).join(', ');
  const seconds = num(d.seconds);
  const line = `${d.kept ?? 0} of ${d.total} paragraphs became rewrite pairs (${str(d.method) ?? '?'}: a plain version in, your paragraph out)`
    + `${rejected ? `; left out: ${rejected}` : ''}${seconds !== null ? `; ${formatNumber(seconds)} s` : ''}${d.cached === true ? ' (from the cache)' : ''}.`;
  const examples = objs(d.examples).map((e) => ({ plain: str(e.plain) ?? '', paragraph: str(e.paragraph) ?? '', doc: str(e.doc) ?? '?' }))
    .filter((e) => e.plain && e.paragraph);
  return { line, examples };
}

function counts(v: unknown): [string, number][] {
  return isObj(v) ? Object.entries(v).filter((e): e is [string, number] => num(e[1]) !== null) : [];
}

/** An example is a line of text, or an object that says what kind it was and where. */
function exampleText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (!isObj(v)) return '';
  const text = str(v.text) ?? str(v.line) ?? '';
  const where = [str(v.kind), str(v.doc) ?? str(v.path)].filter(Boolean).join(', ');
  return where ? `${text}  (${where})` : text;
}

// ---- Voice scores (eval.json) ---------------------------------------------------

export type ScoreNode =
  | { kind: 'compare'; label: string; base: number; tuned: number; extra: [string, string][] }
  | { kind: 'value'; label: string; value: string }
  | { kind: 'group'; label: string; children: ScoreNode[] };

/** The whole of eval.json as labelled rows; base-vs-tuned pairs become comparisons. */
export function scoreTree(evaluation: unknown): ScoreNode[] | null {
  return isObj(evaluation) ? nodes(evaluation, 0) : null;
}

function nodes(o: Obj, depth: number): ScoreNode[] {
  // {base: {...}, tuned: {...}, writer: {...}} side by side: pivot into one comparison per
  // metric, each sibling object (the writer's own rate, say) folded in beside base and tuned.
  if (isObj(o.base) && isObj(o.tuned)) {
    const sides = Object.entries(o).filter((e): e is [string, Obj] => isObj(e[1]));
    const pivot: Obj = {};
    for (const k of new Set([...Object.keys(o.base), ...Object.keys(o.tuned)])) pivot[k] = Object.fromEntries(sides.map(([side, v]) => [side, v[k]]));
    for (const [k, v] of Object.entries(o)) if (!isObj(v)) pivot[k] = v;
    return nodes(pivot, depth);
  }
  return Object.entries(pairSiblings(o)).map(([key, v]) => node(key, v, depth)).filter((n): n is ScoreNode => n !== null);
}

/**
 * Flat headline keys such as `perplexity_base` + `perplexity_tuned` (or `base_share` +
 * `tuned_share`) become one {base, tuned} entry named `perplexity` (`share`), where the
 * first of the two stood; everything else keeps its place.
 */
function pairSiblings(o: Obj): Obj {
  const side = /^(?:(base|tuned)_(.+)|(.+)_(base|tuned))$/;
  const named = (k: string) => {
    const m = side.exec(k);
    return m ? { which: (m[1] ?? m[4]) as 'base' | 'tuned', name: (m[2] ?? m[3])! } : undefined;
  };
  const partner = (k: string) => {
    const n = named(k);
    if (!n) return undefined;
    const other = n.which === 'base' ? 'tuned' : 'base';
    return Object.keys(o).find((x) => { const m = named(x); return m?.name === n.name && m.which === other; });
  };
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    const p = partner(k);
    if (p === undefined || num(v) === null || num(o[p]) === null) out[k] = v;
    else if (!(named(k)!.name in out)) out[named(k)!.name] = { [named(k)!.which]: v, [named(p)!.which]: o[p] };
  }
  return out;
}

function node(key: string, v: unknown, depth: number, label = humanize(key)): ScoreNode | null {
  if (v === null || v === undefined) return { kind: 'value', label, value: '\u2014' };
  if (typeof v !== 'object') return { kind: 'value', label, value: formatScalar(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object' || x === null)) return { kind: 'value', label, value: v.map(formatScalar).join(', ') };
    if (depth >= 4) return { kind: 'value', label, value: `${v.length} items` };
    // Items are named by their own name/id (a habit, a document), as written.
    return { kind: 'group', label, children: v.map((x, i) => node(String(i), x, depth + 1, itemName(x, i))).filter((n): n is ScoreNode => n !== null) };
  }
  const o = v as Obj;
  const base = num(o.base);
  const tuned = num(o.tuned);
  if (base !== null && tuned !== null) {
    const extra = Object.entries(o).filter(([k]) => k !== 'base' && k !== 'tuned')
      .map(([k, x]): [string, string | null] => [humanize(k), brief(x)])
      .filter((e): e is [string, string] => e[1] !== null);
    return { kind: 'compare', label, base, tuned, extra };
  }
  if (depth >= 4) return { kind: 'value', label, value: JSON.stringify(o).slice(0, 200) };
  return { kind: 'group', label, children: nodes(o, depth + 1) };
}

/** A scalar, a short list of scalars or a small object of numbers (an interval) in a few characters; else null. */
function brief(x: unknown): string | null {
  if (x === null || typeof x !== 'object') return formatScalar(x);
  const values = Array.isArray(x) ? x : Object.values(x);
  if (values.length > 4 || !values.every((v) => v === null || typeof v !== 'object')) return null;
  return Array.isArray(x) ? `[${values.map(formatScalar).join(', ')}]` : Object.entries(x).map(([k, v]) => `${humanize(k)} ${formatScalar(v)}`).join(', ');
}

function itemName(x: unknown, i: number): string {
  if (isObj(x)) {
    const name = [x.name, x.id, x.label, x.prompt_id, x.doc].find((n) => typeof n === 'string');
    if (typeof name === 'string') return name;
  }
  return `#${i + 1}`;
}

/** `val_ppl` → `val ppl`, `heldOutPerplexity` → `held out perplexity`; `T3` stays `T3`. */
export function humanize(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, (_m, a: string, b: string) => `${a} ${b.toLowerCase()}`).replace(/[_\-.]+/g, ' ').trim() || key;
}

export function formatScalar(v: unknown): string {
  if (typeof v === 'number') return formatNumber(v);
  if (v === null || v === undefined) return '\u2014';
  return String(v);
}

/** `digits` significant figures (4 by default), no exponent for everyday magnitudes (a learning rate keeps one). */
export function formatNumber(n: number, digits = 4): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e9) return String(n);
  const a = Math.abs(n);
  if (a !== 0 && (a < 1e-3 || a >= 1e9)) return n.toExponential(digits - 2);
  return String(Number(n.toPrecision(digits)));
}
