// Parses markdown files off the main thread: a pool of worker threads (parse-worker.ts)
// takes the files in batches and returns plain parsed essays; everything after parsing
// stays on the main thread. Results come back in the order of the input (by path, as
// discovery sorts them), never in order of completion, so the dataset is byte-identical
// whatever the pool size.
//
// Each file is parsed under a guard (issue #25): parseFile's limits (size, nesting, a
// parser that throws) and, here, a time budget per file. The worker says which file it
// is on; one that takes longer than fileBudgetMs, or ends the worker (a crash, its memory
// limit), is left out and named (`failed`), the worker is replaced and the rest of the
// batch goes on. A hostile file therefore never runs on the main thread (the extension
// host's) and never stops the build. Only when no worker can run at all (no worker
// script, `size` 0, a worker that dies before it starts on any file, or answers what it
// cannot have) is a batch parsed in-process, under the same limits but without a clock.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadMarkdownParser, type MarkdownParser } from '../corpus/markdown';
import { failedFile, parseFile, unpackBlocks, type ParsedFile, type SourceFile } from './parse-files';
import type { ParseReply, ParseRequest } from './parse-worker';

/** More workers than this gain little: the main thread's share of the build starts to dominate. */
const MAX_WORKERS = 4;
/**
 * Below this many cores one worker parses: the main thread stays free (the editor's, in
 * the extension) and the time budget holds. More workers cost more than they gain there:
 * each is a V8 isolate that compiles and warms up the parser again (on 2 cores, 2 workers
 * cost ~0.8 s more CPU than parsing in-process for 1,000 essays and finished no sooner).
 */
const MIN_CORES_FOR_WORKERS = 4;
/** About 100 KB of markdown a batch: a few milliseconds of messaging per ~50 ms of parsing, and an even finish. */
const BATCH_BYTES = 100_000;
const BATCH_FILES = 64;
/** In-process parsing yields this often, to keep the editor responsive and the build cancellable. */
const YIELD_EVERY = 32;
/** A worker's heap: a file that needs more ends the worker (and is left out), not the editor. */
const WORKER_HEAP_MB = 1024;

/**
 * How long one file may take to parse: 10 s plus 10 s a million characters. Real essays
 * parse at well under a second a megabyte even on a busy 2-core machine; only a pathological
 * file (deep nesting the guard's limits let through, a slow YAML document) meets it.
 */
export function fileBudgetMs(chars: number): number {
  return 10_000 + Math.ceil((chars / 1e6) * 10_000);
}

