// manifest.json: what went into the dataset and why, for the writer (summary table,
// confirmation dialog) and the trainer. Fields beyond docs/contracts.md are additions.

import type { SkippedFile } from '../corpus/discover';
import type { RemovedMarkup } from '../corpus/parse';
import type { DraftOrigin } from '../corpus/drafts';
import type { CorpusHealth } from './health';
import type { DatasetSettings } from './options';
import type { RewriteTemplates } from './prompts';
import type { Tier } from './types';

export interface DatasetManifest {
  format: 1;
  /** The folder the essays came from (absolute). */
  source: string;
  documents: { total: number; train: number; val: number };
  pairs: { train: number; val: number };
  /** Pairs per tier, both splits together. */
  tiers: Record<Tier, number>;
  tiersBySplit: { train: Record<Tier, number>; val: Record<Tier, number> };
  /** Words of clean prose in the kept documents. */
  words: number;
  /** Each training essay's pairs and share of the training pairs (what the cap bounds), largest first. */
  perDocumentShare: Array<{ doc: string; pairs: number; share: number }>;
  boilerplate: {
    removed: number;
    byKind: Record<string, number>;
    examples: Array<{ kind: string; doc: string; text: string }>;
  };
  /** Markup dropped from the prose (it is not the writer's voice). */
  markup: RemovedMarkup;
  duplicates: { documents: number; paragraphs: number; pairs: number };
  /** `words`: of the drafts used (absent in manifests from before it). */
  drafts: { found: number; used: Record<DraftOrigin, number>; words?: number };
  cap: { maxShare: number; effectiveShare: number; perDocumentLimit: number | null; droppedPairs: number };
  skipped: SkippedFile[];
  warnings: string[];
  settings: DatasetSettings;
  /** The rewrite request's wording (T1 templates with `{title}`/`{draft}` slots), for the engine's synthetic drafts and `eval` (absent in datasets built before them). */
  prompts?: RewriteTemplates;
  /**
   * Synthetic drafts (issue #20): the engine makes them when training starts, from the training
   * essays' paragraphs of 20+ words, in essays without a real draft. Counted here so the writer
   * knows before training; `<run>/synthetic-drafts.json` says what was made.
   */
  syntheticDrafts?: { eligibleParagraphs: number; essaysWithRealDrafts: number };
  /** Corpus health (issue #22): enough of the writer? cross-posts, quotes, other authors, short and machine-like pieces, flagged, never left out. */
  health?: CorpusHealth;
}

export function emptyTierCounts(): Record<Tier, number> {
  return { T1: 0, T2: 0, T3: 0, T4: 0, raw: 0, fim: 0 };
}
