// Train/validation split by whole document, never by pair: pairs cut from one essay
// share sentences, so splitting them would leak the validation text into training.

import { createHash } from 'node:crypto';
import { compareStrings } from '../corpus/text';

export interface DocumentSplit {
  train: string[];
  val: string[];
}

/**
 * A document goes to validation when the hash of its path falls under the ratio: the
 * same path always lands on the same side. When fewer hashes fall under it than the
 * ratio's share of the essays, the lowest hashes make up the share: on a small corpus the
 * hashes alone can hold out far less than asked (MacDowell's 21 essays at 0.2 held out one,
 * so every held-out score rested on one essay). Adding an essay moves at most one other
 * across. At least one document is held out, and at least one kept for training; a single
 * document can only train.
 */
export function splitByDocument(docs: readonly string[], validationRatio: number): DocumentSplit {
  const sorted = [...new Set(docs)].sort(compareStrings);
  if (sorted.length < 2) return { train: sorted, val: [] };
  const ranked = sorted.map((doc) => ({ doc, at: hashFraction(doc) })).sort((a, b) => a.at - b.at || compareStrings(a.doc, b.doc));
  let held = Math.max(ranked.filter((r) => r.at < validationRatio).length, Math.round(validationRatio * sorted.length));
  held = Math.min(Math.max(held, 1), sorted.length - 1);
  const val = new Set(ranked.slice(0, held).map((r) => r.doc));
  return { train: sorted.filter((d) => !val.has(d)), val: sorted.filter((d) => val.has(d)) };
}

/** A stable number in [0, 1) from a path. */
export function hashFraction(text: string): number {
  return createHash('sha256').update(text, 'utf8').digest().readUInt32BE(0) / 0x1_0000_0000;
}
