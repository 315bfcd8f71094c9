// Small text helpers shared by the corpus and dataset code. They are hot paths
// (run over every word of every essay), so they avoid regex allocation per call.

/**
 * A word is a run of letters/digits, joined across internal apostrophes and hyphens:
 * the rule the shared corpora's manifests use, so our counts match theirs. Scanned by
 * hand (no regex, no strings) because it runs over every word of every essay.
 */
export function countWords(text: string): number {
  return scanWords(text).length;
}

/** FNV-1a hashes of the lower-cased words of `text`, in order: shingles and repeat checks use these. */
export function wordHashes(text: string): Uint32Array {
  return scanWords(text).slice();
}

let scratch = new Uint32Array(4096);

/** ASCII code → the code lower-cased when it is a letter or digit, 0 when it is not part of a word. */
const ASCII_WORD = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ASCII_WORD[c] = c;
for (let c = 97; c <= 122; c++) ASCII_WORD[c] = c;
for (let c = 65; c <= 90; c++) ASCII_WORD[c] = c + 32;

function scanWords(text: string): Uint32Array {
  let n = 0;
  let i = 0;
  const length = text.length;
  while (i < length) {
    let c = text.charCodeAt(i);
    if (c < 128 ? ASCII_WORD[c] === 0 : !isWordCode(c, text, i)) {
      i++;
      continue;
    }
    let h = 0x811c9dc5;
    for (;;) {
      // one run of letters/digits, ASCII by table (most of prose), the rest through isWordCode
      while (i < length) {
        c = text.charCodeAt(i);
        if (c < 128) {
          const lower = ASCII_WORD[c] as number;
          if (lower === 0) break;
          h = Math.imul(h ^ lower, 0x01000193);
          i++;
        } else {
          if (!isWordCode(c, text, i)) break;
          const lower = lowerOf(text.codePointAt(i) ?? c);
          for (let k = 0; k < lower.length; k++) h = Math.imul(h ^ lower.charCodeAt(k), 0x01000193);
          i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
        }
      }
      // an apostrophe or hyphen joins two runs into one word
      const joiner = i < length ? text.charCodeAt(i) : 0;
      if ((joiner === 39 || joiner === 0x2019 || joiner === 45) && i + 1 < length && isWordCode(text.charCodeAt(i + 1), text, i + 1)) {
        h = Math.imul(h ^ joiner, 0x01000193);
        i++;
        continue;
      }
      break;
    }
    if (n === scratch.length) {
      const bigger = new Uint32Array(scratch.length * 2);
      bigger.set(scratch);
      scratch = bigger;
    }
    scratch[n++] = h >>> 0;
  }
  return scratch.subarray(0, n);
}

const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
const nonAsciiWordChar = new Map<number, boolean>();
const lowerCase = new Map<number, string>();

function isWordCode(c: number, text: string, i: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
  if (c <= 0xff) return c >= 0xc0 ? c !== 0xd7 && c !== 0xf7 : c === 0xaa || c === 0xb5 || c === 0xba || c === 0xb2 || c === 0xb3 || c === 0xb9 || (c >= 0xbc && c <= 0xbe);
  if (c >= 0x2000 && c <= 0x206f) return false; // dashes, curly quotes, ellipsis: the usual non-ASCII in prose
  if (c >= 0xdc00 && c <= 0xdfff) return false; // a lone low surrogate
  const cp = text.codePointAt(i) ?? c;
  let known = nonAsciiWordChar.get(cp);
  if (known === undefined) {
    known = LETTER_OR_DIGIT.test(String.fromCodePoint(cp));
    nonAsciiWordChar.set(cp, known);
  }
  return known;
}

function lowerOf(cp: number): string {
  let lower = lowerCase.get(cp);
  if (lower === undefined) {
    lower = String.fromCodePoint(cp).toLowerCase();
    lowerCase.set(cp, lower);
  }
  return lower;
}

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

/** The words of `text`, lower-cased, as strings (for the few places that need the words themselves). */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** CRLF and lone CR become LF; a leading byte-order mark goes. */
export function normalizeNewlines(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.includes('\r') ? noBom.replace(/\r\n?/g, '\n') : noBom;
}

/** 32-bit FNV-1a: cheap, stable across runs and platforms. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Murmur3's finalizer: spreads the bits of a 32-bit hash. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Code-unit comparison: the same order on every machine and locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Shortens `text` to about `max` characters for examples shown to the writer. */
export function excerpt(text: string, max = 100): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1).trimEnd()}…`;
}

/** "12,345" — counts in summaries and messages. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
