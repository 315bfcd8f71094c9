// Limits on what one markdown file may ask of the parser (issue #25, finding 5). One
// file used to stop the whole build: 4 KB of `>` overflowed the stack, a 300-byte YAML
// alias bomb threw, 1 MB of deeply nested quotes took 10-40 s. Now a file over a limit is
// refused before it is parsed, a file the parser throws on is refused with the reason,
// and either way it is skipped and named in the data report while the build goes on.
// (The time budget is the parse pool's: parse-pool.ts ends a worker that takes too long.)

import type { Root } from 'mdast';

export const PARSE_LIMITS = {
  /** Characters of one file or git version (discovery's maxFileBytes caps files first; this caps everything). */
  maxChars: 8 * 1024 * 1024,
  /** Containers a line may open: `>` quotes and list markers, with list indentation counted (2 columns a level). */
  maxNesting: 32,
  /** Depth of the parsed tree (nested emphasis and links count too). */
  maxTreeDepth: 128,
} as const;

/** A file the guard will not parse; the message says why, for the data report. */
export class ParseRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParseRefused';
  }
}

const LIST_MARKER = /^(?:[-*+]|\d{1,9}[.)])(?=[ \t]|$)/;
/** `- - -`, `* * *`: a thematic break, however many, opens nothing. */
const THEMATIC_BREAK = /^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$/;

/**
 * The most containers any line opens: each `>` and list marker at the start of a line
 * (after up to three spaces), plus the line's indentation in list levels when it opens
 * one. Linear in the text, no regular expression over the whole of it.
 */
export function nestingDepth(markdown: string): number {
  let deepest = 0;
  for (let start = 0; start < markdown.length; ) {
    let end = markdown.indexOf('\n', start);
    if (end < 0) end = markdown.length;
    let i = start;
    let indent = 0;
    let markers = 0;
    for (;;) {
      let spaces = 0;
      while (i < end && (markdown.charCodeAt(i) === 32 || markdown.charCodeAt(i) === 9)) {
        spaces += markdown.charCodeAt(i) === 9 ? 4 : 1;
        i++;
      }
      if (markers === 0) indent = spaces;
      if (markdown.charCodeAt(i) === 62 /* > */) {
        markers++;
        i++;
        continue;
      }
      const marker = LIST_MARKER.exec(markdown.slice(i, Math.min(end, i + 11)));
      if (!marker) break;
      markers++;
      i += marker[0].length;
    }
    if (markers > 0 && !(markers >= 3 && THEMATIC_BREAK.test(markdown.slice(start, end)))) deepest = Math.max(deepest, markers + Math.floor(indent / 2));
    start = end + 1;
  }
  return deepest;
}

/** Why a file must not reach the parser (too large, nested too deeply), or undefined. */
export function shapeProblem(text: string): string | undefined {
  if (text.length > PARSE_LIMITS.maxChars) {
    return `too large to parse (${(text.length / 2 ** 20).toFixed(1)} M characters; the limit is ${PARSE_LIMITS.maxChars / 2 ** 20} M)`;
  }
  const depth = nestingDepth(text);
  if (depth > PARSE_LIMITS.maxNesting) return `nested too deeply (${depth} quotes or list levels in a line; the limit is ${PARSE_LIMITS.maxNesting})`;
  return undefined;
}

/** The depth of a parsed tree, without recursion (the tree may be deeper than the stack). */
export function treeDepth(root: Root): number {
  let deepest = 0;
  const stack: Array<[{ children?: unknown[] }, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > deepest) deepest = depth;
    if (Array.isArray(node.children)) for (const child of node.children) stack.push([child as { children?: unknown[] }, depth + 1]);
  }
  return deepest;
}

/** Refuses a parsed tree deeper than the limit, before anything walks it recursively. */
export function checkTreeDepth(root: Root): void {
  const depth = treeDepth(root);
  if (depth > PARSE_LIMITS.maxTreeDepth) throw new ParseRefused(`nested too deeply (${depth} levels of markup; the limit is ${PARSE_LIMITS.maxTreeDepth})`);
}

/** What the data report says about a file the parser threw on. */
export function parseFailure(error: unknown): string {
  if (error instanceof ParseRefused) return error.message;
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'nested too deeply to read (the parser ran out of stack)';
  const e = error instanceof Error ? error : new Error(String(error));
  const first = (e.message.split('\n')[0] ?? '').trim().slice(0, 200);
  return `could not be parsed (${e.name}: ${first})`;
}
