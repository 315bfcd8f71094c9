// Files → clean finished essays with their real drafts: parse, set drafts apart,
// strip boilerplate and sign-offs, drop repeated paragraphs and near-duplicate essays.

import { stripBoilerplate, stripSignoffs, detectRepeatedSignoffs, type RemovedBoilerplate } from '../corpus/boilerplate';
import type { EssayFile, SkippedFile } from '../corpus/discover';
import { draftLinksFromFrontMatter, earlierVersionsFromGit, isInDraftsFolder, matchDraftTwins, type DraftOrigin } from '../corpus/drafts';
import type { ParsedEssay, ProseBlock, RemovedMarkup } from '../corpus/parse';
import { compareStrings } from '../corpus/text';
import { ParagraphLedger, findNearDuplicates, jaccard, mergeSketches, unionOf } from './dedupe';
import type { DatasetSettings } from './options';
import { blockData, type BlockData, type ParsedFile, type SourceFile } from './parse-files';
import type { ParseOptions } from './parse-pool';
import type { EssayDocument } from './types';

export interface BlockHashes {
  shingles: Uint32Array[];
  sketches: Uint32Array[];
}

export interface PreparedCorpus {
  essays: EssayDocument[];
  /** Shingles and sketches per block, for the essay (`essay`) and each of its drafts. */
  hashes: Map<string, { essay: BlockHashes; drafts: BlockHashes[] }>;
  skipped: SkippedFile[];
  warnings: string[];
  boilerplate: Array<RemovedBoilerplate & { doc: string }>;
  markup: RemovedMarkup;
  duplicates: { documents: number; paragraphs: number };
  /** Essays left out as copies of another (a cross-post), with the one kept and how alike they are (0..1). */
  nearDuplicates: Array<{ doc: string; of: string; similarity: number }>;
  /** Drafts found, used by origin, and the words of those used (they travel with the dataset too). */
  drafts: { found: number; used: Record<DraftOrigin, number>; words: number };
}

/** Parses files, in the order given (a ParsePool: worker threads or in-process). */
export interface EssayParser {
  parseAll(files: readonly SourceFile[], options?: ParseOptions): Promise<ParsedFile[]>;
}

export interface PrepareContext {
  root: string;
  parser: EssayParser;
  settings: DatasetSettings;
  signal?: AbortSignal;
  onFile?: (done: number, total: number) => void;
  /** Called as each step ends (the benchmark prints where the time goes). */
  lap?: (step: string) => void;
}

/** A draft needs this much text, and must share this much vocabulary with the essay, to teach an edit. */
const MIN_DRAFT_WORDS = 20;
const MIN_DRAFT_VOCABULARY_OVERLAP = 0.2;
/** A "draft" this close to the essay is the essay: nothing to learn from the edit. */
const SAME_TEXT_SIMILARITY = 0.95;

