// Corpus health, before training: is there enough of the writer, and what in it may
// not be the writer? Cross-posts (the same essay twice), other people's words (block
// quotes, guest posts), very short pieces and machine-written-looking pieces are
// flagged for the writer to look at. Nothing here leaves anything out: the writer
// decides (.voiceignore), and the report says how.

import { stockPhrasesIn } from '../corpus/stockPhrases';
import { compareStrings, formatCount } from '../corpus/text';
import { findNearDuplicates, mergeSketches, unionOf } from './dedupe';
import type { PreparedCorpus } from './documents';
import type { EssayDocument } from './types';

/** Below this a model picks up little of a voice (and over-fits what it sees). */
export const TOO_SMALL_WORDS = 5_000;
/** About this much (15–30 essays) gives a model enough of a voice to learn. */
export const ENOUGH_WORDS = 20_000;
/** From here on more of the writer still helps, but the voice is there. */
export const PLENTY_WORDS = 50_000;

/** A piece this short teaches little of how the writer builds a piece, and much of a platform's habits (a note, a reply, a link post). */
export const SHORT_PIECE_WORDS = 100;
/** When this share of a piece's words is block-quoted, the model would learn someone else's voice as much as the writer's. */
export const QUOTED_SHARE = 0.3;
/** Below the builder's near-duplicate cut (which leaves the copy out), pieces this alike are a cross-post edited a little: both stay and weigh twice. */
export const SIMILAR_PIECES = 0.5;
/**
 * Stock assistant phrases per 1,000 words from which a piece reads as machine-written: a
 * human essay has one or two ("in conclusion", "at the end of the day"); generated text
 * has many. It must also be 3× the writer's own typical rate, so a writer who says
 * "tapestry" a lot is judged against themselves, and have at least 3 of them.
 */
export const MACHINE_PHRASES_PER_1000 = 6;
const MACHINE_MIN_PHRASES = 3;
const MACHINE_OVER_WRITER = 3;

export interface CorpusHealth {
  words: number;
  pieces: number;
  /** What a voice needs, in words: below `minimum` too little; `enough` a voice shows; `plenty` and up, plenty. */
  need: { minimum: number; enough: number; plenty: number };
  verdict: 'too small' | 'small' | 'enough' | 'plenty';
  /** The same piece twice: `kept: false` were left out by the builder as near-duplicates, `kept: true` are alike but both train. */
  crossPosts: Array<{ doc: string; of: string; similarity: number; kept: boolean }>;
  /** Pieces whose words are largely block quotes. */
  quoted: Array<{ doc: string; share: number }>;
  /** Pieces by someone else: a guest byline in the text, or another author in the front matter than most pieces name. */
  otherAuthors: Array<{ doc: string; author: string; from: 'byline' | 'front matter' }>;
  short: Array<{ doc: string; words: number }>;
  /** Pieces with many stock assistant phrases. */
  machineLike: Array<{ doc: string; perThousandWords: number; phrases: string[] }>;
  /** Pieces flagged for at least one reason (cross-posts already left out are not counted). */
  flagged: number;
  /** How the writer leaves a flagged piece out. */
  howToExclude: string;
}

