// A plain-text summary of a dataset: the CLI prints it, the extension shows it in the
// confirmation dialog before anything trains. Plain text, fixed-width columns.

import { formatCount } from '../corpus/text';
import { formatHealth } from './health';
import type { DatasetManifest } from './manifest';
import { TIERS, type Tier } from './types';

const TIER_LABELS: Record<Tier, string> = {
  T1: 'T1 draft → finished',
  T2: 'T2 title → essay',
  T3: 'T3 opening → continuation',
  T4: 'T4 topic → short note',
  raw: 'raw text segments',
  fim: 'fill in the middle',
};

export interface SummaryOptions {
  /** Where the dataset was written, when it was. */
  writtenTo?: string;
  /** Longest lists (skipped files, shares) before "… and N more". */
  maxListed?: number;
}

export function formatDatasetSummary(m: DatasetManifest, options: SummaryOptions = {}): string {
  const maxListed = options.maxListed ?? 8;
  const out: string[] = [];
  out.push(`Voice Draft dataset from ${m.source}`);
  if (options.writtenTo) out.push(`written to ${options.writtenTo}`);
  out.push('');

  const rows: Array<[string, string, string, string]> = [
    ['', 'train', 'val', 'total'],
    ['essays', n(m.documents.train), n(m.documents.val), n(m.documents.total)],
    ['pairs', n(m.pairs.train), n(m.pairs.val), n(m.pairs.train + m.pairs.val)],
    ...TIERS.map((t): [string, string, string, string] => [`  ${TIER_LABELS[t]}`, n(m.tiersBySplit.train[t]), n(m.tiersBySplit.val[t]), n(m.tiers[t])]),
    ['words', '', '', n(m.words)],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [label, ...cells] of rows) {
    out.push(`  ${label.padEnd(width)}  ${cells.map((c) => c.padStart(7)).join(' ')}`.trimEnd());
  }
  out.push('');

  if (m.perDocumentShare.length > 0) {
    const top = m.perDocumentShare.slice(0, 3).map((d) => `${d.doc} ${pct(d.share)}`);
    const capNote = m.cap.droppedPairs > 0 ? `; ${n(m.cap.droppedPairs)} pairs over the cap left out` : '';
    out.push(`Largest shares of training pairs (cap ${pct(m.cap.effectiveShare)}${capNote}): ${top.join(', ')}`);
  }

  const kinds = Object.entries(m.boilerplate.byKind).map(([k, v]) => `${k} ${n(v)}`);
  out.push(`Boilerplate removed: ${n(m.boilerplate.removed)}${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}`);
  for (const e of m.boilerplate.examples.slice(0, 3)) out.push(`  e.g. "${e.text}" (${e.doc})`);

  const dup = m.duplicates;
  if (dup.documents + dup.paragraphs + dup.pairs > 0) {
    out.push(`Duplicates removed: ${n(dup.documents)} essays, ${n(dup.paragraphs)} paragraphs, ${n(dup.pairs)} pairs`);
  }
  const markup = Object.entries({
    'code blocks': m.markup.codeBlocks,
    'HTML blocks': m.markup.html,
    images: m.markup.images,
    tables: m.markup.tables,
    footnotes: m.markup.footnotes,
    'link URLs': m.markup.linkUrls,
  })
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${n(v)} ${k}`);
  if (markup.length > 0) out.push(`Left out of the prose: ${markup.join(', ')}`);

  const usedDrafts = m.drafts.used['drafts folder'] + m.drafts.used['front matter'] + m.drafts.used['git history'];
  if (usedDrafts > 0) {
    const origins = Object.entries(m.drafts.used).filter(([, v]) => v > 0).map(([k, v]) => `${n(v)} from ${k}`);
    out.push(`Real drafts used for T1: ${origins.join(', ')}`);
  } else {
    out.push('No drafts found for T1: keep drafts in a drafts/ folder under the same file name, name them in front matter (draft: path), or keep your essays in git.');
  }
  const synthetic = m.syntheticDrafts;
  if (synthetic && synthetic.eligibleParagraphs > 0) {
    out.push(`Synthetic drafts for T1: training starts by making a plain version of up to ${n(synthetic.eligibleParagraphs)} paragraphs ` +
      `(20+ words, training essays${synthetic.essaysWithRealDrafts > 0 ? ' without a real draft' : ''}) and learns plain → your paragraph; ` +
      'the run folder\'s synthetic-drafts.json shows what was kept');
  }

  if (m.health) out.push('', ...formatHealth(m.health, maxListed));

  if (m.skipped.length > 0) {
    out.push('', `Skipped ${n(m.skipped.length)} ${m.skipped.length === 1 ? 'file' : 'files'}:`);
    for (const s of m.skipped.slice(0, maxListed)) out.push(`  ${s.path}: ${s.reason}`);
    if (m.skipped.length > maxListed) out.push(`  … and ${n(m.skipped.length - maxListed)} more (see manifest.json)`);
  }
  if (m.warnings.length > 0) {
    out.push('', 'Warnings:');
    for (const w of m.warnings.slice(0, maxListed)) out.push(`  ! ${w}`);
    if (m.warnings.length > maxListed) out.push(`  … and ${n(m.warnings.length - maxListed)} more (see manifest.json)`);
  }
  return `${out.join('\n')}\n`;
}

function n(x: number): string {
  return formatCount(x);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}
