// A fast path around the markdown parser. micromark reads about 1–2 MB/s, and most of
// an essay is paragraphs with little or no markup. Such a paragraph (or a one-line
// heading, a block quote of such paragraphs, a plain list, a fenced code block),
// standing at the left margin after a blank line, cannot belong to any other construct.
// We resolve it here, swap it for a one-word placeholder, let remark parse what is left
// (so every other construct still gets the real parser and its full context), then put
// the blocks back. The tests check that this gives exactly what parsing the whole file gives.

import { simpleInline, type InlineContext, type SimpleInline } from './simple-inline';

/** A block resolved without remark. Inline content: soft line breaks as spaces, hard breaks as newlines. */
export type PlainBlock =
  | { kind: 'paragraph' | 'quote'; inline: SimpleInline }
  | { kind: 'heading'; depth: number; inline: SimpleInline }
  | { kind: 'list'; ordered: boolean; start: number; items: SimpleInline[] }
  /** Only counted: a footnote's text and code are not the essay's prose. */
  | { kind: 'footnote' | 'code' };

export interface PlaceholderDocument {
  markdown: string;
  /** What placeholder N stands for: a run of simple paragraphs and block quotes. */
  blocks: PlainBlock[][];
  /** The front matter's text, when the file opens with one. */
  frontMatter?: string;
  /** Nothing but placeholders after the front matter: remark has nothing left to read. */
  onlyPlaceholders: boolean;
}

const PLACEHOLDER_PREFIX = 'vdplainq';
export const PLACEHOLDER = /^vdplainq(\d+)q$/;

/** Line starts that open a block (heading, quote, list, setext/thematic rule) or indent. */
const BLOCK_START = /^(?:[ \t#>+\-=]|\*+(?:[ \t]|$)|\d{1,9}[.)])/;
/** A thematic break of underscores (BLOCK_START covers `*` and `-` ones). */
const UNDERSCORE_RULE = /^_(?:[ \t]*_){2,}[ \t]*$/;
/** An ordered list marker that does not start at 1 (a leading digit rules out every other block start). */
const ORDERED_NOT_FROM_ONE = /^(?!0*1[.)])\d{1,9}[.)]/;
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const BLANK = /^[ \t]*$/;
/** An ATX heading on its own; a `#` in the text (a closing sequence?) is left to remark. */
const HEADING = /^(#{1,6})[ \t]+([^#]*)$/;
const FOOTNOTE_DEFINITION = /^ {0,3}\[\^([A-Za-z0-9-]+)\]:/;
/** Anything that might be a link reference definition, anywhere (in code too: the check may only err on the safe side). */
const LINK_DEFINITION = /\[(?!\^)[^\]]*\]:/;
/** A definition's label and colon, as written. */
const FOOTNOTE_LABEL = /^\[\^[A-Za-z0-9-]+\]:/;
/** A definition we can set aside unread: label, colon, then paragraph text on the same line. */
const SIMPLE_FOOTNOTE_DEFINITION = /^\[\^[A-Za-z0-9-]+\]: {0,3}(?=[^ \t])(.*)$/;
/** A GFM table's delimiter row (`|---|:--:|`); a `|` in a group without one is just a character. */
const TABLE_DELIMITER_ROW = /^[ \t]*[|:][-:| \t]*$/;
/** A list item of one line: marker, one space, text. */
const LIST_ITEM = /^(?:([-+*])|(\d{1,9})([.)])) (?=[^ \t])(.*)$/;
/** Any line a list item could start on (to keep lists that continue across a blank line whole). */
const LIST_START = /^ {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)/;
/** HTML blocks of kinds 1–5 run across blank lines until their end marker (CommonMark 4.6). */
const HTML_BLOCK_STARTS: ReadonlyArray<readonly [RegExp, RegExp]> = [
  [/^ {0,3}<(?:script|pre|style|textarea)(?=[\s>]|$)/i, /<\/(?:script|pre|style|textarea)>/i],
  [/^ {0,3}<!--/, /-->/],
  [/^ {0,3}<\?/, /\?>/],
  [/^ {0,3}<![A-Za-z]/, />/],
  [/^ {0,3}<!\[CDATA\[/, /\]\]>/],
];