export function corpusHealth(prepared: PreparedCorpus, threshold: number): CorpusHealth {
  const essays = prepared.essays;
  const words = essays.reduce((s, e) => s + e.words, 0);
  const verdict = words < TOO_SMALL_WORDS ? 'too small' : words < ENOUGH_WORDS ? 'small' : words < PLENTY_WORDS ? 'enough' : 'plenty';
  const health: CorpusHealth = {
    words,
    pieces: essays.length,
    need: { minimum: TOO_SMALL_WORDS, enough: ENOUGH_WORDS, plenty: PLENTY_WORDS },
    verdict,
    crossPosts: [...prepared.nearDuplicates.map((d) => ({ ...d, kept: false })), ...similarKept(prepared, threshold)],
    quoted: [],
    otherAuthors: [...otherAuthorsByFrontMatter(essays)],
    short: [],
    machineLike: [],
    flagged: 0,
    howToExclude: 'To leave a piece out of training, add its path to .voiceignore in the essays folder (one path per line, as in .gitignore).',
  };
  const phrasesOf = new Map(essays.map((e) => [e.doc, stockPhrasesIn(textOf(e))]));
  const typical = median(essays.filter((e) => e.words >= SHORT_PIECE_WORDS).map((e) => (1000 * (phrasesOf.get(e.doc)?.length ?? 0)) / e.words));
  for (const e of essays) {
    if (e.words < SHORT_PIECE_WORDS) health.short.push({ doc: e.doc, words: e.words });
    const quotedWords = e.blocks.reduce((s, b, i) => s + (b.kind === 'quote' ? (e.blockWords[i] ?? 0) : 0), 0);
    if (e.words > 0 && quotedWords / e.words >= QUOTED_SHARE) health.quoted.push({ doc: e.doc, share: round(quotedWords / e.words) });
    const phrases = phrasesOf.get(e.doc) ?? [];
    const rate = e.words > 0 ? (1000 * phrases.length) / e.words : 0;
    if (phrases.length >= MACHINE_MIN_PHRASES && rate >= MACHINE_PHRASES_PER_1000 && rate >= MACHINE_OVER_WRITER * typical) {
      health.machineLike.push({ doc: e.doc, perThousandWords: round(rate, 10), phrases: [...new Set(phrases)].slice(0, 8) });
    }
  }
  health.otherAuthors.push(...otherAuthorsByByline(essays, health.otherAuthors));
  health.otherAuthors.sort((a, b) => compareStrings(a.doc, b.doc));
  const flagged = new Set([
    ...health.crossPosts.filter((c) => c.kept).map((c) => c.doc),
    ...health.quoted.map((q) => q.doc),
    ...health.otherAuthors.map((a) => a.doc),
    ...health.short.map((s) => s.doc),
    ...health.machineLike.map((m) => m.doc),
  ]);
  health.flagged = flagged.size;
  return health;
}

/** Kept pieces alike enough to be one essay posted twice and edited, but under the builder's cut. */
function similarKept(prepared: PreparedCorpus, threshold: number): CorpusHealth['crossPosts'] {
  const items = prepared.essays.flatMap((e) => {
    const hashes = prepared.hashes.get(e.doc)?.essay;
    return hashes ? [{ item: e.doc, sketch: mergeSketches(hashes.sketches), shingles: () => unionOf(hashes.shingles) }] : [];
  });
  return findNearDuplicates(items, SIMILAR_PIECES)
    .filter((d) => d.similarity < threshold)
    .map((d) => ({ doc: d.duplicate, of: d.of, similarity: round(d.similarity), kept: true }));
}

/** Authors named in front matter other than the one most pieces name (when pieces name more than one). */
function* otherAuthorsByFrontMatter(essays: readonly EssayDocument[]): Generator<CorpusHealth['otherAuthors'][number]> {
  const main = mostCommon(essays.map((e) => e.author));
  if (!main || new Set(essays.map((e) => e.author?.toLowerCase()).filter(Boolean)).size < 2) return;
  for (const e of essays) if (e.author && e.author.toLowerCase() !== main) yield { doc: e.doc, author: e.author, from: 'front matter' };
}

/**
 * Bylines at the top of a piece: "Guest post by …" always; a plain "By …" only when it names
 * someone other than the name most pieces carry (the writer's own byline is not a guest's).
 */
function otherAuthorsByByline(essays: readonly EssayDocument[], already: CorpusHealth['otherAuthors']): CorpusHealth['otherAuthors'] {
  const bylines = essays.map((e) => ({ doc: e.doc, byline: bylineOf(e) }));
  const writer = mostCommon([...bylines.map((b) => (b.byline?.guest ? undefined : b.byline?.name)), ...essays.map((e) => e.author)]);
  const seen = new Set(already.map((a) => a.doc));
  return bylines.flatMap(({ doc, byline }) =>
    byline && !seen.has(doc) && (byline.guest || byline.name.toLowerCase() !== writer) ? [{ doc, author: byline.name, from: 'byline' as const }] : [],
  );
}

