// The whole corpus → dataset pipeline: find the essays, clean them,
// split by document, cut pairs by tier, drop near-duplicate pairs, cap each essay's
// share, and describe it all in a manifest. Pure computation plus reading files;
// writing the folder is write.ts's job.

import { stat } from 'node:fs/promises';
import { findEssays, type SkippedFile } from '../corpus/discover';
import { compareStrings, excerpt, formatCount } from '../corpus/text';
import { capDocumentShare } from './cap';
import { findNearDuplicates, mergeSketches, unionOf } from './dedupe';
import { prepareDocuments, type BlockHashes, type PreparedCorpus } from './documents';
// What a voice needs, in words: health.ts says why.
import { corpusHealth, ENOUGH_WORDS as SMALL_WORDS, TOO_SMALL_WORDS } from './health';
import { emptyTierCounts, type DatasetManifest } from './manifest';
import { resolveDatasetSettings, type DatasetSettings } from './options';
import { joinBlocks, pairsForDocument } from './pairs';
import { rewriteTemplates } from './prompts';
import { ParsePool } from './parse-pool';
import { splitByDocument } from './split';
import { TIERS, type BuiltPair, type EssayDocument, type TrainingExample } from './types';

/** The engine's shortest paragraph to make a synthetic draft of (drafts/synthetic.py MIN_WORDS). */
const SYNTHETIC_DRAFT_MIN_WORDS = 20;

export interface BuildProgress {
  stage: 'finding' | 'reading' | 'pairing';
  message: string;
  done?: number;
  total?: number;
}

export interface BuildDatasetOptions extends Partial<DatasetSettings> {
  /** The folder (or workspace root) holding the essays. */
  folder: string;
  signal?: AbortSignal;
  onProgress?: (progress: BuildProgress) => void;
  /**
   * Worker threads that parse the essays (default: defaultParseWorkers(): one per core, at
   * most 4, from 4 cores up; one below that). 0 parses on the calling thread (no time budget
   * then). Not a dataset setting: the output is the same whatever the number.
   */
  parseWorkers?: number;
}

/** One line of documents.jsonl: evaluation reads held-out essays from here. */
export interface DocumentRecord {
  doc: string;
  path: string;
  title: string;
  split: 'train' | 'val';
  words: number;
  text: string;
}

export interface DatasetBuild {
  manifest: DatasetManifest;
  train: TrainingExample[];
  val: TrainingExample[];
  documents: DocumentRecord[];
  /** Milliseconds per step (not part of the dataset: it would break byte-identical output). */
  timings: Record<string, number>;
}

