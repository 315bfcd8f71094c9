// Near-duplicate detection without comparing every pair: word 5-gram shingles,
// a one-permutation MinHash sketch per text, locality-sensitive hashing (bands of the
// sketch) to find candidates, then the exact Jaccard similarity of the candidates'
// shingle sets. Sketches of blocks combine by element-wise minimum, so a document or
// a pair made of blocks is sketched without hashing its text again.

import { fnv1a, mix32, wordHashes } from '../corpus/text';
import { BandBuckets } from './band-buckets';

const SHINGLE = 5;
const BINS = 64;
const BANDS = 16;
const ROWS = BINS / BANDS; // 4 rows a band: a 0.8-similar pair is a candidate with p ≈ 0.9998
const EMPTY = 0xffffffff;

/** Sorted, distinct shingle hashes of a text (one shingle for texts under 5 words). */
export function shingles(text: string): Uint32Array {
  return shinglesOf(wordHashes(text));
}

/** Shingles from the text's word hashes (see wordHashes). */
export function shinglesOf(hashes: Uint32Array): Uint32Array {
  if (hashes.length === 0) return new Uint32Array(0);
  const count = Math.max(1, hashes.length - SHINGLE + 1);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    let h = 0x9747b28c;
    const end = Math.min(i + SHINGLE, hashes.length);
    for (let k = i; k < end; k++) h = Math.imul(h ^ (hashes[k] ?? 0), 0x01000193);
    out[i] = mix32(h);
  }
  out.sort();
  let distinct = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) out[distinct++] = out[i] ?? 0;
  return out.subarray(0, distinct);
}

/** One-permutation MinHash: the top 6 bits of a shingle pick its bin, the rest compete for the minimum. */
export function sketch(shingleSet: Uint32Array): Uint32Array {
  const bins = new Uint32Array(BINS).fill(EMPTY);
  for (const h of shingleSet) {
    const bin = h >>> 26;
    const value = h & 0x03ffffff;
    if (value < (bins[bin] ?? EMPTY)) bins[bin] = value;
  }
  return bins;
}

/** Element-wise minimum: the sketch of the union of the texts. */
export function mergeSketches(sketches: readonly Uint32Array[]): Uint32Array {
  const out = new Uint32Array(BINS).fill(EMPTY);
  for (const s of sketches) {
    for (let i = 0; i < BINS; i++) {
      const v = s[i] as number; // every sketch has BINS bins
      if (v < (out[i] as number)) out[i] = v;
    }
  }
  return out;
}

export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] ?? 0;
    const y = b[j] ?? 0;
    if (x === y) {
      both++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return both / (a.length + b.length - both);
}

export interface DuplicateCandidate<T> {
  item: T;
  sketch: Uint32Array;
  /** Exact shingles, computed only for candidates. */
  shingles: () => Uint32Array;
}

export interface NearDuplicate<T> {
  duplicate: T;
  of: T;
  similarity: number;
}

/**
 * Items (in priority order: earlier ones are kept) that are near-duplicates of an
 * earlier item, with the item they repeat. Only items in the same `group` are compared.
 * Candidates come from LSH buckets; the sketches' agreement screens them (its error is
 * about ±0.06 at 64 bins, so a 0.2 margin misses nothing), and the exact Jaccard decides.
 */
export function findNearDuplicates<T>(
  items: ReadonlyArray<DuplicateCandidate<T>>,
  threshold: number,
  group: (item: T) => string = () => '',
): Array<NearDuplicate<T>> {
  const buckets = new BandBuckets(items.length * BANDS);
  const seenBy = new Int32Array(items.length).fill(-1);
  const exact: Array<Uint32Array | undefined> = [];
  const exactOf = (i: number) => (exact[i] ??= items[i]?.shingles() ?? new Uint32Array(0));
  const salts = new Map<string, number>();
  const dense: Array<Uint32Array | undefined> = [];
  const groups: string[] = [];
  const found: Array<NearDuplicate<T>> = [];
  items.forEach((candidate, index) => {
    const mine = densify(candidate.sketch);
    const myGroup = group(candidate.item);
    dense.push(mine);
    groups.push(myGroup);
    if (!mine) return; // no words, nothing to compare
    let salt = salts.get(myGroup);
    if (salt === undefined) salts.set(myGroup, (salt = fnv1a(myGroup)));
    const keys = bandKeys(mine, salt);
    let match: { of: number; similarity: number } | undefined;
    for (let band = 0; band < BANDS; band++) {
      for (let entry = buckets.first(band, keys[band] as number); entry >= 0; entry = buckets.next(entry)) {
        const other = buckets.item(entry);
        if (seenBy[other] === index) continue;
        seenBy[other] = index;
        if (groups[other] !== myGroup || agreement(mine, dense[other]) < threshold - 0.2) continue;
        const similarity = jaccard(exactOf(index), exactOf(other));
        if (similarity >= threshold && (!match || similarity > match.similarity)) match = { of: other, similarity };
      }
    }
    const kept = items[match?.of ?? -1];
    if (match && kept) {
      found.push({ duplicate: candidate.item, of: kept.item, similarity: match.similarity });
      return; // a duplicate is dropped, so it does not become a bucket member
    }
    for (let band = 0; band < BANDS; band++) buckets.add(band, keys[band] as number, index);
  });
  return found;
}