/** Front matter as remark-frontmatter sees it: `---` on the first line, closed by a `---` line. */
const FRONT_MATTER = /^---[ \t]*\n(?:([\s\S]*?)\n)?---[ \t]*(?:\n|$)/;

interface LineGroup {
  lines: string[];
  /** Inside a fenced code or HTML block, or a line that starts a block: only remark may read it. */
  structural: boolean;
}

/**
 * Replaces simple paragraphs with placeholders. Returns undefined when there are none
 * (or when the text could contain a placeholder of its own).
 */
export function withPlaceholders(markdown: string): PlaceholderDocument | undefined {
  if (markdown.includes(PLACEHOLDER_PREFIX)) return undefined;
  const frontMatter = FRONT_MATTER.exec(markdown);
  const bodyStart = frontMatter ? frontMatter[0].length : 0;
  const pieces = splitGroups(markdown.slice(bodyStart).split('\n'));

  // Footnote references are only markers to drop when their definition exists; we
  // trust definitions that open a group outside code and HTML, as remark reads them.
  const footnotes = new Set<string>();
  for (const piece of pieces) {
    const label = typeof piece === 'string' ? undefined : FOOTNOTE_DEFINITION.exec(piece.lines[0] ?? '')?.[1];
    if (label && typeof piece !== 'string' && !(piece.structural && piece.lines[0]?.trimStart().startsWith('`'))) footnotes.add(label.toLowerCase());
  }

  const context: InlineContext = { footnotes, literalBrackets: !LINK_DEFINITION.test(markdown) };
  const simple = pieces.map((piece, index) =>
    typeof piece === 'string' ? undefined : piece.structural ? simpleFence(piece.lines) : simpleGroup(piece.lines, context, neighbours(pieces, index)),
  );
  // Definitions shape how remark reads the rest (a `[^1]` is a marker only when `[^1]:`
  // exists), so they may be set aside only when remark has nothing else to read.
  const remarkNeeded = pieces.some((piece, i) => typeof piece !== 'string' && simple[i] === undefined);
  // Then a definition goes to remark as a one-word stub: the label is all that shapes the
  // rest, and its text is only counted, so remark need not read it.
  const stubs = new Set<number>();
  if (remarkNeeded) simple.forEach((resolved, i) => resolved?.[0]?.kind === 'footnote' && stubs.add(i) && (simple[i] = undefined));

  const out: string[] = [];
  const blocks: PlainBlock[][] = [];
  let blanks: string[] = [];
  let lastWasPlaceholder = false;
  let onlyPlaceholders = true;
  pieces.forEach((piece, index) => {
    if (typeof piece === 'string') {
      blanks.push(piece);
      return;
    }
    const resolved = simple[index];
    if (resolved !== undefined && lastWasPlaceholder) {
      // Consecutive simple groups share one placeholder: fewer lines for remark to read.
      blocks[blocks.length - 1]?.push(...resolved);
      blanks = [];
      return;
    }
    out.push(...blanks);
    blanks = [];
    if (resolved === undefined) {
      out.push(...(stubs.has(index) ? [`${FOOTNOTE_LABEL.exec(piece.lines[0] ?? '')?.[0] ?? ''} x`] : piece.lines));
      onlyPlaceholders = false;
    } else {
      out.push(`${PLACEHOLDER_PREFIX}${blocks.length}q`);
      blocks.push(resolved);
    }
    lastWasPlaceholder = resolved !== undefined;
  });
  out.push(...blanks);
  if (blocks.length === 0) return undefined;
  const document: PlaceholderDocument = { markdown: markdown.slice(0, bodyStart) + out.join('\n'), blocks, onlyPlaceholders };
  if (frontMatter) document.frontMatter = frontMatter[1] ?? '';
  return document;
}

interface Neighbours {
  /** The next group starts indented, and so may continue a container this one opened. */
  nextIndented: boolean;
  /** A list item starts the group before or after: lists continue across blank lines. */
  listBeside: boolean;
}