/** Nothing to learn from: the message says what was looked for and where. */
export class DatasetError extends Error {
  constructor(
    message: string,
    readonly code: 'no-folder' | 'no-essays' | 'no-prose',
    readonly skipped: SkippedFile[],
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

export async function buildDataset(options: BuildDatasetOptions): Promise<DatasetBuild> {
  const { folder, signal, onProgress, parseWorkers, ...overrides } = options;
  const settings = resolveDatasetSettings(overrides);
  const timings: Record<string, number> = {};
  let lapStart = performance.now();
  const lap = (step: string) => {
    const now = performance.now();
    timings[step] = (timings[step] ?? 0) + (now - lapStart);
    lapStart = now;
  };

  // The workers start now and load the parser while the files are found and read.
  const pool = new ParsePool(parseWorkers);
  try {
    return { ...(await build(folder, settings, { pool, lap, signal, onProgress })), timings };
  } finally {
    await pool.close();
  }
}

interface BuildContext {
  pool: ParsePool;
  lap: (step: string) => void;
  signal: AbortSignal | undefined;
  onProgress: ((progress: BuildProgress) => void) | undefined;
}

async function build(folder: string, settings: DatasetSettings, { pool, lap, signal, onProgress }: BuildContext): Promise<Omit<DatasetBuild, 'timings'>> {
  onProgress?.({ stage: 'finding', message: `Looking for essays in ${folder}` });
  const kind = await stat(folder).then((st) => (st.isDirectory() ? 'folder' : 'not a folder'), () => 'missing');
  if (kind !== 'folder') {
    throw new DatasetError(`${folder} ${kind === 'missing' ? 'does not exist' : 'is a file, not a folder'}: name the folder that holds your markdown essays.`, 'no-folder', []);
  }
  const found = await findEssays(folder, { include: settings.include, exclude: settings.exclude, maxFileBytes: settings.maxFileBytes, ...(signal ? { signal } : {}) });
  if (found.files.length === 0) throw new DatasetError(nothingFound(found.root, settings, found.skipped), 'no-essays', found.skipped);
  lap('discover/read');
  const prepared = await prepareDocuments(found.files, {
    root: found.root,
    parser: pool,
    settings,
    ...(signal ? { signal } : {}),
    onFile: (done, total) => onProgress?.({ stage: 'reading', message: `Reading essays (${done}/${total})`, done, total }),
    lap,
  });
  const skipped = [...found.skipped, ...prepared.skipped].sort((a, b) => compareStrings(a.path, b.path));
  if (prepared.essays.length === 0) throw new DatasetError(nothingUsable(found.root, found.files.length, skipped), 'no-prose', skipped);
  signal?.throwIfAborted();

  onProgress?.({ stage: 'pairing', message: `Cutting ${prepared.essays.length} essays into training pairs` });
  const split = splitByDocument(prepared.essays.map((e) => e.doc), settings.validationRatio);
  const valDocs = new Set(split.val);
  const built = prepared.essays.flatMap((essay) => pairsForDocument(essay, settings));
  lap('pairs');
  const { kept: unique, duplicates } = dropNearDuplicatePairs(built, prepared, settings.nearDuplicateSimilarity);
  lap('dedupe pairs');
  const trainPairs = unique.filter((p) => !valDocs.has(p.doc)).sort(byDocumentThenTier);
  const val = unique.filter((p) => valDocs.has(p.doc)).sort(byDocumentThenTier);
  const capped = capDocumentShare(trainPairs, settings.maxDocumentShare);
  const train = capped.kept;

  const documents: DocumentRecord[] = prepared.essays.map((e) => ({
    doc: e.doc,
    path: e.doc,
    title: e.title ?? '',
    split: valDocs.has(e.doc) ? 'val' : 'train',
    words: e.words,
    text: joinBlocks(e.blocks, 0, e.blocks.length),
  }));

  const health = corpusHealth(prepared, settings.nearDuplicateSimilarity);
  lap('health');
  const manifest: DatasetManifest = {
    format: 1,
    source: found.root,
    documents: { total: documents.length, train: split.train.length, val: split.val.length },
    pairs: { train: train.length, val: val.length },
    tiers: emptyTierCounts(),
    tiersBySplit: { train: emptyTierCounts(), val: emptyTierCounts() },
    words: documents.reduce((s, d) => s + d.words, 0),
    perDocumentShare: perDocumentShare(train, documents),
    boilerplate: boilerplateReport(prepared),
    markup: prepared.markup,
    duplicates: { ...prepared.duplicates, pairs: duplicates },
    drafts: prepared.drafts,
    cap: {
      maxShare: settings.maxDocumentShare,
      effectiveShare: round(capped.effectiveShare),
      perDocumentLimit: Number.isFinite(capped.perDocumentLimit) ? capped.perDocumentLimit : null,
      droppedPairs: capped.dropped,
    },
    skipped,
    warnings: [...prepared.warnings],
    settings,
    prompts: rewriteTemplates(),
    syntheticDrafts: syntheticDraftSources(prepared.essays.filter((e) => !valDocs.has(e.doc))),
    health,
  };
  for (const p of train) count(manifest, 'train', p.tier);
  for (const p of val) count(manifest, 'val', p.tier);
  manifest.warnings.push(...sizeWarnings(manifest, capped.effectiveShare > settings.maxDocumentShare));
  lap('cap and manifest');
  return { manifest, train, val, documents };
}

/** Paragraphs the engine may make synthetic drafts of (voice_draft_engine/drafts/synthetic.py, MIN_WORDS): training essays without a real draft. */
function syntheticDraftSources(essays: readonly EssayDocument[]): DatasetManifest['syntheticDrafts'] {
  const withDrafts = essays.filter((e) => e.drafts.length > 0);
  const eligibleParagraphs = essays.filter((e) => e.drafts.length === 0)
    .reduce((n, e) => n + e.blockWords.filter((w) => w >= SYNTHETIC_DRAFT_MIN_WORDS).length, 0);
  return { eligibleParagraphs, essaysWithRealDrafts: withDrafts.length };
}

/** Near-duplicate pairs within a tier (two essays sharing a long passage): the first in document order stays. */
function dropNearDuplicatePairs(pairs: BuiltPair[], prepared: PreparedCorpus, threshold: number): { kept: TrainingExample[]; duplicates: number } {
  const spanHashes = (pair: BuiltPair) => {
    const shingleSets: Uint32Array[] = [];
    const sketches: Uint32Array[] = [];
    const hashes = prepared.hashes.get(pair.example.doc);
    for (const span of pair.spans) {
      const source: BlockHashes | undefined = span.source < 0 ? hashes?.essay : hashes?.drafts[span.source];
      if (!source) continue;
      shingleSets.push(...source.shingles.slice(span.start, span.end));
      sketches.push(...source.sketches.slice(span.start, span.end));
    }
    return { shingleSets, sketches };
  };
  const items = pairs.map((pair) => {
    const { shingleSets, sketches } = spanHashes(pair);
    return { item: pair.example, sketch: mergeSketches(sketches), shingles: () => unionOf(shingleSets) };
  });
  const dropped = new Set(findNearDuplicates(items, threshold, (e) => e.tier).map((d) => d.duplicate));
  return { kept: pairs.map((p) => p.example).filter((e) => !dropped.has(e)), duplicates: dropped.size };
}

/** Each training essay's pairs and share of the training pairs (what the cap bounds), largest first. */
function perDocumentShare(train: TrainingExample[], documents: DocumentRecord[]): DatasetManifest['perDocumentShare'] {
  const counts = new Map<string, number>();
  for (const p of train) counts.set(p.doc, (counts.get(p.doc) ?? 0) + 1);
  return documents
    .filter((d) => d.split === 'train')
    .map((d) => {
      const pairs = counts.get(d.doc) ?? 0;
      return { doc: d.doc, pairs, share: train.length > 0 ? round(pairs / train.length) : 0 };
    })
    .sort((a, b) => b.share - a.share || compareStrings(a.doc, b.doc));
}

const MAX_EXAMPLES = 12;

function boilerplateReport(prepared: PreparedCorpus): DatasetManifest['boilerplate'] {
  const byKind: Record<string, number> = {};
  const examples: DatasetManifest['boilerplate']['examples'] = [];
  const shown = new Set<string>();
  for (const r of prepared.boilerplate) {
    byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
    const key = `${r.kind}\u0000${r.text.toLowerCase()}`;
    if (examples.length < MAX_EXAMPLES && !shown.has(key)) {
      shown.add(key);
      examples.push({ kind: r.kind, doc: r.doc, text: excerpt(r.text, 120) });
    }
  }
  return { removed: prepared.boilerplate.length, byKind, examples };
}

function sizeWarnings(m: DatasetManifest, capRelaxed: boolean): string[] {
  const warnings: string[] = [];
  const essays = `${m.documents.total} ${m.documents.total === 1 ? 'essay' : 'essays'}`;
  if (m.words < TOO_SMALL_WORDS) {
    warnings.push(
      `Only ${formatCount(m.words)} words in ${essays}: too small to learn a voice. ` +
        `About ${formatCount(SMALL_WORDS)} words (15–30 essays) gives the model enough of your voice to learn, and 50,000+ is better; ` +
        `add ${formatCount(SMALL_WORDS - m.words)} more words of your own writing.`,
    );
  } else if (m.words < SMALL_WORDS) {
    warnings.push(
      `${formatCount(m.words)} words in ${essays} is a small corpus: expect a faint voice and quick over-fitting. ` +
        `About ${formatCount(SMALL_WORDS)} words (15–30 essays) helps, 50,000+ is better.`,
    );
  }
  if (m.documents.val === 0) {
    warnings.push('Only one essay, so none can be held out: validation loss and held-out voice scores cannot be measured. Add a second essay.');
  }
  if (capRelaxed) {
    warnings.push(
      `With ${m.documents.train} training essays, no essay can be kept under ${pct(m.cap.maxShare)} of the pairs without discarding most of them; ` +
        `the cap was relaxed to ${pct(m.cap.effectiveShare)} (twice a fair share). More essays lift this.`,
    );
  }
  return warnings;
}

function nothingFound(root: string, settings: DatasetSettings, skipped: SkippedFile[]): string {
  const lines = [
    `No markdown essays found in ${root}.`,
    `Looked for: ${settings.include.join(', ')}.`,
    `Left out: ${[...settings.exclude, 'hidden folders', 'anything .gitignore or .voiceignore lists'].join(', ')}.`,
  ];
  if (skipped.length > 0) lines.push(`${skipped.length} matching ${skipped.length === 1 ? 'file was' : 'files were'} skipped:`, ...listSkipped(skipped));
  else lines.push('Open the folder that holds your essays, or change the voiceDraft.data.include setting.');
  return lines.join('\n');
}

function nothingUsable(root: string, files: number, skipped: SkippedFile[]): string {
  return [`Found ${files} markdown ${files === 1 ? 'file' : 'files'} in ${root}, but no prose to learn from:`, ...listSkipped(skipped)].join('\n');
}

function listSkipped(skipped: SkippedFile[]): string[] {
  const lines = skipped.slice(0, 10).map((s) => `  ${s.path}: ${s.reason}`);
  if (skipped.length > 10) lines.push(`  … and ${skipped.length - 10} more`);
  return lines;
}

function count(m: DatasetManifest, split: 'train' | 'val', tier: TrainingExample['tier']): void {
  m.tiers[tier]++;
  m.tiersBySplit[split][tier]++;
}

const TIER_RANK = new Map(TIERS.map((t, i) => [t, i]));

/** Document path, then tier (T1…T4, raw), then the pair's number: the same order on every run. */
function byDocumentThenTier(a: TrainingExample, b: TrainingExample): number {
  return (
    compareStrings(a.doc, b.doc) ||
    (TIER_RANK.get(a.tier) ?? 0) - (TIER_RANK.get(b.tier) ?? 0) ||
    pairNumber(a.id) - pairNumber(b.id)
  );
}

function pairNumber(id: string): number {
  return Number(/-(\d+)$/.exec(id)?.[1] ?? 0);
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
