// Prompts, shaped like the training data so that writing asks the model what training
// taught it. Ghost text: the prose before the cursor, like a raw-continuation segment
// (plain paragraphs separated by a blank line), cut to a token budget at a paragraph
// boundary. Rewrite: the tier-T1 instruction (draft → finished) from src/core.
import { fillInTheMiddlePrompt } from '../core/dataset/fim';
import { SYSTEM_PROMPT, TEMPLATES } from '../core/dataset/prompts';
import { proseOnly } from './markdownContext';
import type { ChatMessage } from './protocol';

export interface TokenCounter {
  countTokens(text: string): number;
}

export interface ContinuationPrompt {
  /** What the model continues. */
  text: string;
  /**
   * Spaces/tabs cut off the end of the prompt. BPE models write " word" tokens; a prompt
   * ending in a bare space asks for an unnatural token. The suggestion's leading
   * whitespace is dropped instead, since the writer already typed it.
   */
  trimmedWhitespace: string;
  tokens: number;
}

const PARAGRAPH_SPLIT = /\n[ \t]*\n+/;
const SEPARATOR = '\n\n';

/**
 * The prose before the cursor (see continuationSource) as a continuation prompt of at most `budgetTokens` tokens.
 * Whole paragraphs are taken from the cursor backwards, so the prompt's start moves only
 * when a paragraph drops out of the budget (which keeps the key/value cache reusable
 * from one keystroke to the next). A single paragraph longer than the budget is cut at
 * a sentence start, else at a word. Undefined when there is no prose to continue.
 */
export function buildContinuationPrompt(prose: string, budgetTokens: number, counter: TokenCounter): ContinuationPrompt | undefined {
  prose = prose.replace(/^\s+/, '');
  const trimmedWhitespace = /[ \t]+$/.exec(prose)?.[0] ?? '';
  const body = prose.slice(0, prose.length - trimmedWhitespace.length);
  if (!/\S/.test(body)) return undefined;

  // A trailing blank line means the writer starts a new paragraph: keep it as the separator.
  const endsWithBreak = /\n[ \t]*\n\s*$/.test(body);
  const paragraphs = body.split(PARAGRAPH_SPLIT).map((p) => p.replace(/\s+$/, '')).filter((p) => p !== '');
  const tail = endsWithBreak ? SEPARATOR : body.endsWith('\n') ? '\n' : '';
  const budget = Math.max(1, budgetTokens - (tail ? 1 : 0));
  const sepTokens = counter.countTokens(SEPARATOR);

  const kept: string[] = [];
  let total = 0;
  for (let i = paragraphs.length - 1; i >= 0; i--) {
    const cost = counter.countTokens(paragraphs[i]!) + (kept.length > 0 ? sepTokens : 0);
    if (total + cost > budget) break;
    kept.unshift(paragraphs[i]!);
    total += cost;
  }
  if (kept.length === 0) kept.push(cutToBudget(paragraphs[paragraphs.length - 1]!, budget, counter));

  // Paragraph-wise counts can differ from the whole by a merge at a seam: check the whole.
  let text = kept.join(SEPARATOR) + tail;
  let tokens = counter.countTokens(text);
  while (tokens > budgetTokens && kept.length > 1) {
    kept.shift();
    text = kept.join(SEPARATOR) + tail;
    tokens = counter.countTokens(text);
  }
  return { text, trimmedWhitespace, tokens };
}

/**
 * Fill-in-the-middle (src/core/dataset/fim.ts): the text after the cursor (already cut to
 * whole sentences) with the prose before it, in the format the voice learned, within
 * `budgetTokens` tokens: the text after is kept whole, the text before gets the rest of the
 * budget and is cut as a plain continuation prompt is. Undefined when there is no prose before.
 */
export function buildFillInTheMiddlePrompt(prose: string, after: string, budgetTokens: number, counter: TokenCounter): ContinuationPrompt | undefined {
  const frame = counter.countTokens(fillInTheMiddlePrompt('', after));
  const before = buildContinuationPrompt(prose, Math.max(1, budgetTokens - frame), counter);
  if (!before) return undefined;
  return { text: fillInTheMiddlePrompt(before.text, after), trimmedWhitespace: before.trimmedWhitespace, tokens: before.tokens + frame };
}

/**
 * The prose before the cursor: in markdown, front matter and code blocks cut out of the
 * whole text before it (a fence is only recognisable from the top); then the last `maxChars`
 * characters from a paragraph start, which is what goes to the worker.
 */
export function continuationSource(before: string, maxChars: number, options: { markdown?: boolean } = {}): string {
  const prose = options.markdown === false ? before : proseOnly(before);
  if (prose.length <= maxChars) return prose;
  const window = prose.slice(prose.length - maxChars);
  const start = window.search(PARAGRAPH_SPLIT);
  return start < 0 ? window.replace(/^\S*\s*/, '') : window.slice(start).replace(/^\s+/, '');
}

/** The longest ending of one paragraph that fits, starting at a sentence if possible, else at a word. */
function cutToBudget(paragraph: string, budget: number, counter: TokenCounter): string {
  const sentenceStarts = [...paragraph.matchAll(/[.!?…]["'”’)\]]*\s+(?=\S)/g)].map((m) => m.index + m[0].length);
  for (const start of sentenceStarts) {
    const rest = paragraph.slice(start);
    if (counter.countTokens(rest) <= budget) return rest;
  }
  const wordStarts = [...paragraph.matchAll(/\s+(?=\S)/g)].map((m) => m.index + m[0].length);
  // Binary search on word starts: the count shrinks as the start moves right.
  let lo = 0;
  let hi = wordStarts.length - 1;
  let best = paragraph.slice(wordStarts[wordStarts.length - 1] ?? 0);
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const rest = paragraph.slice(wordStarts[mid]!);
    if (counter.countTokens(rest) <= budget) { best = rest; hi = mid - 1; } else lo = mid + 1;
  }
  return best;
}

/** The suggestion as it goes into the document: its leading space dropped when the writer already typed one. */
export function joinSuggestion(prompt: Pick<ContinuationPrompt, 'trimmedWhitespace'>, generated: string): string {
  return prompt.trimmedWhitespace ? generated.replace(/^[ \t]+/, '') : generated;
}

/**
 * The rewrite request: the tier-T1 instruction (rough draft → finished essay) in the
 * dataset builder's own wording, so the model is asked exactly what training taught it.
 * The builder varies among T1 templates per pair; writing time always uses the first.
 * The answer is not prefilled: the rendered prompt ends at the generation prompt, where
 * training labels the writer's paragraph. (Prefilling the draft's first word stopped the
 * default model's "Here's a revised version…" but made it copy the draft word for word
 * in 13 of 18 answers, 10 of the 15 whose draft needed edits; the chat around the passage
 * is cut in rewriteCleanup.ts instead.)
 */
export function buildRewritePrompt(draft: string, title?: string): ChatMessage[] {
  const t1 = TEMPLATES.T1[0];
  if (!t1) throw new Error('the dataset builder defines no T1 template');
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: t1({ title, text: draft }) },
  ];
}

/**
 * Base models (no chat template) see instructions in a plain format; the engine trains
 * them on exactly this (voice_draft_engine/data.py, PLAIN_SEPARATOR and format_prompt).
 */
export const PLAIN_SEPARATOR = '\n\n### Response:\n';

export function plainPrompt(messages: readonly ChatMessage[]): string {
  return messages.filter((m) => m.role === 'system' || m.role === 'user').map((m) => m.content).join('\n\n') + PLAIN_SEPARATOR;
}
