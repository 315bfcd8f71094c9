// Fill-in-the-middle in the writer's voice: the one description of how ghost text asks
// for a suggestion that leads into the text already after the cursor, and of the
// training pairs that teach it (tier `fim`). Training (the dataset builder) and writing
// (src/inference/prompt.ts) both format with `fillInTheMiddlePrompt`, so the model is asked
// exactly what it learned.
//
// The text after the cursor comes first, between markers, then the text before the cursor,
// which the model continues (suffix-prefix-middle order: the writer's typing changes only
// the end of the prompt, so the key/value cache of the rest carries over between keystrokes).
// The model writes the missing middle and then its end-of-sequence token: that is where
// the text after the cursor takes over. SmolLM2 and Llama have no fill-in-the-middle
// tokens, so the markers are plain text that prose never contains.
import { countWords, fnv1a } from '../corpus/text';
import { seededRandom } from '../seededRandom';
import type { BuiltPair, EssayDocument } from './types';

export const FIM_AFTER_OPEN = '<after>\n';
export const FIM_AFTER_CLOSE = '\n</after>\n\n';

/** The prompt whose continuation is the middle: `after` (trimmed) between the markers, then `before` as it is. */
export function fillInTheMiddlePrompt(before: string, after: string): string {
  return `${FIM_AFTER_OPEN}${after.trim()}${FIM_AFTER_CLOSE}${before}`;
}

/**
 * The start of the text after the cursor that a prompt shows: whole sentences up to
 * `maxWords` words (at least the first sentence's first `maxWords` words), within the
 * paragraph the cursor is in and the ones after it. Undefined when it holds no words.
 */
export function afterTextForPrompt(after: string, maxWords: number): string | undefined {
  const text = after.trim();
  if (countWords(text) === 0) return undefined;
  let end = 0;
  let words = 0;
  for (const m of text.matchAll(SENTENCE_END)) {
    const stop = m.index + m[0].length;
    const more = countWords(text.slice(end, stop));
    if (words + more > maxWords) break;
    words += more;
    end = stop;
  }
  if (end > 0) return text.slice(0, end).trim();
  // One long sentence (or none ended): its first maxWords words.
  const starts = [...text.matchAll(/\S+/g)];
  const cut = starts[Math.min(maxWords, starts.length) - 1];
  return cut ? text.slice(0, cut.index + cut[0].length) : undefined;
}

