// Parses markdown files on several cores: a pool of worker threads (parse-worker.ts)
// takes the files in batches and returns plain parsed essays; everything after parsing
// stays on the main thread. Results come back in the order of the input (by path, as
// discovery sorts them), never in order of completion, so the dataset is byte-identical
// whatever the pool size. One worker or none (a single core, no worker script) parses
// in-process, as does any batch whose worker failed.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadMarkdownParser, type MarkdownParser } from '../corpus/markdown';
import { parseFile, unpackBlocks, type ParsedFile, type SourceFile } from './parse-files';
import type { ParseReply, ParseRequest } from './parse-worker';

/** More workers than this gain little: the main thread's share of the build starts to dominate. */
const MAX_WORKERS = 4;
/**
 * Below this many cores the main thread parses alone. Each worker is a V8 isolate of its
 * own that compiles and warms up the parser again, and the threads' heaps are collected
 * separately: on 2 cores, 2 workers (bundled, as shipped) cost ~0.8 s more CPU than
 * parsing in-process for 1,000 essays, and finished no sooner idle and later under load;
 * one worker beside the parsing main thread did no better. Not measured on 4+ cores.
 */
const MIN_CORES_FOR_WORKERS = 4;
/** About 100 KB of markdown a batch: a few milliseconds of messaging per ~50 ms of parsing, and an even finish. */
const BATCH_BYTES = 100_000;
const BATCH_FILES = 64;
/** In-process parsing yields this often, to keep the editor responsive and the build cancellable. */
const YIELD_EVERY = 32;

/** Threads for the parse pool: one per core (at most 4) from 4 cores up, else 1 (in-process). */
export function defaultParseWorkers(cores = availableParallelism()): number {
  return cores < MIN_CORES_FOR_WORKERS ? 1 : Math.min(cores, MAX_WORKERS);
}

/**
 * The worker script: dist/parse-worker.js beside the bundle (extension, CLI), or this
 * folder's TypeScript source when running unbundled under tsx (tests, benchmarks).
 */
export function parseWorkerScript(): string | undefined {
  return [path.join(__dirname, 'parse-worker.js'), path.join(__dirname, 'parse-worker.ts')].find((file) => existsSync(file));
}

export interface ParseOptions {
  signal?: AbortSignal;
  /** Files parsed so far (called as batches finish). */
  onProgress?: (done: number, total: number) => void;
}

interface Slot {
  worker: Worker;
  alive: boolean;
}

export class ParsePool {
  private readonly slots: Slot[] = [];
  private inProcess: Promise<MarkdownParser> | undefined;

  /** Workers start at once and load the parser while the caller is still finding files; `script: null` parses in-process. */
  constructor(size = defaultParseWorkers(), script: string | null = parseWorkerScript() ?? null) {
    if (size <= 1 || !script) {
      // In-process: start loading the parser now, while the caller finds and reads the files.
      this.parser().catch(() => undefined); // a failure surfaces when parseAll awaits it
      return;
    }
    for (let i = 0; i < size; i++) {
      const slot: Slot = { worker: startWorker(script), alive: true };
      const gone = () => {
        slot.alive = false;
      };
      slot.worker.on('error', gone); // without a listener, a worker's error would throw in this thread
      slot.worker.on('exit', gone);
      this.slots.push(slot);
    }
  }

  /** Worker threads alive (0: parsing in-process). */
  get workers(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  async parseAll(files: readonly SourceFile[], options: ParseOptions = {}): Promise<ParsedFile[]> {
    return this.workers === 0 ? this.parseHere(files, options) : this.parseInWorkers(files, options);
  }

  /** Ends the workers; the pool parses in-process afterwards. */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private async parseHere(files: readonly SourceFile[], { signal, onProgress }: ParseOptions): Promise<ParsedFile[]> {
    const parse = await this.parser();
    const out: ParsedFile[] = [];
    for (let i = 0; i < files.length; i++) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop(signal);
      const file = files[i];
      if (file) out.push(parseFile(file, parse));
      onProgress?.(i + 1, files.length);
    }
    return out;
  }

