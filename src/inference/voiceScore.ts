// How much a text reads like the writer: the voice score training chooses checkpoints by
// (voice_check.py), here to rank rewrite candidates. Training writes the writer-vs-base
// classifier as plain numbers to `<run>/voice-score.json` (attribution.py,
// portable_writer_classifier); this computes what scikit-learn would:
//   x = [function-word TF-IDF | char_wb 2–4-gram TF-IDF], each block L2-normalised,
//       TF = 1 + ln(count) (sublinear), times the block's idf; text lower-cased;
//       char_wb: each whitespace-separated word padded with a space, its n-grams counted
//       (a word shorter than n counted once, whole);
//   P(writer) = sigmoid(coef · x + intercept).
// Checked against scikit-learn's own probabilities (test/fixtures/voice-score).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const VOICE_SCORE_FILE = 'voice-score.json';

export interface VoiceScorer {
  /** P(writer) of one text, 0..1. */
  probability(text: string): number;
}

interface Block {
  index: Map<string, number>;
  idf: Float64Array;
  /** Where the block's weights start in `coef`. */
  offset: number;
}

export class VoiceScoreError extends Error {}

/** A scorer from voice-score.json's content; throws VoiceScoreError when it is not one. */
export function parseVoiceScorer(value: unknown): VoiceScorer {
  const o = value as { format?: unknown; words?: unknown; chars?: unknown; coef?: unknown; intercept?: unknown } | null;
  if (typeof o !== 'object' || o === null || o.format !== 1) throw new VoiceScoreError('not a voice-score.json of format 1');
  const words = block(o.words, 0, 'words');
  const chars = block(o.chars, words.idf.length, 'chars');
  const range = (o.chars as { ngram_range?: unknown }).ngram_range;
  const [minN, maxN] = Array.isArray(range) && range.length === 2 && range.every(Number.isInteger) ? (range as [number, number]) : [2, 4];
  if (!Array.isArray(o.coef) || o.coef.length !== words.idf.length + chars.idf.length || !o.coef.every(isFiniteNumber)) {
    throw new VoiceScoreError('coef must hold one number per term');
  }
  if (!isFiniteNumber(o.intercept)) throw new VoiceScoreError('intercept must be a number');
  const coef = Float64Array.from(o.coef as number[]);
  const intercept = o.intercept;
  return {
    probability(text: string): number {
      const lower = text.toLowerCase();
      const z = intercept + dot(weights(wordTokens(lower), words), coef) + dot(weights(charNgrams(lower, minN, maxN), chars), coef);
      return 1 / (1 + Math.exp(-z));
    },
  };
}

/** The run's scorer, or undefined when the run has none (trained before it, or the check was off). */
export async function loadVoiceScorer(runDir: string | undefined): Promise<VoiceScorer | undefined> {
  if (!runDir) return undefined;
  let raw: string;
  try {
    raw = await readFile(join(runDir, VOICE_SCORE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  return parseVoiceScorer(JSON.parse(raw));
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function block(v: unknown, offset: number, name: string): Block {
  const b = v as { terms?: unknown; idf?: unknown } | null;
  if (typeof b !== 'object' || b === null || !Array.isArray(b.terms) || !Array.isArray(b.idf) || b.terms.length !== b.idf.length
    || !b.terms.every((t) => typeof t === 'string') || !b.idf.every(isFiniteNumber)) {
    throw new VoiceScoreError(`${name} must hold terms and one idf per term`);
  }
  return { index: new Map((b.terms as string[]).map((t, i) => [t, i])), idf: Float64Array.from(b.idf as number[]), offset };
}

/** scikit-learn's token_pattern (?u)\b[^\W\d_]+\b: runs of letters standing alone between non-word characters. */
function wordTokens(lower: string): string[] {
  return [...lower.matchAll(/[\p{L}\p{N}_\p{M}]+/gu)].map((m) => m[0]).filter((w) => /^\p{L}+$/u.test(w));
}

/** scikit-learn's char_wb analyzer. */
function charNgrams(lower: string, minN: number, maxN: number): string[] {
  const out: string[] = [];
  for (const word of lower.split(/\s+/).filter(Boolean)) {
    const w = [...` ${word} `];
    for (let n = minN; n <= maxN; n++) {
      let offset = 0;
      out.push(w.slice(0, n).join(''));
      while (offset + n < w.length) {
        offset++;
        out.push(w.slice(offset, offset + n).join(''));
      }
      if (offset === 0) break; // a word shorter than n is counted once
    }
  }
  return out;
}

/** The block's TF-IDF row, L2-normalised, as (coef index, weight) pairs. */
function weights(terms: string[], b: Block): Array<[number, number]> {
  const counts = new Map<number, number>();
  for (const t of terms) {
    const i = b.index.get(t);
    if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  const row: Array<[number, number]> = [...counts].map(([i, c]) => [i, (1 + Math.log(c)) * b.idf[i]!]);
  const norm = Math.sqrt(row.reduce((s, [, v]) => s + v * v, 0));
  return norm > 0 ? row.map(([i, v]) => [b.offset + i, v / norm]) : [];
}

function dot(row: Array<[number, number]>, coef: Float64Array): number {
  let s = 0;
  for (const [i, v] of row) s += coef[i]! * v;
  return s;
}