/** Share of bins two sketches agree on: an estimate of their Jaccard similarity. */
function agreement(a: Uint32Array, b: Uint32Array | undefined): number {
  if (!b) return 0;
  let same = 0;
  for (let i = 0; i < BINS; i++) if (a[i] === b[i]) same++;
  return same / BINS;
}

/** One hash per band, salted by the group (fnv1a of its name) so groups rarely share a bucket. */
function bandKeys(s: Uint32Array, salt: number): Int32Array {
  const keys = new Int32Array(BANDS);
  for (let band = 0; band < BANDS; band++) {
    let h = salt ^ band;
    for (let r = 0; r < ROWS; r++) h = mix32(h ^ (s[band * ROWS + r] ?? EMPTY));
    keys[band] = h | 0;
  }
  return keys;
}

/**
 * Short texts leave bins empty, and empty bins would all look alike; each borrows from
 * the next filled bin, salted by the distance (densified one-permutation hashing).
 */
function densify(raw: Uint32Array): Uint32Array | undefined {
  let empty = 0;
  for (let i = 0; i < BINS; i++) if (raw[i] === EMPTY) empty++;
  if (empty === BINS) return undefined;
  if (empty === 0) return raw;
  const out = new Uint32Array(BINS);
  for (let i = 0; i < BINS; i++) {
    let k = 0;
    while ((raw[(i + k) % BINS] ?? EMPTY) === EMPTY) k++;
    out[i] = k === 0 ? (raw[i] ?? 0) : mix32((raw[(i + k) % BINS] ?? 0) ^ Math.imul(k, 0x9e3779b1));
  }
  return out;
}

/**
 * Paragraph-level repeats across documents: a paragraph of 8+ words already seen in an
 * earlier kept document (a reposted essay, a pasted bio, a dictionary entry that is also
 * its own note). Paragraphs compare by their lower-cased words, so punctuation and
 * spacing do not hide a repeat. Documents are checked, then added if kept, in path order.
 */
export class ParagraphLedger {
  private readonly firstSeen = new Map<number, string>();

  /** The document's repeated blocks → the document that had each paragraph first. */
  repeats(blocks: ReadonlyArray<Uint32Array>): Map<number, string> {
    const found = new Map<number, string>();
    blocks.forEach((words, index) => {
      if (words.length < 8) return;
      const first = this.firstSeen.get(paragraphKey(words));
      if (first !== undefined) found.set(index, first);
    });
    return found;
  }

  add(doc: string, blocks: ReadonlyArray<Uint32Array>): void {
    for (const words of blocks) {
      if (words.length < 8) continue;
      const key = paragraphKey(words);
      if (!this.firstSeen.has(key)) this.firstSeen.set(key, doc);
    }
  }
}

/** 53 bits from two independent hashes of the word sequence: collisions are out of reach at corpus sizes. */
function paragraphKey(words: Uint32Array): number {
  let a = 0x2545f491;
  let b = 0x9e3779b9 ^ words.length;
  for (const w of words) {
    a = mix32(a ^ w);
    b = Math.imul(b ^ w, 0x01000193) >>> 0;
  }
  return (a >>> 0) * 0x200000 + (mix32(b) & 0x1fffff);
}

/** Merges sorted distinct arrays into one sorted distinct array (the union of shingle sets). */
export function unionOf(sets: readonly Uint32Array[]): Uint32Array {
  if (sets.length === 1) return sets[0] ?? new Uint32Array(0);
  let total = 0;
  for (const s of sets) total += s.length;
  const all = new Uint32Array(total);
  let at = 0;
  for (const s of sets) {
    all.set(s, at);
    at += s.length;
  }
  all.sort();
  let distinct = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[distinct++] = all[i] ?? 0;
  return all.subarray(0, distinct);
}
