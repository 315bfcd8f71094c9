// Inline markup whose meaning is certain without the full CommonMark inline algorithm:
// emphasis that is properly nested and unambiguous under the flanking rules, footnote
// markers whose definition exists, plain inline links `[text](url)`, and brackets
// that cannot be links because the document defines no references. Anything
// subtler returns undefined and goes to remark. The differential tests in
// test/unit/corpus/plain-paragraphs.test.ts hold this to remark's output.

/** What the rest of the document decides about inline syntax. */
export interface InlineContext {
  /** Footnote labels (lower-cased) that have a definition: `[^label]` is then a marker. */
  footnotes: ReadonlySet<string>;
  /**
   * The document has no link reference definitions, so a `[` or `]` that is not part of
   * an inline link or a footnote marker is plain text ("[sic]", "[Latin]").
   */
  literalBrackets: boolean;
}

export interface SimpleInline {
  /** The prose: markup resolved, link URLs and bare-URL links gone. */
  prose: string;
  /** What a reader sees, bare URLs included. */
  visible: string;
  /** The text outside links (does the paragraph hold anything but links?). */
  outside: string;
  /** Inline links met. */
  links: number;
}

/**
 * Inline syntax left to remark: code spans, escapes, HTML and autolinks (`<` before a
 * tag or scheme), character references, GFM literal links (web and email), and a
 * possible strikethrough pair. A lone `<`, `&`, `@` or `~` is just a character.
 */