function neighbours(pieces: ReadonlyArray<string | LineGroup>, index: number): Neighbours {
  const group = (step: number): string[] | undefined => {
    for (let k = index + step; k >= 0 && k < pieces.length; k += step) {
      const piece = pieces[k];
      if (piece !== undefined && typeof piece !== 'string') return piece.lines;
    }
    return undefined;
  };
  const next = group(1)?.[0];
  const previous = group(-1) ?? [];
  const indented = (line: string | undefined) => line !== undefined && /^[ \t]/.test(line);
  return {
    nextIndented: indented(next),
    // A list may start on any line of the group before (after a quote, or interrupting a
    // paragraph), and an indented group before may belong to a list item (or be code,
    // after which micromark reads "2)" as text): in each case the list is remark's.
    listBeside: (next !== undefined && LIST_START.test(next)) || indented(previous[0]) || previous.some((line) => LIST_START.test(line)),
  };
}

/** A fenced code block alone in its group, closed on the group's last line: counted, not read. */
function simpleFence(lines: string[]): PlainBlock[] | undefined {
  const open = /^(`{3,}|~{3,})(.*)$/.exec(lines[0] ?? '');
  const fence = open?.[1];
  if (!fence || (fence[0] === '`' && (open[2] ?? '').includes('`'))) return undefined;
  const closes = (line: string) => {
    const m = FENCE.exec(line);
    return m?.[1] !== undefined && m[1][0] === fence[0] && m[1].length >= fence.length && BLANK.test(m[2] ?? '');
  };
  const close = lines.findIndex((line, i) => i > 0 && closes(line));
  return close === lines.length - 1 ? [{ kind: 'code' }] : undefined;
}

/** A tight list of one-line items with one marker, not continued by a neighbouring group. */
function simpleList(lines: string[], context: InlineContext, around: Neighbours): PlainBlock[] | undefined {
  if (around.nextIndented || around.listBeside) return undefined;
  const first = LIST_ITEM.exec(lines[0] ?? '');
  if (!first) return undefined;
  const marker = first[1] ?? first[3];
  const items: SimpleInline[] = [];
  for (const line of lines) {
    const m = LIST_ITEM.exec(line);
    const content = m?.[4] ?? '';
    // `[ ]`/`[x]` first would make a GFM task item
    if (!m || (m[1] ?? m[3]) !== marker || !isPlainContent(content) || content.startsWith('[')) return undefined;
    const inline = simpleInline(joinParagraphLines([content]), context);
    if (!inline) return undefined;
    items.push(inline);
  }
  return [{ kind: 'list', ordered: first[2] !== undefined, start: Number(first[2] ?? 1), items }];
}

/** Text that opens no block of its own (no heading, quote, list, fence or HTML). */
function isPlainContent(line: string): boolean {
  return isParagraphLine(line) && !/^(?:<|`{3}|~{3})/.test(line) && !FOOTNOTE_DEFINITION.test(line);
}

/**
 * A paragraph, a one-line heading, a block quote of paragraphs (every line marked with
 * `>`), or a footnote definition not continued below, whose markup is simple.
 */