function mostCommon(names: ReadonlyArray<string | undefined>): string | undefined {
  const counts = new Map<string, number>();
  for (const n of names) if (n) counts.set(n.toLowerCase(), (counts.get(n.toLowerCase()) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))[0]?.[0];
}

const GUEST_BYLINES = [
  /^(?:this is )?(?:a )?guest (?:post|essay|column|piece|contribution)\b(?:\s+(?:by|from)\s+(.{2,60}?))?[.:!]?$/iu,
  /^(?:today'?s|this week'?s) guest (?:post|writer|author|essay) (?:is )?(?:by |from )?(.{2,60}?)[.:!]?$/iu,
];
const BYLINES = [/^(?:written|words|posted|contributed) by\s+(.{2,60}?)\.?$/iu, /^by\s+(\p{Lu}[\p{L}.'’-]*(?:\s+\p{Lu}[\p{L}.'’-]*){0,3})\.?$/u];

/** A byline in the first blocks ("Guest post by Jane Doe", "By Jane Doe"): the name (or "a guest") and whether it says guest. */
function bylineOf(e: EssayDocument): { name: string; guest: boolean } | undefined {
  for (const block of e.blocks.slice(0, 3)) {
    if (block.kind === 'heading' || block.text.length > 200) continue;
    const text = block.text.trim();
    for (const pattern of GUEST_BYLINES) {
      const m = pattern.exec(text);
      if (m) return { name: m[1]?.trim() || 'a guest', guest: true };
    }
    for (const pattern of BYLINES) {
      const m = pattern.exec(text);
      if (m?.[1]) return { name: m[1].trim(), guest: false };
    }
  }
  return undefined;
}

function textOf(e: EssayDocument): string {
  return e.blocks.map((b) => b.text).join('\n\n');
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function round(x: number, scale = 1000): number {
  return Math.round(x * scale) / scale;
}

/** The health check as lines of the dataset summary (CLI, and the dialog before training). */
export function formatHealth(h: CorpusHealth, maxListed = 5): string[] {
  const count = formatCount;
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const enough = h.verdict === 'too small' || h.verdict === 'small' ? `${count(h.need.enough)} words give a voice, ${count(h.need.plenty)}+ is plenty` : `${count(h.need.plenty)}+ is plenty`;
  const out = [`Corpus health: ${count(h.words)} words in ${count(h.pieces)} ${h.pieces === 1 ? 'piece' : 'pieces'}: ${h.verdict === 'enough' || h.verdict === 'plenty' ? `${h.verdict} for a voice` : h.verdict} (${enough})`];
  const group = <T>(items: T[], title: string, line: (item: T) => string) => {
    if (items.length === 0) return;
    const shown = items.slice(0, maxListed).map(line).join('; ');
    out.push(`  ! ${title}: ${shown}${items.length > maxListed ? `; … and ${items.length - maxListed} more (manifest.json, health)` : ''}`);
  };
  group(h.crossPosts.filter((c) => !c.kept), 'left out as copies of another piece (cross-posts)', (c) => `${c.doc} (of ${c.of}, ${pct(c.similarity)} the same)`);
  group(h.crossPosts.filter((c) => c.kept), 'alike enough to be one piece posted twice; both train, so it weighs double', (c) => `${c.doc} ~ ${c.of} (${pct(c.similarity)})`);
  group(h.quoted, 'mostly quotation (block quotes teach someone else\'s voice)', (q) => `${q.doc} (${pct(q.share)})`);
  group(h.otherAuthors, 'by someone else', (a) => `${a.doc} (${a.from === 'byline' ? 'byline' : 'author'}: ${a.author})`);
  group(h.short, `very short (under ${SHORT_PIECE_WORDS} words)`, (s) => `${s.doc} (${s.words})`);
  group(h.machineLike, 'reads machine-written (stock assistant phrases)', (m) => `${m.doc} (${m.perThousandWords} per 1,000 words: ${m.phrases.slice(0, 3).map((p) => `"${p}"`).join(', ')})`);
  out.push(h.flagged > 0 ? `  ${count(h.flagged)} ${h.flagged === 1 ? 'piece is' : 'pieces are'} flagged and still in the data. ${h.howToExclude}` : '  No piece flagged.');
  return out;
}
