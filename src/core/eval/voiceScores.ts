// eval.json (written by the engine's `eval` command, docs/contracts.md) read
// leniently and turned into a table for the CLI and one-line summaries for
// the editor. Editor-free: the CLI and the extension both use it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const at = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (isObj(v) ? v[k] : undefined), o);
const text = (v: unknown): string => (typeof v === 'string' ? `(${v})` : '');

export interface EvalSummary {
  perplexity_base?: number;
  perplexity_tuned?: number;
  delta_base?: number;
  delta_tuned?: number;
  delta_floor?: number;
  gap_closed?: number;
  /** false: too little text for Delta, or no measurable gap (absent in eval.json written before it). */
  gap_closed_reliable?: boolean;
  delta_words?: number;
  delta_min_words?: number;
  attributed_to_writer?: number;
  slop_per_1000_words_base?: number;
  slop_per_1000_words_tuned?: number;
  /** Plain continuations, as ghost text asks (absent in eval.json written before them). */
  attributed_continuation?: number;
  attributed_continuation_base?: number;
  gap_closed_continuation?: number;
  chat_residue_continuation?: number;
  chat_residue_instruction?: number;
  length_ratio_continuation?: number;
}

/** The headline numbers (and the reliability flag), from eval.json's `summary` or an `eval.done` event's. */
export function parseSummary(v: unknown): EvalSummary {
  const out: Record<string, number | boolean> = {};
  if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) { const n = num(x); if (n !== undefined) out[k] = n; }
    if (typeof v.gap_closed_reliable === 'boolean') out.gap_closed_reliable = v.gap_closed_reliable;
  }
  return out as EvalSummary;
}