function simpleGroup(lines: string[], context: InlineContext, around: Neighbours): PlainBlock[] | undefined {
  const first = lines[0] ?? '';
  if (lines.some((line) => TABLE_DELIMITER_ROW.test(line) || (line.startsWith('>') && TABLE_DELIMITER_ROW.test(line.slice(1))))) return undefined;
  if (first.startsWith('[^')) {
    const definition = SIMPLE_FOOTNOTE_DEFINITION.exec(first);
    const content = definition?.[1] ?? '';
    // On a line of its own, the note may open a list, heading or quote: it ends with the line,
    // and only its count is kept. Fences, HTML and nested definitions could run on.
    const contained = lines.length === 1 && !/^(?:<|`{3}|~{3})/.test(content) && !FOOTNOTE_DEFINITION.test(content);
    if (!definition || around.nextIndented || !(isPlainContent(content) || contained) || !lines.slice(1).every(isPlainContent)) return undefined;
    return [{ kind: 'footnote' }];
  }
  if (LIST_START.test(first)) return simpleList(lines, context, around);
  if (first.startsWith('#')) {
    const heading = lines.length === 1 ? HEADING.exec(first) : null;
    const inline = heading ? simpleInline(joinParagraphLines([heading[2] ?? '']), context) : undefined;
    return inline && heading ? [{ kind: 'heading', depth: heading[1]?.length ?? 1, inline }] : undefined;
  }
  if (!first.startsWith('>')) {
    if (!lines.every((line, i) => isParagraphLine(line, i > 0))) return undefined;
    const inline = simpleInline(joinParagraphLines(lines), context);
    return inline === undefined ? undefined : [{ kind: 'paragraph', inline }];
  }
  const quoted: PlainBlock[] = [];
  let paragraph: string[] = [];
  const end = (): boolean => {
    if (paragraph.length === 0) return true;
    const inline = simpleInline(joinParagraphLines(paragraph), context);
    paragraph = [];
    if (inline === undefined) return false;
    quoted.push({ kind: 'quote', inline });
    return true;
  };
  for (const line of lines) {
    // `>` and one optional space; anything subtler (tabs, indents, nesting, lazy lines) is remark's.
    if (!line.startsWith('>')) return undefined;
    const inner = line.startsWith('> ') ? line.slice(2) : line.slice(1);
    if (BLANK.test(inner)) {
      if (!end()) return undefined;
    } else if (isParagraphLine(inner, paragraph.length > 0)) {
      paragraph.push(inner);
    } else {
      return undefined;
    }
  }
  return end() && quoted.length > 0 ? quoted : undefined;
}

/** Blank lines (as strings) and groups of non-blank lines, tracking fenced code and multi-line HTML blocks. */
function splitGroups(lines: string[]): Array<string | LineGroup> {
  const pieces: Array<string | LineGroup> = [];
  let fence: { char: string; length: number } | undefined;
  let htmlEnd: RegExp | undefined;
  let group: LineGroup | undefined;

  for (const line of lines) {
    if (!fence && !htmlEnd && BLANK.test(line)) {
      group = undefined;
      pieces.push(line);
      continue;
    }
    if (!group) {
      group = { lines: [], structural: false };
      pieces.push(group);
    }
    group.lines.push(line);
    if (fence) {
      const close = FENCE.exec(line);
      if (close?.[1] && close[1][0] === fence.char && close[1].length >= fence.length && BLANK.test(close[2] ?? '')) fence = undefined;
      group.structural = true;
      continue;
    }
    if (htmlEnd) {
      if (htmlEnd.test(line)) htmlEnd = undefined;
      group.structural = true;
      continue;
    }
    const open = FENCE.exec(line);
    if (open?.[1] && !(open[1][0] === '`' && (open[2] ?? '').includes('`'))) {
      fence = { char: open[1][0] ?? '`', length: open[1].length };
      group.structural = true;
      continue;
    }
    for (const [start, end] of HTML_BLOCK_STARTS) {
      const m = start.exec(line);
      if (m && !end.test(line.slice(m[0].length))) htmlEnd = end;
    }
  }
  return pieces;
}

/**
 * A line of paragraph text. Inside a paragraph (`continuation`), an ordered list item
 * interrupts only when it starts at 1 (CommonMark 5.3), so a wrapped line such as
 * "5. Then" or "1878." goes on with the paragraph.
 */
function isParagraphLine(line: string, continuation = false): boolean {
  if (BLOCK_START.test(line) && !(continuation && ORDERED_NOT_FROM_ONE.test(line))) return false;
  if (line.startsWith('_') && UNDERSCORE_RULE.test(line)) return false; // `___`, `_ _ _`: a thematic break
  // A tab in trailing whitespace makes hard-break rules subtle, and a backslash at the end
  // is a hard break; leave such lines to remark.
  const last = line[line.length - 1];
  return !(last === '\t' || last === '\\' || (last === ' ' && /\t[ \t]*$/.test(line)));
}

/** Lines of a paragraph as remark reads them: two trailing spaces make a hard break, other line ends a space. */
function joinParagraphLines(lines: string[]): string {
  let text = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    let end = line.length;
    while (end > 0 && line.charCodeAt(end - 1) === 32) end--; // only spaces: remark keeps other trailing whitespace
    const trimmed = end === line.length ? line : line.slice(0, end);
    text += trimmed;
    if (i < lines.length - 1) text += line.length - trimmed.length >= 2 ? '\n' : ' ';
  }
  return text;
}
