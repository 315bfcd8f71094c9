// What went into training, from dataset/manifest.json: the seeds' lessons made
// visible (tiers, no essay over its share, boilerplate stripped and shown), and the
// synthetic drafts training made for the rewrite (train.drafts, issue #20).
import type { TrainDrafts } from '../../core/runs/protocol';
import { type DataReport, type HealthReport, dataReport, formatNumber, syntheticDraftsReport } from '../reports';
import { type Child, fill, h, percent } from './dom';

export class DataSection {
  readonly el = h('section', { class: 'data', 'aria-label': 'Training data' });
  private readonly body = h('div');

  constructor() {
    this.el.append(h('h2', {}, 'Data'), this.body);
  }

  update(manifest: unknown, drafts: TrainDrafts | null = null): void {
    const r = dataReport(manifest);
    if (!r) return fill(this.body, h('p', { class: 'muted' }, 'No dataset manifest in this run folder.'));
    fill(this.body,
      summary(r),
      syntheticDrafts(drafts),
      r.warnings.length ? h('ul', { class: 'warnings' }, r.warnings.map((w) => h('li', {}, w))) : null,
      r.health ? healthBlock(r.health) : null,
      h('div', { class: 'data-grid' }, tiers(r), shares(r), boilerplate(r)),
      r.skipped.length ? h('details', {}, h('summary', {}, `${r.skipped.length} files skipped`),
        h('ul', {}, r.skipped.map((s) => h('li', {}, h('code', {}, s.path), ` \u2014 ${s.reason}`)))) : null,
    );
  }
}

const n = (v: number | null) => (v === null ? '?' : formatNumber(v));

function summary(r: DataReport): HTMLElement {
  return h('p', { class: 'data-summary' },
    `${n(r.documents.total)} documents (${n(r.documents.train)} train, ${n(r.documents.val)} held out) \u00b7 `,
    `${n(r.pairs.train)} training pairs, ${n(r.pairs.val)} validation pairs`,
    r.words !== null ? ` \u00b7 ${formatNumber(r.words)} words` : '',
    r.source ? ` \u00b7 from ${r.source}` : '');
}

/** What training made for the rewrite to learn from: how many, how long, why some were left out, examples. */
function syntheticDrafts(drafts: TrainDrafts | null): HTMLElement | null {
  const s = syntheticDraftsReport(drafts);
  if (!s) return null;
  return h('div', { class: 'synthetic-drafts' },
    h('h3', {}, 'Synthetic drafts for the rewrite'),
    h('p', {}, s.line),
    s.examples.length ? h('details', {}, h('summary', {}, 'Examples: the plain draft, then your paragraph (what it learns to write)'),
      h('ul', { class: 'examples' }, s.examples.map((e) => h('li', {}, h('q', {}, e.plain), ' \u2192 ', h('q', {}, e.paragraph), ` (${e.doc})`)))) : null);
}

function table(caption: string, head: string[], rows: Child[][]): HTMLElement {
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

/** A bar as a <meter>: styled by the theme, read by screen readers, no inline style. */
const bar = (value: number, max = 1, high?: number) => h('meter', { min: 0, max, value, ...(high !== undefined ? { high, optimum: 0 } : {}) });

function tiers(r: DataReport): HTMLElement {
  const total = r.tiers.reduce((a, t) => a + t.count, 0) || 1;
  return table('Pairs per tier', ['tier', 'pairs', ''], r.tiers.map((t) => [t.tier, formatNumber(t.count), bar(t.count / total)]));
}

/** Documents shown before the rest fold away: the largest shares are the ones to check. */
const TOP_SHARES = 10;

function shares(r: DataReport): HTMLElement {
  const limit = r.maxShare ?? undefined;
  const row = (s: DataReport['shares'][number]): Child[] => [h('code', {}, s.doc), formatNumber(s.pairs),
    h('span', { class: limit !== undefined && s.share > limit + 1e-9 ? 'over' : '' }, bar(s.share, 1, limit), ` ${percent(s.share)}`)];
  const el = table(`Share of pairs per document${limit ? ` (limit ${percent(limit)})` : ''}`, ['document', 'pairs', 'share'], r.shares.slice(0, TOP_SHARES).map(row));
  el.classList.add('shares');
  const rest = r.shares.slice(TOP_SHARES);
  if (!rest.length) return el;
  const more = table(`${rest.length} more documents`, ['document', 'pairs', 'share'], rest.map(row));
  more.classList.add('shares');
  return h('div', {}, el, h('details', {}, h('summary', {}, `${rest.length} more documents`), more));
}

function boilerplate(r: DataReport): HTMLElement {
  const b = r.boilerplate;
  if (!b) return h('p', { class: 'muted' }, 'No boilerplate report.');
  return h('div', { class: 'boilerplate' },
    h('h3', {}, `Boilerplate stripped: ${formatNumber(b.removed)} lines`),
    b.byKind.length ? h('ul', {}, b.byKind.map((k) => h('li', {}, `${k.kind}: ${formatNumber(k.count)}`))) : null,
    b.examples.length ? h('details', {}, h('summary', {}, 'Examples'), h('ul', { class: 'examples' }, b.examples.map((e) => h('li', {}, h('q', {}, e))))) : null,
  );
}

/** Corpus health: the words against what a voice needs, then each kind of flagged piece. Flags only: the writer decides. */
export function healthBlock(r: HealthReport): HTMLElement {
  const words = r.words ?? 0;
  const plenty = r.plenty ?? Math.max(words, 1);
  const need = r.enough !== null && words < r.enough ? ` \u00b7 about ${formatNumber(r.enough)} words give a voice` : '';
  return h('div', { class: 'health', 'aria-label': 'Corpus health' },
    h('h3', {}, 'Corpus health'),
    h('p', {},
      h('meter', { min: 0, max: plenty, value: Math.min(words, plenty), ...(r.enough !== null ? { low: r.enough, optimum: plenty } : {}), 'aria-label': 'words against what a voice needs' }),
      ` ${formatNumber(words)} words in ${n(r.pieces)} pieces: ${r.verdict ?? '?'}${need}; ${formatNumber(plenty)}+ is plenty`),
    r.groups.length === 0 ? h('p', { class: 'muted' }, 'No piece flagged.') : null,
    r.groups.map((g) => h('details', { open: g.items.length <= 5 },
      h('summary', {}, `${g.title}: ${formatNumber(g.items.length)}`),
      h('ul', {}, g.items.map((i) => h('li', {}, h('code', {}, i.doc), ` \u2014 ${i.detail}`))))),
    r.flagged > 0 && r.howToExclude ? h('p', { class: 'muted' }, `${formatNumber(r.flagged)} flagged ${r.flagged === 1 ? 'piece is' : 'pieces are'} still in the training data. ${r.howToExclude}`) : null,
  );
}