export async function readEvalJson(runDir: string): Promise<Obj | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(runDir, 'eval.json'), 'utf8'));
    return isObj(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const fixed = (n: number | undefined, digits = 2): string => (n === undefined ? '—' : n.toFixed(digits));
const pct = (n: number | undefined): string => (n === undefined ? '—' : `${Math.round(n * 100)}%`);

function interval(v: unknown, f: (n: number | undefined) => string): string {
  if (!Array.isArray(v) || v.length !== 2) return '';
  const [lo, hi] = v.map(num);
  return lo === undefined || hi === undefined ? '' : `[${f(lo)}, ${f(hi)}]`;
}

/** One sentence a writer can read in a notification. */
export function summaryLine(s: EvalSummary): string {
  const parts: string[] = [];
  if (s.perplexity_base !== undefined && s.perplexity_tuned !== undefined) {
    parts.push(`held-out perplexity ${fixed(s.perplexity_base, 1)} → ${fixed(s.perplexity_tuned, 1)}`);
  }
  if (s.gap_closed !== undefined) parts.push(`${pct(s.gap_closed)} of the style gap to your writing closed${untrusted(s)}`);
  else if (s.delta_base !== undefined && s.delta_tuned !== undefined) parts.push(`style distance ${fixed(s.delta_base)} → ${fixed(s.delta_tuned)}`);
  if (s.attributed_to_writer !== undefined) parts.push(`${pct(s.attributed_to_writer)} of tuned paragraphs read as yours`);
  if (s.attributed_continuation !== undefined) parts.push(`${pct(s.attributed_continuation)} of its continuations read as yours`);
  const residue = Math.max(s.chat_residue_continuation ?? 0, s.chat_residue_instruction ?? 0);
  if (residue > 0) parts.push(`${pct(residue)} of samples talk like a chat assistant`);
  return parts.length ? `${parts.join('; ')}.` : 'No scores.';
}

/** Why the gap closed is not to be trusted, as a parenthesis; '' when it is (or eval.json predates the flag). */
function untrusted(s: EvalSummary): string {
  if (s.gap_closed_reliable !== false) return '';
  const words = s.delta_words !== undefined && s.delta_min_words !== undefined && s.delta_words < s.delta_min_words;
  return words ? ` (unreliable: ${s.delta_words} of the ${s.delta_min_words} words it needs)` : ' (unreliable: no measurable gap)';
}

export type Row = [metric: string, base: string, tuned: string, writer: string, note: string];

const HABIT_LABELS: [string, string][] = [
  ['hashtags', 'hashtags /1k words'],
  ['calls_to_action', 'calls to action /1k words'],
  ['stock_phrases', 'stock AI phrases /1k words'],
  ['exclamations', 'exclamations /1k words'],
  ['first_person_claims', 'unprompted "I" claims /1k words'],
];

/** The scores as rows: metric, base, tuned, writer (floor or the writer's own rate), note. */
export function scoreRows(e: Obj): Row[] {
  const rows: Row[] = [];
  const p = at(e, 'perplexity');
  rows.push(['held-out perplexity (lower = closer)', fixed(num(at(p, 'base'))), fixed(num(at(p, 'tuned'))), '',
    [`tuned/base ${fixed(num(at(p, 'ratio')), 3)}`, interval(at(p, 'ratio_ci'), (n) => fixed(n, 3)), text(at(p, 'interval_note'))].filter(Boolean).join(' ')]);
  const d = at(e, 'stylometry', 'delta');
  const reason = at(e, 'stylometry', 'unreliable_reason');
  const why = at(e, 'stylometry', 'reliable') === false ? `unreliable${typeof reason === 'string' ? `: ${reason}` : ''}` : '';
  rows.push(["Burrows' Delta (lower = closer)", fixed(num(at(d, 'base'))), fixed(num(at(d, 'tuned'))), `${fixed(num(at(d, 'floor')))} held-out`,
    [`gap closed ${pct(num(at(d, 'gap_closed')))}`, interval(at(d, 'gap_closed_ci'), pct), why].filter(Boolean).join(' ')]);
  const c = at(e, 'stylometry', 'char_cosine');
  rows.push(['char 3-gram cosine (higher = closer)', fixed(num(at(c, 'base')), 3), fixed(num(at(c, 'tuned')), 3), `${fixed(num(at(c, 'floor')), 3)} held-out`,
    `gap closed ${pct(num(at(c, 'gap_closed')))} ${interval(at(c, 'gap_closed_ci'), pct)}`.trim()]);
  const a = at(e, 'attribution');
  if (num(at(a, 'tuned_share')) !== undefined) {
    rows.push(['attributed to the writer', `${pct(num(at(a, 'base_share')))} (cv)`, `${pct(num(at(a, 'tuned_share')))} ${interval(at(a, 'ci'), pct)}`,
      `${pct(num(at(a, 'writer_heldout_share')))} held-out`, `classifier accuracy ${pct(num(at(a, 'classifier_accuracy')))}`]);
  } else {
    rows.push(['attributed to the writer', '—', '—', '—', String(at(a, 'skipped') ?? 'not computed')]);
  }
  const residue = at(e, 'chat_residue');
  if (isObj(residue)) {
    rows.push(['chat residue (share of samples)', pct(num(at(residue, 'base', 'share'))), pct(num(at(residue, 'tuned', 'share'))), '',
      examplesNote(at(residue, 'tuned', 'examples'))]);
  }
  rows.push(...continuationRows(at(e, 'continuation')));
  const h = at(e, 'habits');
  for (const [key, label] of HABIT_LABELS) {
    rows.push([label, fixed(num(at(h, key, 'base'))), fixed(num(at(h, key, 'tuned'))), fixed(num(at(h, key, 'writer'))), '']);
  }
  const length = at(e, 'length');
  if (isObj(length)) {
    for (const [tier, t] of Object.entries(length)) {
      const trunc = num(at(t, 'truncated_share', 'tuned'));
      rows.push([`${tier} length (median words)`, fixed(num(at(t, 'median_words', 'base')), 0), fixed(num(at(t, 'median_words', 'tuned')), 0),
        fixed(num(at(t, 'writer_median_words')), 0), trunc ? `${pct(trunc)} of tuned samples hit the token cap` : '']);
    }
  }
  return rows;
}

/** Ghost text's own figures: plain continuations of held-out essays beside the writer's next paragraph. */
function continuationRows(c: unknown): Row[] {
  if (!isObj(c)) return [];
  const rows: Row[] = [];
  const a = at(c, 'attribution');
  rows.push(num(at(a, 'tuned_share')) !== undefined
    ? ['continuations attributed to the writer', `${pct(num(at(a, 'base_share')))} (cv)`, `${pct(num(at(a, 'tuned_share')))} ${interval(at(a, 'ci'), pct)}`,
      `${pct(num(at(a, 'writer_heldout_share')))} held-out`, 'ghost text, plain continuation']
    : ['continuations attributed to the writer', '—', '—', '—', String(at(a, 'skipped') ?? at(c, 'skipped') ?? 'not computed')]);
  const d = at(c, 'stylometry', 'delta');
  const why = at(c, 'stylometry', 'reliable') === false ? 'unreliable' : '';
  rows.push(["continuations' Burrows' Delta", fixed(num(at(d, 'base'))), fixed(num(at(d, 'tuned'))), `${fixed(num(at(d, 'floor')))} held-out`,
    [`gap closed ${pct(num(at(d, 'gap_closed')))}`, why].filter(Boolean).join(' ')]);
  rows.push(['continuations with chat residue', pct(num(at(c, 'chat_residue', 'base', 'share'))), pct(num(at(c, 'chat_residue', 'tuned', 'share'))), '',
    examplesNote(at(c, 'chat_residue', 'tuned', 'examples'))]);
  const l = at(c, 'length');
  rows.push(['continuation length (median words)', fixed(num(at(l, 'median_words', 'base')), 0), fixed(num(at(l, 'median_words', 'tuned')), 0),
    `${fixed(num(at(l, 'writer_median_words')), 0)} next paragraph`, `tuned/writer ${fixed(num(at(l, 'ratio_to_writer', 'tuned')))}`]);
  return rows;
}

function examplesNote(v: unknown): string {
  return Array.isArray(v) && typeof v[0] === 'string' ? `e.g. "${v[0].slice(0, 60)}"` : '';
}

/** Rows as an aligned plain-text table with a header. */
export function formatTable(rows: Row[]): string {
  const all: Row[] = [['metric', 'base', 'tuned', 'writer', 'note'], ...rows];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ').trimEnd()).join('\n') + '\n';
}
