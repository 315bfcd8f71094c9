// One cleaned essay → its training pairs, tier by tier (docs/contracts.md "Dataset folder"), each cut at
// paragraph boundaries so no pair starts or ends mid-thought.

import { fimPairs } from './fim';
import type { DatasetSettings } from './options';
import { SYSTEM_PROMPT, instructionFor, type PromptSlots } from './prompts';
import type { BlockSpan, BuiltPair, EssayDocument, InstructionTier } from './types';

type PairSettings = Pick<
  DatasetSettings,
  'shortNoteWords' | 'maxPairWords' | 'continuationCutsPerEssay' | 'continuationWords' | 'openingWords' | 'rawSegmentWords'
  | 'fimCutsPerEssay' | 'fimBeforeWords' | 'fimAfterWords'
>;

/** An opening shorter than this gives the model nothing of the voice to continue. */
const MIN_OPENING_WORDS = 30;
const MIN_CONTINUATION_WORDS = 15;

export function pairsForDocument(doc: EssayDocument, settings: PairSettings): BuiltPair[] {
  if (doc.blocks.length === 0) return [];
  return [
    ...draftToFinished(doc, settings),
    ...(doc.words < settings.shortNoteWords ? topicToNote(doc) : titleToEssay(doc, settings)),
    ...openingToContinuation(doc, settings),
    ...rawSegments(doc, settings),
    ...fimPairs(doc, settings),
  ];
}

/** T1: each real draft → the finished essay (both cut at the same share when the essay is long). */
export function draftToFinished(doc: EssayDocument, settings: PairSettings): BuiltPair[] {
  return doc.drafts.flatMap((draft, n) => {
    const finishedEnd = prefixEnd(doc.blockWords, settings.maxPairWords);
    const finishedWords = sum(doc.blockWords, 0, finishedEnd);
    const share = finishedWords / Math.max(1, doc.words);
    const draftEnd = share >= 1 ? draft.blocks.length : prefixEnd(draft.blockWords, Math.ceil(share * draft.words));
    const draftText = joinBlocks(draft.blocks, 0, draftEnd);
    if (!draftText) return [];
    return [
      instructionPair(doc, 'T1', n, { ...slotsOf(doc), text: draftText }, [
        { source: n, start: 0, end: draftEnd },
        { source: -1, start: 0, end: finishedEnd },
      ], joinBlocks(doc.blocks, 0, finishedEnd)),
    ];
  });
}

/** T2: title (with subtitle, thesis and topics when the writer gave them) → the essay. */
export function titleToEssay(doc: EssayDocument, settings: PairSettings): BuiltPair[] {
  if (!doc.title) return [];
  const end = prefixEnd(doc.blockWords, settings.maxPairWords);
  return [instructionPair(doc, 'T2', 0, slotsOf(doc), [{ source: -1, start: 0, end }], joinBlocks(doc.blocks, 0, end))];
}

/** T4: a short piece's topic → the piece. */
export function topicToNote(doc: EssayDocument): BuiltPair[] {
  if (!doc.title) return [];
  const end = doc.blocks.length;
  return [instructionPair(doc, 'T4', 0, { title: doc.title }, [{ source: -1, start: 0, end }], joinBlocks(doc.blocks, 0, end))];
}

/**
 * T3: opening → continuation at several points through the essay (evenly spread by
 * words, snapped to paragraph boundaries, continuations never overlapping). The
 * opening is trimmed to its last `openingWords`, as an editor's context window would be.
 */
export function openingToContinuation(doc: EssayDocument, settings: PairSettings): BuiltPair[] {
  const n = doc.blocks.length;
  if (n < 2 || settings.continuationCutsPerEssay === 0) return [];
  const before = prefixSums(doc.blockWords);
  const cuts = Math.min(settings.continuationCutsPerEssay, Math.max(1, Math.floor(doc.words / (2 * settings.continuationWords))));
  const pairs: BuiltPair[] = [];
  let earliest = 1;
  for (let m = 1; m <= cuts; m++) {
    const target = (doc.words * m) / (cuts + 1);
    let cut = -1;
    for (let i = earliest; i < n; i++) {
      if ((before[i] ?? 0) < MIN_OPENING_WORDS) continue;
      if (cut < 0 || Math.abs((before[i] ?? 0) - target) < Math.abs((before[cut] ?? 0) - target)) cut = i;
    }
    if (cut < 0) break;
    const wordsBetween = (from: number, to: number) => (before[to] ?? 0) - (before[from] ?? 0);
    let end = cut + 1;
    while (end < n && wordsBetween(cut, end) < settings.continuationWords) end++;
    if (wordsBetween(cut, end) < MIN_CONTINUATION_WORDS) break;
    let start = cut - 1;
    while (start > 0 && wordsBetween(start - 1, cut) <= settings.openingWords) start--;
    const slots: PromptSlots = { text: joinBlocks(doc.blocks, start, cut) };
    if (doc.title) slots.title = doc.title;
    pairs.push(
      instructionPair(doc, 'T3', pairs.length, slots, [{ source: -1, start: cut, end }], joinBlocks(doc.blocks, cut, end)),
    );
    earliest = end;
  }
  return pairs;
}

