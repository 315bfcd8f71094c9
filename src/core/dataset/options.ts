// What shapes a dataset build. The first six fields mirror the `voiceDraft.data.*`
// settings in package.json (a unit test keeps the defaults equal); the rest are
// tuning knobs with why-comments, written into manifest.json with every build.

export interface DatasetSettings {
  /** Glob patterns (relative to the folder) of the essays to learn from. */
  include: string[];
  /** Glob patterns to leave out, on top of .gitignore and .voiceignore. */
  exclude: string[];
  /** Largest share of training pairs one essay may supply, so a long essay cannot dominate the voice. */
  maxDocumentShare: number;
  /** Share of essays held out, as whole documents, to measure the voice on unseen text. */
  validationRatio: number;
  /** Pieces shorter than this many words are short notes (topic → note pairs instead of title → essay). */
  shortNoteWords: number;

  /** Files above this size are skipped: an essay is kilobytes; megabytes are exports or logs. */
  maxFileBytes: number;
  /** Look for earlier versions of each essay in its git history (real drafts for T1). */
  useGitHistory: boolean;
  /** At most this many drafts per essay feed T1, so one much-revised essay does not fill the tier. */
  maxDraftsPerEssay: number;
  /** Longest assistant text (words) in an instruction pair; longer essays are cut at a paragraph. Keeps pairs inside a small model's context. */
  maxPairWords: number;
  /** Opening → continuation cut points per essay (fewer for short essays). */
  continuationCutsPerEssay: number;
  /** Length (words) of a continuation: about what a writer accepts from inline suggestions over a minute. */
  continuationWords: number;
  /** The opening shown before a continuation is trimmed to its last this-many words. */
  openingWords: number;
  /** Length (words) of a raw text segment for plain continuation. */
  rawSegmentWords: number;
  /** Word-5-gram Jaccard similarity at which two documents (or two pairs) count as near-duplicates. */
  nearDuplicateSimilarity: number;
  /** Fill-in-the-middle cuts per essay (fim.ts): ghost text in the middle of an essay leads into what follows. 0: none. */
  fimCutsPerEssay: number;
  /** Words before a fill-in-the-middle cut that its pair shows: room in a 512-token training row for the rest. */
  fimBeforeWords: number;
  /** Words after the missing middle that its pair shows (whole sentences); ghost text shows the model as many. */
  fimAfterWords: number;
}

export const DEFAULT_DATASET_SETTINGS: Readonly<DatasetSettings> = Object.freeze({
  include: ['**/*.md', '**/*.markdown'],
  exclude: ['**/node_modules/**', '**/.git/**'],
  maxDocumentShare: 0.2,
  validationRatio: 0.1,
  shortNoteWords: 250,
  maxFileBytes: 2 * 1024 * 1024,
  useGitHistory: true,
  maxDraftsPerEssay: 2,
  maxPairWords: 1500,
  continuationCutsPerEssay: 3,
  continuationWords: 250,
  openingWords: 600,
  rawSegmentWords: 400,
  nearDuplicateSimilarity: 0.8,
  fimCutsPerEssay: 4,
  fimBeforeWords: 200,
  fimAfterWords: 60,
});

/** Fills in defaults and rejects values that would make a meaningless dataset. */
export function resolveDatasetSettings(overrides: Partial<DatasetSettings> = {}): DatasetSettings {
  // Only known fields, in the defaults' order: the manifest records them byte-for-byte.
  const defined = Object.fromEntries(
    Object.entries(overrides).filter(([k, v]) => v !== undefined && Object.prototype.hasOwnProperty.call(DEFAULT_DATASET_SETTINGS, k)),
  );
  const s: DatasetSettings = {
    ...DEFAULT_DATASET_SETTINGS,
    include: [...DEFAULT_DATASET_SETTINGS.include],
    exclude: [...DEFAULT_DATASET_SETTINGS.exclude],
    ...defined,
  };
  inRange('maxDocumentShare', s.maxDocumentShare, 0.01, 1);
  inRange('validationRatio', s.validationRatio, 0.01, 0.5);
  inRange('shortNoteWords', s.shortNoteWords, 1, Number.MAX_SAFE_INTEGER);
  inRange('maxFileBytes', s.maxFileBytes, 1, Number.MAX_SAFE_INTEGER);
  inRange('maxDraftsPerEssay', s.maxDraftsPerEssay, 0, 100);
  inRange('maxPairWords', s.maxPairWords, 20, Number.MAX_SAFE_INTEGER);
  inRange('continuationCutsPerEssay', s.continuationCutsPerEssay, 0, 100);
  inRange('continuationWords', s.continuationWords, 10, Number.MAX_SAFE_INTEGER);
  inRange('openingWords', s.openingWords, 10, Number.MAX_SAFE_INTEGER);
  inRange('rawSegmentWords', s.rawSegmentWords, 10, Number.MAX_SAFE_INTEGER);
  inRange('nearDuplicateSimilarity', s.nearDuplicateSimilarity, 0.1, 1);
  inRange('fimCutsPerEssay', s.fimCutsPerEssay, 0, 100);
  inRange('fimBeforeWords', s.fimBeforeWords, 10, Number.MAX_SAFE_INTEGER);
  inRange('fimAfterWords', s.fimAfterWords, 5, Number.MAX_SAFE_INTEGER);
  if (s.include.length === 0) throw new RangeError('include: at least one glob pattern is needed to find essays');
  return s;
}

function inRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a number from ${min} to ${max} (got ${String(value)})`);
  }
}