export async function prepareDocuments(files: readonly EssayFile[], ctx: PrepareContext): Promise<PreparedCorpus> {
  const { settings } = ctx;
  const out: PreparedCorpus = {
    essays: [],
    hashes: new Map(),
    skipped: [],
    warnings: [],
    boilerplate: [],
    markup: { codeBlocks: 0, html: 0, images: 0, tables: 0, footnotes: 0, linkUrls: 0 },
    duplicates: { documents: 0, paragraphs: 0 },
    nearDuplicates: [],
    drafts: { found: 0, used: { 'drafts folder': 0, 'front matter': 0, 'git history': 0 }, words: 0 },
  };

  const parsedFiles = await ctx.parser.parseAll(files, {
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.onFile ? { onProgress: ctx.onFile } : {}),
  });
  const parsed = new Map<string, ParsedEssay>();
  // Each block's hashes came with the parse (computed on the worker threads); a block
  // changed since (a sign-off cut from it) is a new object and is hashed here.
  const known = new Map<ProseBlock, BlockData>();
  const dataOf = (block: ProseBlock) => known.get(block) ?? blockData(block.text);
  files.forEach((file, i) => {
    const result = parsedFiles[i];
    if (!result) return;
    if (result.failed) {
      out.skipped.push({ path: file.path, reason: result.failed }); // the parser's guard left it out; the rest goes on
      return;
    }
    const { essay } = result;
    parsed.set(file.path, essay);
    remember(known, result);
    for (const w of essay.warnings) out.warnings.push(`${file.path}: ${w}`);
    addMarkup(out.markup, essay.removed);
  });
  ctx.signal?.throwIfAborted();

  // Drafts are inputs for T1, never essays of their own.
  const paths = [...parsed.keys()];
  const links = draftLinksFromFrontMatter(new Map([...parsed].map(([p, e]) => [p, e.frontMatter])));
  out.warnings.push(...links.warnings);
  const folderDrafts = paths.filter((p) => isInDraftsFolder(p) && !links.links.has(p));
  const essayPaths = paths.filter((p) => !isInDraftsFolder(p) && !links.links.has(p));
  const twins = matchDraftTwins(folderDrafts, essayPaths);
  out.skipped.push(...twins.unmatched);
  const fileDrafts = new Map<string, Array<{ path: string; origin: DraftOrigin }>>();
  const addDraft = (draft: string, finished: string, origin: DraftOrigin) => {
    const list = fileDrafts.get(finished) ?? [];
    list.push({ path: draft, origin });
    fileDrafts.set(finished, list);
  };
  for (const [draft, finished] of links.links) addDraft(draft, finished, 'front matter');
  for (const [draft, finished] of twins.twins) addDraft(draft, finished, 'drafts folder');

  ctx.lap?.('parse');

  // Boilerplate, per block, then sign-offs that recur across the essays.
  const cleaned = new Map<string, ProseBlock[]>();
  for (const [p, essay] of parsed) {
    const { blocks, removed } = stripBoilerplate(essay.blocks);
    cleaned.set(p, blocks);
    for (const r of removed) out.boilerplate.push({ ...r, doc: p });
  }
  const signoffs = detectRepeatedSignoffs(essayPaths.map((p) => cleaned.get(p) ?? []));
  for (const [p, blocks] of cleaned) {
    const { blocks: kept, removed } = stripSignoffs(blocks, signoffs);
    cleaned.set(p, kept);
    for (const r of removed) out.boilerplate.push({ ...r, doc: p });
  }
  ctx.lap?.('boilerplate');

  // The first copy of a repeated paragraph or essay is the one kept; shorter paths go
  // first, so "walk.md" wins over "walk copy.md" and "Copy of walk.md".
  const ledger = new ParagraphLedger();
  const candidates: Array<{ essay: EssayDocument; hashes: BlockHashes }> = [];
  for (const p of [...essayPaths].sort((a, b) => a.length - b.length || compareStrings(a, b))) {
    const essay = parsed.get(p);
    let blocks = cleaned.get(p) ?? [];
    if (!essay) continue;
    if (blocks.length === 0) {
      out.skipped.push({ path: p, reason: essay.blocks.length === 0 && essay.removed.codeBlocks + essay.removed.html === 0 ? 'no text' : 'no prose left after removing code, HTML, links and boilerplate' });
      continue;
    }
    let words = blocks.map((b) => dataOf(b).words);
    const total = sumOf(words.map((w) => w.length));
    const repeats = ledger.repeats(words);
    if (repeats.size > 0) {
      const repeatedWords = sumOf([...repeats.keys()].map((i) => words[i]?.length ?? 0));
      if (repeatedWords >= total / 2) {
        out.duplicates.documents++;
        out.skipped.push({ path: p, reason: `repeats ${mostCommon([...repeats.values()])}: ${Math.round((100 * repeatedWords) / total)}% of its text is there already` });
        out.nearDuplicates.push({ doc: p, of: mostCommon([...repeats.values()]), similarity: Math.round((1000 * repeatedWords) / total) / 1000 });
        continue;
      }
      out.duplicates.paragraphs += repeats.size;
      blocks = blocks.filter((_, i) => !repeats.has(i));
      words = words.filter((_, i) => !repeats.has(i));
    }
    ledger.add(p, words);
    candidates.push({ essay: toDocument(p, essay, blocks, words.map((w) => w.length)), hashes: hashesOf(blocks.map(dataOf)) });
  }

  const near = findNearDuplicates(
    candidates.map(({ essay, hashes }) => ({ item: essay.doc, sketch: mergeSketches(hashes.sketches), shingles: () => unionOf(hashes.shingles) })),
    settings.nearDuplicateSimilarity,
  );
  const nearDuplicate = new Map(near.map((n) => [n.duplicate, n]));
  for (const { essay, hashes } of candidates) {
    const dup = nearDuplicate.get(essay.doc);
    if (dup) {
      out.duplicates.documents++;
      out.skipped.push({ path: essay.doc, reason: `near-duplicate of ${dup.of} (${Math.round(dup.similarity * 100)}% the same)` });
      out.nearDuplicates.push({ doc: essay.doc, of: dup.of, similarity: Math.round(dup.similarity * 1000) / 1000 });
      continue;
    }
    out.essays.push(essay);
    out.hashes.set(essay.doc, { essay: hashes, drafts: [] });
  }
  out.essays.sort((a, b) => compareStrings(a.doc, b.doc));

  ctx.lap?.('dedupe');
  await attachDrafts(out, ctx, fileDrafts, cleaned, signoffs, known);
  ctx.lap?.('drafts');
  return out;
}