function hasHardSyntax(text: string): boolean {
  // `includes` first: each check costs a regex scan only when its character is present.
  return (
    /[`\\\0]/.test(text) ||
    text.includes('://') ||
    ((text.includes('www.') || text.includes('WWW.') || text.includes('Www.')) && /www\./i.test(text)) ||
    (text.includes('<') && /<[A-Za-z/!?]/.test(text)) ||
    (text.includes('&') && /&[#A-Za-z0-9]+;/.test(text)) ||
    (text.includes('@') && /[A-Za-z0-9._+-]@[A-Za-z0-9_-]/.test(text)) ||
    (text.includes('~') && /~[^~]*~/.test(text))
  );
}
const INLINE_LINK = /\[([^[\]]*)\]\(([^\s()<>\\]*)\)/g;
const FOOTNOTE_REFERENCE = /\[\^([A-Za-z0-9-]+)\]/g;

const WORD_CHAR = /[\p{L}\p{N}]/u;
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
/** Whitespace for the flanking rules (the start and end of the text count as a line break). */
const SPACE = new Set([' ', '\n', '\t']);
const DELIMITER = /[_*]/g;
/** Before an opening `_`/`*`: nothing, whitespace, or punctuation that opens. */
const OPENS_AFTER = new Set([' ', '\n', '\t', '(', '"', "'", '“', '‘', '—', '–', '-', '/']);
/** Before a closing `_`/`*`: a letter or digit, or punctuation that ends a phrase. */
const CLOSES_AFTER = new Set(['.', ',', '!', '?', ';', ':', "'", '"', '”', '’', ')']);
/** After a closing `_`/`*`: nothing, whitespace, or punctuation. */
const CLOSES_BEFORE = new Set([' ', '\n', '\t', '.', ',', ';', ':', '!', '?', ')', '"', "'", '”', '’', '—', '–', '-', '/', '[']);

interface Range {
  start: number;
  end: number;
  /** For links: the visible text and the destination. */
  label?: string;
  url?: string;
}

/** Brackets that could still mean something without definitions: a link with an unusual destination, a reference, an image. */
const BRACKET_SYNTAX = /\]\(|\]\[|!\[|\[\^/;

/** Punctuation with no inline meaning here: escaped, it is itself, and the backslash goes. */
const SAFE_ESCAPE = /\\([!"#$%',./:;=?{|}+-])/g;

export function simpleInline(source: string, { footnotes, literalBrackets }: InlineContext): SimpleInline | undefined {
  let text = source;
  if (text.includes('\\')) {
    text = text.replace(SAFE_ESCAPE, '$1');
    if (text.includes('\\')) return undefined; // any other backslash (a hard break, an escaped delimiter) is remark's
  }
  const plain = !text.includes('[') && !text.includes(']') && !text.includes('_') && !text.includes('*');
  if (plain) return hasHardSyntax(text) ? undefined : { prose: text, visible: text, outside: text, links: 0 };

  const links = findLinks(text);
  if (!links) return undefined;
  const notes = findFootnotes(text, links, footnotes);
  if (!notes) return undefined;
  const opaque = [...links, ...notes].sort((a, b) => a.start - b.start);

  let rest = '';
  let at = 0;
  for (const r of opaque) {
    rest += text.slice(at, r.start);
    at = r.end;
  }
  rest += text.slice(at);
  if (rest.includes('[') || rest.includes(']')) {
    if (!literalBrackets || BRACKET_SYNTAX.test(rest)) return undefined;
  }
  if (hasHardSyntax(rest)) return undefined;
  if (links.some((l) => hasHardSyntax(l.label ?? ''))) return undefined;

  const delimiters = emphasisDelimiters(text, opaque);
  if (!delimiters) return undefined;

  const cuts = [...opaque, ...delimiters].sort((a, b) => a.start - b.start);
  const out: SimpleInline = { prose: '', visible: '', outside: '', links: links.length };
  at = 0;
  for (const cut of cuts) {
    const between = text.slice(at, cut.start);
    out.prose += between;
    out.visible += between;
    out.outside += between;
    if (cut.label !== undefined) {
      if (!isBareUrl(cut.label, cut.url ?? '')) out.prose += cut.label;
      out.visible += cut.label;
    }
    at = cut.end;
  }
  const tail = text.slice(at);
  out.prose += tail;
  out.visible += tail;
  out.outside += tail;
  return out;
}

/** Inline links with plain text and a bare destination; undefined when a bracket means anything subtler. */
function findLinks(text: string): Range[] | undefined {
  const links: Range[] = [];
  INLINE_LINK.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = INLINE_LINK.exec(text)) !== null) {
    const before = text[m.index - 1];
    const label = m[1] ?? '';
    // an image, a reference-style neighbour, a footnote, or emphasis inside the link text
    if (before === '!' || before === ']' || label.startsWith('^') || label.includes('*') || label.includes('_')) return undefined;
    links.push({ start: m.index, end: m.index + m[0].length, label, url: m[2] ?? '' });
  }
  return links;
}

/** Footnote markers outside links whose definition exists; undefined for any other `[^…]`. */
function findFootnotes(text: string, links: readonly Range[], footnotes: ReadonlySet<string>): Range[] | undefined {
  const notes: Range[] = [];
  FOOTNOTE_REFERENCE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = FOOTNOTE_REFERENCE.exec(text)) !== null) {
    const start = m.index;
    if (links.some((l) => start >= l.start && start < l.end)) continue;
    const end = start + m[0].length;
    const before = text[start - 1];
    const after = text[end];
    if (!footnotes.has((m[1] ?? '').toLowerCase()) || before === '!' || before === ']' || after === '(' || after === '[' || after === ':') return undefined;
    notes.push({ start, end });
  }
  return notes;
}

/**
 * The `_`/`*` runs of length 1–2 that pair up as emphasis. Each run must be certainly
 * an opener (after whitespace or opening punctuation, before a letter; or after
 * whitespace, before punctuation), certainly a closer (after a letter or closing
 * punctuation, before whitespace or punctuation), or flank nothing (spaces on both
 * sides: "2 * 3"); pairs must nest. A closer with nothing open (unless punctuation on
 * both sides lets it open) and an opener never closed are plain text, as CommonMark
 * leaves them. Undefined for anything subtler.
 * Opaque ranges (links, footnote markers) are atoms the emphasis may surround.
 */
function emphasisDelimiters(text: string, opaque: readonly Range[]): Range[] | undefined {
  const pairs: Range[] = [];
  const open: Array<{ char: string; length: number; start: number }> = [];
  let next = 0;
  for (let i = 0; i < text.length; ) {
    const skip = opaque[next];
    if (skip && i >= skip.start) {
      i = skip.end;
      next++;
      continue;
    }
    const c = text[i];
    if (c !== '_' && c !== '*') {
      // jump to the next delimiter character (or the next opaque range, whichever is first)
      DELIMITER.lastIndex = i;
      const found = DELIMITER.exec(text);
      const to = found ? found.index : text.length;
      i = skip && skip.start < to ? skip.start : to;
      continue;
    }
    let j = i;
    while (text[j] === c) j++;
    const length = j - i;
    const before = i === 0 ? '\n' : (text[i - 1] ?? '\n');
    const after = j >= text.length ? '\n' : (text[j] ?? '\n');
    if (length > 2) return undefined;
    const opens = (OPENS_AFTER.has(before) && WORD_CHAR.test(after)) || (SPACE.has(before) && ASCII_PUNCTUATION.test(after));
    const closes = (WORD_CHAR.test(before) || CLOSES_AFTER.has(before)) && CLOSES_BEFORE.has(after);
    if (opens) {
      open.push({ char: c, length, start: i });
    } else if (closes) {
      const top = open.pop();
      if (top) {
        if (top.char !== c || top.length !== length) return undefined;
        pairs.push({ start: top.start, end: top.start + length }, { start: i, end: j });
      } else if (!(WORD_CHAR.test(before) || SPACE.has(after))) {
        open.push({ char: c, length, start: i }); // punctuation on both sides: with nothing to close, it may open
      }
    } else if (!(SPACE.has(before) && SPACE.has(after))) {
      return undefined;
    }
    i = j;
  }
  return pairs.sort((a, b) => a.start - b.start);
}

/** A link whose text is its own address says nothing in prose. */
export function isBareUrl(text: string, url: string): boolean {
  const t = text.trim();
  return t === url || `mailto:${t}` === url || `http://${t}` === url || `https://${t}` === url || /^(?:https?:\/\/|www\.)\S+$/i.test(t);
}
