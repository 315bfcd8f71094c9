// Where a suggestion ends. Checked between tokens in the worker (to stop generating
// early) and once more on the final text: at a sentence or paragraph end, as the
// setting says, and never running into the text already after the cursor.
import type { StopOptions } from './protocol';

export type StopKind = 'sentence' | 'paragraph' | 'repeat';

export interface StopCheck {
  /** True when generation can end: the suggestion is complete. */
  stop: boolean;
  reason?: StopKind;
  /** The suggestion cut at the stop point (the whole text when not stopping). */
  text: string;
}

/** Words whose trailing period does not end a sentence. */
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'st', 'vs', 'etc', 'e.g', 'i.e', 'cf', 'vol', 'pp', 'jr', 'sr', 'prof', 'fig']);
const SENTENCE_END = /[.!?…]+["'”’)\]*_]*/g;
const PARAGRAPH_BREAK = /\n[ \t]*\n/;
/** How much of the text after the cursor is the "needle" a suggestion must not repeat. */
const NEEDLE_WORDS = 3;
const NEEDLE_MAX_CHARS = 40;
const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}'’]/u.test(c);

/** Checks a partial or final generated text against the stop rules. */
export function checkStop(generated: string, rules: StopOptions): StopCheck {
  const contentStart = generated.search(/\S/);
  if (contentStart < 0) return { stop: false, text: generated };

  const candidates: Array<{ at: number; reason: StopKind }> = [];
  const repeat = repeatIndex(generated, rules.after);
  if (repeat !== undefined) candidates.push({ at: repeat, reason: 'repeat' });
  if (rules.at === 'paragraph') {
    const m = PARAGRAPH_BREAK.exec(generated.slice(contentStart));
    if (m) candidates.push({ at: contentStart + m.index, reason: 'paragraph' });
  } else if (rules.at === 'sentence') {
    const end = sentenceEnd(generated, contentStart);
    if (end !== undefined) candidates.push({ at: end, reason: 'sentence' });
  }
  if (candidates.length === 0) return { stop: false, text: generated };
  const first = candidates.reduce((a, b) => (b.at < a.at ? b : a));
  let text = generated.slice(0, first.at);
  if (first.reason === 'repeat') text = trimBeforeAfterText(text, rules.after);
  return { stop: true, reason: first.reason, text };
}

/**
 * The final suggestion: cut at the stop rules, without a dangling start of the text
 * after the cursor, without trailing whitespace. Empty means "suggest nothing".
 */
export function finalizeSuggestion(generated: string, rules: StopOptions): string {
  let text = checkStop(generated, rules).text;
  text = dropPartialNeedle(text, rules.after);
  text = text.replace(/\s+$/u, '');
  return /\S/.test(text) ? text : '';
}

/** End (exclusive) of the first complete sentence or line after contentStart, if any. */
function sentenceEnd(text: string, contentStart: number): number | undefined {
  const newline = text.indexOf('\n', contentStart);
  const limit = newline < 0 ? text.length : newline;
  SENTENCE_END.lastIndex = contentStart;
  for (let m = SENTENCE_END.exec(text); m && m.index < limit; m = SENTENCE_END.exec(text)) {
    const end = m.index + m[0].length;
    if (m[0].startsWith('.') && isAbbreviation(text, m.index)) continue; // "Mr. Smith"
    if (end < text.length) {
      if (/\s/.test(text[end] ?? '')) return end;
      continue; // "3.5", "e.g.x": not an end
    }
    // Punctuation at the very end: decide now unless the next token could still change it.
    if (endsSentenceNow(text, m.index, m[0])) return end;
  }
  return newline < 0 ? undefined : newline;
}

function endsSentenceNow(text: string, at: number, mark: string): boolean {
  if (!mark.startsWith('.')) return true; // ! ? … end a sentence whatever follows
  const word = wordBefore(text, at);
  return word !== '' && !/\d$/.test(word); // "3." may become "3.5"
}

function wordBefore(text: string, at: number): string {
  return /([\p{L}\p{N}.]+)$/u.exec(text.slice(0, at))?.[1] ?? '';
}

/** A period that closes an abbreviation or an initial ("Mr.", "e.g.", "J."), not a sentence. */
function isAbbreviation(text: string, at: number): boolean {
  const word = wordBefore(text, at);
  return /^\p{Lu}$/u.test(word) || ABBREVIATIONS.has(word.toLowerCase());
}

/** The words that open the text after the cursor (what a suggestion must not repeat). */
function needleOf(after: string): string {
  const head = after.trimStart().split('\n')[0] ?? '';
  if (head === '') return '';
  if (!isWordChar(head[0])) return head[0] ?? ''; // punctuation right after the cursor: ". Next"
  const words = head.match(/\S+/g) ?? [];
  return words.slice(0, NEEDLE_WORDS).join(' ').slice(0, NEEDLE_MAX_CHARS);
}

function repeatIndex(generated: string, after: string): number | undefined {
  const needle = needleOf(after);
  if (needle === '') return undefined;
  const wordNeedle = isWordChar(needle[0]);
  for (let i = generated.indexOf(needle); i >= 0; i = generated.indexOf(needle, i + 1)) {
    // A word needle counts only as a whole word ("the" is not in "other").
    if (!wordNeedle || !isWordChar(generated[i - 1])) return i;
  }
  return undefined;
}

function trimBeforeAfterText(text: string, after: string): string {
  // "sat| on the mat": the suggestion "sat and" + " on the mat" must not leave "and " + " on".
  const next = after.trimStart()[0];
  return /^\s/.test(after) || !isWordChar(next) ? text.replace(/\s+$/u, '') : text;
}

/** Drops an ending that is the beginning of the text after the cursor ("… on the" before "on the mat"). */
function dropPartialNeedle(text: string, after: string): string {
  const needle = needleOf(after);
  for (let n = Math.min(needle.length - 1, text.length); n >= 3; n--) {
    const tail = text.slice(text.length - n);
    if (needle.startsWith(tail) && !isWordChar(text[text.length - n - 1])) return text.slice(0, text.length - n);
  }
  return text;
}