  private parseInWorkers(files: readonly SourceFile[], { signal, onProgress }: ParseOptions): Promise<ParsedFile[]> {
    const batches = batchesOf(files);
    const results: ParsedFile[][] = [];
    let next = 0;
    let finished = 0;
    let done = 0;
    return new Promise<ParsedFile[]>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = () => fail(signal?.reason instanceof Error ? signal.reason : new DOMException('Aborted', 'AbortError'));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });

      const complete = (index: number, parsed: ParsedFile[]) => {
        if (settled) return;
        results[index] = parsed;
        done += parsed.length;
        onProgress?.(done, files.length);
        if (++finished < batches.length) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        resolve(results.flat());
      };
      // A batch whose worker failed (or could not send its answer) is parsed here: same function, same result.
      const inProcess = (index: number) => {
        this.parseHere(batches[index] ?? [], { ...(signal ? { signal } : {}) }).then((parsed) => complete(index, parsed), fail);
      };
      const feed = (slot: Slot) => {
        if (settled || next >= batches.length) return;
        if (!slot.alive) {
          // A worker that died between batches: its share goes to the others, or here when none is left.
          if (!this.slots.some((s) => s.alive)) while (next < batches.length) inProcess(next++);
          return;
        }
        const index = next++;
        const worker = slot.worker;
        const onMessage = (reply: ParseReply) => {
          if (reply.id !== index) return;
          stop();
          let parsed: ParsedFile[] | undefined;
          try {
            if (!('error' in reply)) parsed = unpackBlocks(reply.essays, reply);
          } catch {
            parsed = undefined; // an answer we cannot read (a worker script from another build)
          }
          if (parsed) complete(index, parsed);
          else inProcess(index);
          feed(slot);
        };
        const onGone = () => {
          stop();
          slot.alive = false;
          inProcess(index);
          feed(slot);
        };
        const stop = () => {
          worker.unref();
          worker.off('message', onMessage);
          worker.off('error', onGone);
          worker.off('exit', onGone);
        };
        worker.on('message', onMessage);
        worker.once('error', onGone);
        worker.once('exit', onGone);
        worker.ref(); // a batch in flight keeps the process alive; an idle worker does not
        const request: ParseRequest = { id: index, files: batches[index] ?? [] };
        worker.postMessage(request);
      };
      if (batches.length === 0) return resolve([]);
      for (const slot of this.slots) feed(slot);
    });
  }

  private parser(): Promise<MarkdownParser> {
    this.inProcess ??= loadMarkdownParser();
    return this.inProcess;
  }
}

function startWorker(script: string): Worker {
  const options = { execArgv: [] as string[] }; // not the parent's flags (an inspector port, --cpu-prof)
  // Node cannot start a worker from a .ts file itself: register tsx first, found from the script's folder whatever the cwd.
  const register = `require(require.resolve('tsx/cjs', { paths: [${JSON.stringify(path.dirname(script))}] }));`;
  const worker = script.endsWith('.ts') ? new Worker(`${register} require(${JSON.stringify(script)});`, { ...options, eval: true }) : new Worker(script, options);
  worker.unref(); // loading the parser must not keep a process alive; a batch in flight does (see feed)
  return worker;
}

function batchesOf(files: readonly SourceFile[]): SourceFile[][] {
  const batches: SourceFile[][] = [];
  let batch: SourceFile[] = [];
  let bytes = 0;
  for (const file of files) {
    batch.push(file);
    bytes += file.text.length;
    if (bytes >= BATCH_BYTES || batch.length >= BATCH_FILES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function yieldToEventLoop(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      if (signal?.aborted) reject(signal.reason instanceof Error ? signal.reason : new DOMException('Aborted', 'AbortError'));
      else resolve();
    });
  });
}