/** A sentence end: punctuation (with closing quotes/brackets) before a space, or a paragraph break, or the end. */
const SENTENCE_END = /[.!?…]+["'”’)\]*_]*(?=\s|$)|\n[ \t]*\n/g;

export interface FimSettings {
  /** Fill-in-the-middle cuts per essay (fewer for short essays); 0 turns the tier off. */
  fimCutsPerEssay: number;
  /** Words of the essay before a cut that the pair shows (from a paragraph start). */
  fimBeforeWords: number;
  /** Words after the missing middle that the pair shows (whole sentences). */
  fimAfterWords: number;
}

/** A paragraph with fewer words than this is never cut: too little to fill in. */
const MIN_PARAGRAPH_WORDS = 12;
/** A middle shorter than this teaches nothing of the voice. */
const MIN_MIDDLE_WORDS = 3;
/** Essay words per cut: a 300-word note gets one, a 2,400-word essay the full count. */
const WORDS_PER_CUT = 300;

export interface FimCut {
  before: string;
  middle: string;
  after: string;
  /** The paragraph (block index) the middle is in. */
  block: number;
}

/**
 * Where one essay is cut for fill-in-the-middle: inside a paragraph, at a word or a sentence
 * start; the middle runs to the end of that sentence (sometimes the next one too), as a
 * writer inserting a sentence or finishing one would type it. Seeded by the document id, so
 * the same essay is cut the same way on every build. The paragraphs cut are spread along the
 * essay and each is cut once. `before` ends where the middle starts (no trailing space: the
 * middle begins with its own), `after` is what follows the middle, cut to whole sentences.
 */
export function fimCuts(doc: EssayDocument, settings: FimSettings, seed = 0): FimCut[] {
  const candidates = doc.blocks
    .map((b, i) => ({ b, i }))
    .filter(({ b, i }) => b.kind === 'paragraph' && (doc.blockWords[i] ?? 0) >= MIN_PARAGRAPH_WORDS)
    .map(({ i }) => i);
  const count = Math.min(settings.fimCutsPerEssay, candidates.length, Math.max(1, Math.floor(doc.words / WORDS_PER_CUT)));
  if (count <= 0) return [];
  const random = seededRandom(fnv1a(doc.doc) ^ seed);
  const cuts: FimCut[] = [];
  for (let k = 0; k < count; k++) {
    // One paragraph from each of `count` stretches of the essay's paragraphs.
    const from = Math.floor((k * candidates.length) / count);
    const to = Math.floor(((k + 1) * candidates.length) / count);
    const block = candidates[from + Math.floor(random() * (to - from))]!;
    const cut = cutParagraph(doc, block, settings, random);
    if (cut) cuts.push(cut);
  }
  return cuts;
}

function cutParagraph(doc: EssayDocument, block: number, settings: FimSettings, random: () => number): FimCut | undefined {
  const paragraph = doc.blocks[block]!.text;
  const sentences = sentenceSpans(paragraph);
  const s = Math.floor(random() * sentences.length);
  const sentence = sentences[s]!;
  const wordStarts = [...paragraph.slice(sentence.start, sentence.end).matchAll(/\S+/g)].map((m) => sentence.start + m.index);
  // A third of the cuts at the sentence's start (a new sentence), the rest after one of its words.
  const atStart = random() < 1 / 3 || wordStarts.length <= MIN_MIDDLE_WORDS;
  const startWord = atStart ? 0 : 1 + Math.floor(random() * (wordStarts.length - MIN_MIDDLE_WORDS));
  // The middle begins with the space before its first word, as the model writes it (" word");
  // at a paragraph's start it begins the paragraph.
  const cutAt = startWord > 0 ? wordEnd(paragraph, wordStarts[startWord - 1]!) : s > 0 ? sentences[s - 1]!.end : 0;
  const last = random() < 0.25 && s + 1 < sentences.length ? sentences[s + 1]! : sentence;
  const middle = paragraph.slice(cutAt, last.end);
  if (countWords(middle) < MIN_MIDDLE_WORDS) return undefined;

  // Whole paragraphs before the one cut, back to about fimBeforeWords words.
  const parts: string[] = [];
  let words = 0;
  if (cutAt > 0) {
    parts.push(paragraph.slice(0, cutAt).replace(/[ \t]+$/, ''));
    words = countWords(parts[0]!);
  }
  for (let i = block - 1; i >= 0 && words < settings.fimBeforeWords; i--) {
    parts.unshift(doc.blocks[i]!.text);
    words += doc.blockWords[i] ?? 0;
  }
  if (words === 0) return undefined;
  // A middle that starts a paragraph follows a blank line, as a writer starting one has typed.
  const before = parts.join('\n\n') + (cutAt === 0 ? '\n\n' : '');

  const following = [paragraph.slice(last.end), ...doc.blocks.slice(block + 1, block + 4).map((b) => b.text)].join('\n\n');
  const after = afterTextForPrompt(following, settings.fimAfterWords);
  // With nothing after it, the middle is plain continuation: the raw tier teaches that.
  if (!after) return undefined;
  return { before, middle, after, block };
}

/** Sentences of a paragraph as [start, end) offsets, each end after its closing punctuation. */
function sentenceSpans(paragraph: string): Array<{ start: number; end: number }> {
  const spans: Array<{ start: number; end: number }> = [];
  const nextWord = (from: number) => {
    const i = paragraph.slice(from).search(/\S/);
    return i < 0 ? paragraph.length : from + i;
  };
  let start = nextWord(0);
  for (const m of paragraph.matchAll(/[.!?…]+["'”’)\]*_]*(?=\s|$)/g)) {
    const end = m.index + m[0].length;
    if (end > start) spans.push({ start, end });
    start = nextWord(end);
  }
  const rest = paragraph.trimEnd().length;
  if (start < rest) spans.push({ start, end: rest });
  return spans;
}

function wordEnd(text: string, wordStart: number): number {
  const m = /\S+/.exec(text.slice(wordStart));
  return wordStart + (m ? m[0].length : 0);
}

/** Tier `fim`: the cuts as training pairs (the prompt masked, the middle and end-of-sequence trained). */
export function fimPairs(doc: EssayDocument, settings: FimSettings): BuiltPair[] {
  return fimCuts(doc, settings).map((cut, k) => ({
    example: { id: `${doc.doc}#fim-${k}`, doc: doc.doc, tier: 'fim', prompt: fillInTheMiddlePrompt(cut.before, cut.after), completion: cut.middle },
    spans: [{ source: -1, start: cut.block, end: cut.block + 1 }],
  }));
}
