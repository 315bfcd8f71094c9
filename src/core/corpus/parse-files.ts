// One markdown file → its parsed essay and each block's word hashes: the unit of work
// the parse pool hands to worker threads (parse-worker.ts) or does in-process. Both
// call this one function, so the dataset cannot depend on where a file was parsed.

import type { MarkdownParser } from './markdown';
import { parseEssay, type ParsedEssay } from './parse';
import { wordHashes } from './text';

export interface SourceFile {
  /** The document id (or, for a git version, the id of the essay it is a version of). */
  path: string;
  text: string;
}

export interface ParsedFile {
  essay: ParsedEssay;
  /** wordHashes() of each of essay.blocks, in order: the dedupe and pairing steps count and compare with them. */
  words: Uint32Array[];
}

export function parseFile(file: SourceFile, parse: MarkdownParser): ParsedFile {
  const essay = parseEssay(file.text, file.path, parse);
  return { essay, words: essay.blocks.map((b) => wordHashes(b.text)) };
}

/** A batch's word hashes in one buffer, so they cross to the main thread as one transfer instead of thousands of copies. */
export interface PackedWords {
  /** Words per block, file after file. */
  lengths: number[];
  hashes: Uint32Array;
}

export function packWords(files: readonly ParsedFile[]): PackedWords {
  const lengths: number[] = [];
  let total = 0;
  for (const f of files) for (const w of f.words) {
    lengths.push(w.length);
    total += w.length;
  }
  const hashes = new Uint32Array(total);
  let at = 0;
  for (const f of files) for (const w of f.words) {
    hashes.set(w, at);
    at += w.length;
  }
  return { lengths, hashes };
}

/** The inverse of packWords: views into the one buffer, block by block. */
export function unpackWords(essays: readonly ParsedEssay[], packed: PackedWords): ParsedFile[] {
  let block = 0;
  let at = 0;
  return essays.map((essay) => {
    const words = essay.blocks.map(() => {
      const length = packed.lengths[block++] ?? 0;
      const view = packed.hashes.subarray(at, at + length);
      at += length;
      return view;
    });
    return { essay, words };
  });
}
