// Newsletter furniture is not the writer's voice: a seed model trained on it learned
// to end every draft with "buy me a coffee". We remove it block by block and count
// what went, so the writer can check nothing of theirs was taken.

import type { ProseBlock } from './parse';
import { countWords } from './text';

export type BoilerplateKind = 'call to action' | 'thanks for reading' | 'footer' | 'link-only line' | 'repeated sign-off';

export interface RemovedBoilerplate {
  kind: BoilerplateKind;
  text: string;
}

/** Only short blocks can be furniture: a long paragraph that mentions "subscribe" is prose. */
const MAX_BOILERPLATE_WORDS = 45;
/** Cheap bound before the patterns run: link URLs are already gone, so 45 words fit well inside this. */
const MAX_BOILERPLATE_CHARS = 1000;

const PATTERNS: ReadonlyArray<readonly [BoilerplateKind, RegExp]> = [
  ['thanks for reading', /^(?:thanks?|thank you)(?: so much| again)? for reading\b/i],
  ['call to action', /^(?:subscribe|share|leave a comment|comment|like|follow|upgrade|donate|support)(?: now| here| today)?[.!]?$/i],
  ['call to action', /\bsubscribe(?:\s+(?:now|here|below|today|for free)\b|\b.{0,40}\b(?:newsletter|inbox|substack|mailing list|new posts|updates)\b)/i],
  ['call to action', /\b(?:sign up|subscribe) (?:to|for) (?:my|our|the|this) (?:newsletter|mailing list|substack|list|blog)\b/i],
  ['call to action', /\b(?:share|forward|send) (?:this|the|it)(?: post| essay| article| newsletter| piece| issue| email)?,? (?:with|to) (?:a friend|someone|anyone|others|your friends)\b/i],
  ['call to action', /\bshare (?:this|the) (?:post|essay|article|newsletter|piece|issue)\b/i],
  ['call to action', /\b(?:leave|drop|write) (?:me )?a comment\b|\b(?:let me know|tell me) in the comments\b/i],
  ['call to action', /\bbuy me a (?:coffee|beer|book)\b|\bko-?fi\b|\bpatreon\b|\bbecome a (?:paid )?(?:subscriber|member|patron|supporter)\b/i],
  ['call to action', /\b(?:consider )?(?:supporting|support) (?:my|this|the) (?:work|writing|newsletter|substack)\b/i],
  ['call to action', /\bfollow me on\b|\bfind me on (?:twitter|x|mastodon|bluesky|instagram|linkedin)\b/i],
  ['footer', /^(?:this (?:post|essay|article|piece) (?:was )?)?(?:originally|first) (?:published|appeared|posted)\b/i],
  ['footer', /^(?:©|\(c\))\s*\S|^copyright\s*(?:©|\(c\)|\d{4})|\ball rights reserved\b/i],
  ['footer', /^(?:you(?:'re| are) receiving this|unsubscribe\b|view (?:this|it) in (?:your|a) browser)/i],
];

/** Removes calls to action, "thanks for reading" footers and link-only lines. */
export function stripBoilerplate(blocks: readonly ProseBlock[]): { blocks: ProseBlock[]; removed: RemovedBoilerplate[] } {
  const kept: ProseBlock[] = [];
  const removed: RemovedBoilerplate[] = [];
  for (const block of blocks) {
    const kind = boilerplateKind(block);
    if (kind) removed.push({ kind, text: block.text });
    else kept.push(block);
  }
  return { blocks: kept, removed };
}

export function boilerplateKind(block: ProseBlock): BoilerplateKind | undefined {
  if (block.linkOnly) return 'link-only line';
  if (block.kind === 'heading' || block.text.length > MAX_BOILERPLATE_CHARS || !fewTokens(block.text, 2 * MAX_BOILERPLATE_WORDS)) return undefined;
  for (const [kind, pattern] of PATTERNS) {
    if (pattern.test(block.text)) return countWords(block.text) <= MAX_BOILERPLATE_WORDS ? kind : undefined;
  }
  return undefined;
}

/** Fewer than `max` spaces: a cheap screen before the patterns (45 words or fewer come with about 45 spaces, not 90). */
function fewTokens(text: string, max: number): boolean {
  let spaces = 0;
  for (let i = text.indexOf(' '); i >= 0; i = text.indexOf(' ', i + 1)) if (++spaces >= max) return false;
  return true;
}

/** How many of the last blocks of a document can hold a sign-off. */
const SIGN_OFF_TAIL = 3;
const MAX_SIGN_OFF_WORDS = 12;
/** A cheap bound before counting words: 12 words hardly run past 150 characters. */
const MAX_SIGN_OFF_CHARS = 150;

/**
 * Short lines that end many documents ("— Jane", "Until next week,"): a line found
 * among the last blocks of at least 3 documents and at least 10% of them. The share
 * keeps an author's occasional recurring signature (Bierce's "G.J." under a few of
 * his verses) while catching a newsletter's sign-off.
 */
export function detectRepeatedSignoffs(documents: ReadonlyArray<readonly ProseBlock[]>): Set<string> {
  const seenIn = new Map<string, number>();
  for (const blocks of documents) {
    const tail = new Set<string>();
    for (const block of blocks.slice(-SIGN_OFF_TAIL)) {
      if (block.kind === 'heading' || block.text.length > MAX_SIGN_OFF_CHARS * 2 || countWords(block.text) > MAX_SIGN_OFF_WORDS) continue;
      for (const line of block.text.split('\n')) {
        const key = signoffKey(line);
        if (key) tail.add(key);
      }
    }
    for (const key of tail) seenIn.set(key, (seenIn.get(key) ?? 0) + 1);
  }
  const needed = Math.max(3, Math.ceil(documents.length * 0.1));
  return new Set([...seenIn].filter(([, n]) => n >= needed).map(([key]) => key));
}

/** Removes the detected sign-off lines from the end of a document. */
export function stripSignoffs(blocks: readonly ProseBlock[], signoffs: ReadonlySet<string>): { blocks: ProseBlock[]; removed: RemovedBoilerplate[] } {
  if (signoffs.size === 0) return { blocks: [...blocks], removed: [] };
  const kept = [...blocks];
  const removed: RemovedBoilerplate[] = [];
  const from = Math.max(0, kept.length - SIGN_OFF_TAIL);
  for (let i = kept.length - 1; i >= from; i--) {
    const block = kept[i];
    if (!block || block.kind === 'heading') continue;
    const lines = block.text.split('\n');
    const isSignoff = lines.map((line) => line.length <= MAX_SIGN_OFF_CHARS && signoffs.has(signoffKey(line)));
    if (!isSignoff.includes(true)) continue;
    const rest = lines.filter((_, k) => !isSignoff[k]);
    lines.forEach((line, k) => isSignoff[k] && removed.push({ kind: 'repeated sign-off', text: line }));
    if (rest.length === 0) kept.splice(i, 1);
    else kept[i] = { ...block, text: rest.join('\n') };
  }
  removed.reverse();
  return { blocks: kept, removed };
}

/** Case and punctuation do not make a sign-off different ("— Jane" = "Jane."). */
function signoffKey(line: string): string {
  return line.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}