/** Raw segments of about `rawSegmentWords`, covering the whole essay; a short tail joins the segment before it. */
export function rawSegments(doc: EssayDocument, settings: PairSettings): BuiltPair[] {
  const ranges: Array<[number, number]> = [];
  let start = 0;
  let words = 0;
  doc.blockWords.forEach((w, i) => {
    words += w;
    if (words >= settings.rawSegmentWords) {
      ranges.push([start, i + 1]);
      start = i + 1;
      words = 0;
    }
  });
  if (start < doc.blocks.length) {
    const last = ranges[ranges.length - 1];
    if (last && words < settings.rawSegmentWords / 4) last[1] = doc.blocks.length;
    else ranges.push([start, doc.blocks.length]);
  }
  return ranges.map(([from, to], i) => ({
    example: { id: `${doc.doc}#raw-${i}`, doc: doc.doc, tier: 'raw', text: joinBlocks(doc.blocks, from, to) },
    spans: [{ source: -1, start: from, end: to }],
  }));
}

function instructionPair(doc: EssayDocument, tier: InstructionTier, index: number, slots: PromptSlots, spans: BlockSpan[], answer: string): BuiltPair {
  const id = `${doc.doc}#${tier}-${index}`;
  return {
    example: {
      id,
      doc: doc.doc,
      tier,
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: instructionFor(tier, id, slots, answer) },
        { role: 'assistant', content: answer },
      ],
    },
    spans,
  };
}

function slotsOf(doc: EssayDocument): PromptSlots {
  const slots: PromptSlots = {};
  if (doc.title) slots.title = doc.title;
  if (doc.subtitle) slots.subtitle = doc.subtitle;
  if (doc.thesis) slots.thesis = doc.thesis;
  if (doc.tags.length > 0) slots.tags = doc.tags.slice(0, 5);
  return slots;
}

/** Blocks joined, and where each block starts in the text. */
interface JoinedBlocks {
  count: number;
  text: string;
  starts: number[];
}

const joined = new WeakMap<ReadonlyArray<{ text: string }>, JoinedBlocks>();

/**
 * Paragraphs are separated by a blank line, as in the writer's markdown. Every run of
 * blocks is a slice of the whole text, joined once per block list: V8 keeps a slice as a
 * reference into that text, so the pairs (four copies of the corpus between them) cost
 * no copying and no garbage collection. Block lists are not changed once pairs are cut.
 */
export function joinBlocks(blocks: ReadonlyArray<{ text: string }>, start: number, end: number): string {
  const from = Math.max(0, Math.min(start, blocks.length));
  const to = Math.max(from, Math.min(end, blocks.length));
  if (to === from) return '';
  if (to - from === 1) return blocks[from]?.text ?? '';
  let all = joined.get(blocks);
  if (all?.count !== blocks.length) {
    const starts: number[] = [];
    let at = 0;
    for (const b of blocks) {
      starts.push(at);
      at += b.text.length + 2;
    }
    all = { count: blocks.length, text: blocks.map((b) => b.text).join('\n\n'), starts };
    joined.set(blocks, all);
  }
  const endAt = to < blocks.length ? (all.starts[to] ?? 0) - 2 : all.text.length;
  return all.text.slice(all.starts[from], endAt);
}

/** End index of the longest run of blocks from the start within `maxWords` (at least one block). */
function prefixEnd(blockWords: readonly number[], maxWords: number): number {
  let words = 0;
  for (let i = 0; i < blockWords.length; i++) {
    words += blockWords[i] ?? 0;
    if (words > maxWords) return Math.max(1, i);
  }
  return blockWords.length;
}

function prefixSums(values: readonly number[]): number[] {
  const out = [0];
  for (const v of values) out.push((out[out.length - 1] ?? 0) + v);
  return out;
}

function sum(values: readonly number[], start: number, end: number): number {
  let total = 0;
  for (let i = start; i < end; i++) total += values[i] ?? 0;
  return total;
}