/** Draft files and git versions → each essay's T1 sources, real and different enough to teach an edit. */
async function attachDrafts(
  out: PreparedCorpus,
  ctx: PrepareContext,
  fileDrafts: Map<string, Array<{ path: string; origin: DraftOrigin }>>,
  cleaned: Map<string, ProseBlock[]>,
  signoffs: ReadonlySet<string>,
  known: Map<ProseBlock, BlockData>,
): Promise<void> {
  const { settings } = ctx;
  const history =
    settings.useGitHistory && settings.maxDraftsPerEssay > 0
      ? await earlierVersionsFromGit(ctx.root, out.essays.map((e) => e.doc), { maxPerDoc: settings.maxDraftsPerEssay, ...(ctx.signal ? { signal: ctx.signal } : {}) })
      : undefined;
  if (history?.note) out.warnings.push(history.note);
  const versions = out.essays.flatMap((e) => (history?.versions.get(e.doc) ?? []).map((v) => ({ path: e.doc, label: v.label, text: v.markdown })));
  const parsedVersions = versions.length > 0 ? await ctx.parser.parseAll(versions, ctx.signal ? { signal: ctx.signal } : {}) : [];
  const dataOf = (block: ProseBlock) => known.get(block) ?? blockData(block.text);

  let nextVersion = 0;
  for (const essay of out.essays) {
    const sources: Array<{ origin: DraftOrigin; label: string; blocks: ProseBlock[] }> = [];
    for (const d of fileDrafts.get(essay.doc) ?? []) sources.push({ origin: d.origin, label: d.path, blocks: cleaned.get(d.path) ?? [] });
    for (; versions[nextVersion]?.path === essay.doc; nextVersion++) {
      const version = parsedVersions[nextVersion];
      if (!version) continue;
      if (version.failed) {
        out.skipped.push({ path: `${essay.doc} (${versions[nextVersion]?.label ?? 'git history'})`, reason: version.failed });
        continue;
      }
      remember(known, version);
      const stripped = stripSignoffs(stripBoilerplate(version.essay.blocks).blocks, signoffs).blocks;
      sources.push({ origin: 'git history', label: versions[nextVersion]?.label ?? '', blocks: stripped });
    }
    out.drafts.found += sources.length;
    if (sources.length === 0) continue;
    const hashes = out.hashes.get(essay.doc);
    const essayShingles = unionOf(hashes?.essay.shingles ?? []);
    const essayVocabulary = new Set(essay.blocks.flatMap((b) => [...dataOf(b).words]));
    for (const source of sources) {
      if (essay.drafts.length >= settings.maxDraftsPerEssay) break;
      const data = source.blocks.map(dataOf);
      const words = data.map((d) => d.words);
      const counts = words.map((w) => w.length);
      const total = sumOf(counts);
      if (total < MIN_DRAFT_WORDS) continue;
      const draftHashes = hashesOf(data);
      if (jaccard(unionOf(draftHashes.shingles), essayShingles) >= SAME_TEXT_SIMILARITY) continue;
      if (vocabularyOverlap(words, essayVocabulary) < MIN_DRAFT_VOCABULARY_OVERLAP) continue;
      essay.drafts.push({ origin: source.origin, label: source.label, blocks: source.blocks, blockWords: counts, words: total });
      hashes?.drafts.push(draftHashes);
      out.drafts.used[source.origin]++;
      out.drafts.words += total;
    }
  }
}

/** Keeps a parsed file's block data, by block, for the steps after parsing. */
function remember(known: Map<ProseBlock, BlockData>, { essay, blocks }: ParsedFile): void {
  essay.blocks.forEach((b, k) => known.set(b, blocks[k] ?? blockData(b.text)));
}

function toDocument(doc: string, essay: ParsedEssay, blocks: ProseBlock[], blockWords: number[]): EssayDocument {
  const d: EssayDocument = { doc, tags: essay.tags, blocks, blockWords, words: sumOf(blockWords), drafts: [] };
  if (essay.title) d.title = essay.title;
  if (essay.subtitle) d.subtitle = essay.subtitle;
  if (essay.thesis) d.thesis = essay.thesis;
  if (essay.date) d.date = essay.date;
  const author = authorOf(essay.frontMatter);
  if (author) d.author = author;
  return d;
}

/** `author: Jane`, or the first of `authors:` (a list, or one name). */
function authorOf(fm: Record<string, unknown>): string | undefined {
  const value = fm.author ?? fm.authors;
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first.trim() ? first.trim() : undefined;
}

/** Shingles and MinHash sketches, block by block. */
function hashesOf(blocks: readonly BlockData[]): BlockHashes {
  return { shingles: blocks.map((b) => b.shingles), sketches: blocks.map((b) => b.sketch) };
}

/** Jaccard similarity of the two texts' vocabularies: a rewrite keeps its words even when it changes every sentence. */
function vocabularyOverlap(words: readonly Uint32Array[], vocabulary: ReadonlySet<number>): number {
  const own = new Set<number>();
  for (const block of words) for (const w of block) own.add(w);
  let both = 0;
  for (const w of own) if (vocabulary.has(w)) both++;
  return both / Math.max(1, own.size + vocabulary.size - both);
}

function addMarkup(total: RemovedMarkup, more: RemovedMarkup): void {
  for (const key of Object.keys(total) as Array<keyof RemovedMarkup>) total[key] += more[key];
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? '';
}

function sumOf(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
