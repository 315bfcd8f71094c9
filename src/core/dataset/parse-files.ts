// One markdown file → its parsed essay and, for each block, what the later steps compare
// (word hashes, shingles, MinHash sketch): the unit of work the parse pool hands to worker
// threads (parse-worker.ts) or does in-process. Both call this one function, so the
// dataset cannot depend on where a file was parsed.

import type { MarkdownParser } from '../corpus/markdown';
import { parseEssay, type ParsedEssay } from '../corpus/parse';
import { parseFailure, shapeProblem } from '../corpus/parseGuard';
import { wordHashes } from '../corpus/text';
import { shinglesOf, sketch } from './dedupe';

export interface SourceFile {
  /** The document id (or, for a git version, the id of the essay it is a version of). */
  path: string;
  text: string;
}

/** A block's text as the dedupe and pairing steps see it. */
export interface BlockData {
  /** wordHashes() of the text: counted, and compared paragraph by paragraph. */
  words: Uint32Array;
  shingles: Uint32Array;
  sketch: Uint32Array;
}

export interface ParsedFile {
  essay: ParsedEssay;
  /** One per block of essay.blocks, in order. */
  blocks: BlockData[];
  /**
   * Why the file was not parsed (parseGuard.ts: too large, nested too deeply, the parser
   * threw; parse-pool.ts: over the time budget, or it ended the worker): it is skipped and
   * named in the data report. The essay is then empty.
   */
  failed?: string;
}

export function blockData(text: string): BlockData {
  const words = wordHashes(text);
  const shingles = shinglesOf(words);
  return { words, shingles, sketch: sketch(shingles) };
}

/** Parses one file under the guard (parseGuard.ts): never throws; a file it refuses comes back `failed`. */
export function parseFile(file: SourceFile, parse: MarkdownParser): ParsedFile {
  const refused = shapeProblem(file.text);
  if (refused) return failedFile(refused);
  try {
    const essay = parseEssay(file.text, file.path, parse);
    return { essay, blocks: essay.blocks.map((b) => blockData(b.text)) };
  } catch (error) {
    return failedFile(parseFailure(error));
  }
}

/** A file left out: no text, and why. */
export function failedFile(reason: string): ParsedFile {
  const removed = { codeBlocks: 0, html: 0, images: 0, tables: 0, footnotes: 0, linkUrls: 0 };
  return { essay: { tags: [], frontMatter: {}, blocks: [], removed, warnings: [] }, blocks: [], failed: reason };
}

/**
 * A batch's block data in three buffers, so it crosses to the main thread as three
 * transfers instead of copies of tens of thousands of small arrays.
 */
export interface PackedBlocks {
  /** Per block: words, then shingles, then sketch lengths. */
  lengths: Uint32Array;
  values: Uint32Array;
}

export function packBlocks(files: readonly ParsedFile[]): PackedBlocks {
  const arrays = files.flatMap((f) => f.blocks.flatMap((b) => [b.words, b.shingles, b.sketch]));
  const lengths = new Uint32Array(arrays.length);
  let total = 0;
  arrays.forEach((a, i) => {
    lengths[i] = a.length;
    total += a.length;
  });
  const values = new Uint32Array(total);
  let at = 0;
  for (const a of arrays) {
    values.set(a, at);
    at += a.length;
  }
  return { lengths, values };
}

/** The inverse of packBlocks: views into the one buffer (and each file's `failed`). Throws when the two do not fit together. */
export function unpackBlocks(essays: readonly ParsedEssay[], packed: PackedBlocks, failed: ReadonlyArray<string | null> = []): ParsedFile[] {
  const blocks = essays.reduce((n, e) => n + e.blocks.length, 0);
  const total = packed.lengths.reduce((n, length) => n + length, 0);
  if (packed.lengths.length !== 3 * blocks || total !== packed.values.length) throw new Error('packed block data does not match the essays');
  let index = 0;
  let at = 0;
  const next = () => {
    const length = packed.lengths[index++] ?? 0;
    const view = packed.values.subarray(at, at + length);
    at += length;
    return view;
  };
  return essays.map((essay, i) => {
    const file: ParsedFile = { essay, blocks: essay.blocks.map(() => ({ words: next(), shingles: next(), sketch: next() })) };
    const why = failed[i];
    if (typeof why === 'string') file.failed = why;
    return file;
  });
}