/** Worker threads for the parse pool: one per core from 4 cores up (at most 4), else one. */
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

  /**
   * Workers start at once and load the parser while the caller is still finding files;
   * `size` 0 or `script: null` parses in-process. `budget` is the time a file may take
   * (tests shorten it).
   */
  constructor(size = defaultParseWorkers(), private readonly script: string | null = parseWorkerScript() ?? null,
    private readonly budget: (chars: number) => number = fileBudgetMs) {
    if (size <= 0 || !script) {
      // In-process: start loading the parser now, while the caller finds and reads the files.
      this.parser().catch(() => undefined); // a failure surfaces when parseAll awaits it
      return;
    }
    for (let i = 0; i < size; i++) {
      const slot = { alive: true } as Slot;
      this.startIn(slot);
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

  /** A fresh worker in the slot (at the start, or in place of one that was ended). */
  private startIn(slot: Slot): void {
    const worker = startWorker(this.script!);
    slot.worker = worker;
    slot.alive = true;
    const gone = () => {
      if (slot.worker === worker) slot.alive = false;
    };
    worker.on('error', gone); // without a listener, a worker's error would throw in this thread
    worker.on('exit', gone);
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
    // Jobs are lists of positions in `files`; a failed batch comes back as smaller jobs.
    const queue: number[][] = batchesOf(files);
    const results: Array<ParsedFile | undefined> = new Array<ParsedFile | undefined>(files.length);
    let done = 0;
    let nextId = 0;
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

      const fill = (positions: readonly number[], parsed: readonly ParsedFile[]) => {
        if (settled) return;
        positions.forEach((p, i) => {
          if (results[p] === undefined && parsed[i]) {
            results[p] = parsed[i];
            done++;
          }
        });
        onProgress?.(done, files.length);
        if (done < files.length) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        resolve(results as ParsedFile[]);
      };
      const at = (positions: readonly number[]) => positions.map((p) => files[p]!);
      // A worker that cannot parse at all: the batch is parsed here (same function, same result).
      const inProcess = (positions: number[]) => {
        this.parseHere(at(positions), { ...(signal ? { signal } : {}) }).then((parsed) => fill(positions, parsed), fail);
      };
      const feed = (slot: Slot) => {
        if (settled || queue.length === 0) return;
        if (!slot.alive) {
          // A worker that died between batches: its share goes to the others, or here when none is left.
          if (!this.slots.some((s) => s.alive)) while (queue.length) inProcess(queue.shift()!);
          return;
        }
        const positions = queue.shift()!;
        const id = nextId++;
        const worker = slot.worker;
        let current = -1; // the file of the batch the worker said it is on
        let timer: NodeJS.Timeout | undefined;
        const onMessage = (reply: ParseReply) => {
          if (reply.id !== id) return;
          if ('started' in reply) {
            current = reply.started;
            clearTimeout(timer);
            const file = files[positions[current] ?? -1];
            const ms = this.budget(file?.text.length ?? 0);
            timer = setTimeout(() => lost(`took longer than ${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s to parse (the time budget)`, true), ms);
            return;
          }
          stop();
          let parsed: ParsedFile[] | undefined;
          try {
            if ('essays' in reply) parsed = unpackBlocks(reply.essays, reply, reply.failed);
          } catch {
            parsed = undefined; // an answer we cannot read (a worker script from another build)
          }
          if (parsed) fill(positions, parsed);
          else inProcess(positions);
          feed(slot);
        };
        // The worker ended on this batch, or is ended for taking too long.
        const lost = (why: string, timedOut: boolean) => {
          stop();
          if (current < 0) {
            // It never began a file: the worker is what fails, not a file. No more of it.
            slot.alive = false;
            void worker.terminate();
            inProcess(positions);
            feed(slot);
            return;
          }
          const culprit = positions[current]!;
          if (timedOut || positions.length === 1) {
            // The file it was on is left out and named; the rest of the batch goes first in line.
            fill([culprit], [failedFile(why)]);
            const rest = positions.filter((p) => p !== culprit && results[p] === undefined);
            if (rest.length) queue.unshift(rest);
          } else {
            // Which file ended it is not certain (the worker's last word may not have come): one by one.
            queue.unshift(...positions.filter((p) => results[p] === undefined).map((p) => [p]));
          }
          void worker.terminate();
          this.startIn(slot);
          feed(slot);
        };
        const onError = (error: unknown) => lost(`stopped the parser (${error instanceof Error ? error.message : String(error)})`, false);
        const onExit = () => lost('stopped the parser', false);
        const stop = () => {
          clearTimeout(timer);
          worker.unref();
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        };
        worker.on('message', onMessage);
        worker.once('error', onError);
        worker.once('exit', onExit);
        worker.ref(); // a batch in flight keeps the process alive; an idle worker does not
        const request: ParseRequest = { id, files: at(positions) };
        worker.postMessage(request);
      };
      if (files.length === 0) return resolve([]);
      for (const slot of this.slots) feed(slot);
    });
  }

  private parser(): Promise<MarkdownParser> {
    this.inProcess ??= loadMarkdownParser();
    return this.inProcess;
  }
}

function startWorker(script: string): Worker {
  // Not the parent's flags (an inspector port, --cpu-prof); a heap of its own size.
  const options = { execArgv: [] as string[], resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } };
  // Node cannot start a worker from a .ts file itself: register tsx first, found from the script's folder whatever the cwd.
  const register = `require(require.resolve('tsx/cjs', { paths: [${JSON.stringify(path.dirname(script))}] }));`;
  const worker = script.endsWith('.ts') ? new Worker(`${register} require(${JSON.stringify(script)});`, { ...options, eval: true }) : new Worker(script, options);
  worker.unref(); // loading the parser must not keep a process alive; a batch in flight does (see feed)
  return worker;
}

/** The positions of `files` in batches of about BATCH_BYTES. */
function batchesOf(files: readonly SourceFile[]): number[][] {
  const batches: number[][] = [];
  let batch: number[] = [];
  let bytes = 0;
  for (const [i, file] of files.entries()) {
    batch.push(i);
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
