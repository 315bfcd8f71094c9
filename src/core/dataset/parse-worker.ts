// The parse pool's worker thread (bundled as dist/parse-worker.js; started from this
// source under tsx in tests and benchmarks). It loads the markdown parser as soon as
// it starts, then answers each batch of files with their parsed essays, in order. Before
// each file it says which one it is on, so that the pool can hold it to the time budget
// and, when it stops this thread, knows which file did it.

import { parentPort } from 'node:worker_threads';
import { loadMarkdownParser } from '../corpus/markdown';
import type { ParsedEssay } from '../corpus/parse';
import { packBlocks, parseFile, type SourceFile } from './parse-files';

export interface ParseRequest {
  id: number;
  files: SourceFile[];
}

export type ParseReply =
  /** The batch is done; `failed[i]` says why file i was left out (null: parsed). */
  | { id: number; essays: ParsedEssay[]; failed: Array<string | null>; lengths: Uint32Array; values: Uint32Array }
  /** About to parse file `started` of the batch. */
  | { id: number; started: number }
  /** The pool parses the batch again in-process: a real parse error then surfaces there, with its stack. */
  | { id: number; error: string };

const port = parentPort;
if (port) {
  const parser = loadMarkdownParser(); // warm up while the main thread looks for the files
  port.on('message', async (request: ParseRequest) => {
    try {
      const parse = await parser;
      const parsed = request.files.map((f, started) => {
        port.postMessage({ id: request.id, started } satisfies ParseReply);
        return parseFile(f, parse);
      });
      const { lengths, values } = packBlocks(parsed);
      const reply: ParseReply = { id: request.id, essays: parsed.map((p) => p.essay), failed: parsed.map((p) => p.failed ?? null), lengths, values };
      port.postMessage(reply, [lengths.buffer as ArrayBuffer, values.buffer as ArrayBuffer]);
    } catch (error) {
      const reply: ParseReply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
      port.postMessage(reply);
    }
  });
}
