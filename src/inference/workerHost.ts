// The main-thread side of the inference worker: spawns it, numbers requests, turns an
// AbortSignal into an interrupt message, and restarts it (reloading the model) after a
// crash, saying why. It never terminates the worker while it runs: that aborts the
// whole process (onnxruntime-node), so dispose() waits for the worker to go idle.
import { Worker } from 'node:worker_threads';
import {
  isWorkerMessage,
  type Device,
  type Dtype,
  type GenerateDone,
  type GenerationStats,
  type HostMessage,
  type ModelLoaded,
  type PromptInput,
  type SamplingOptions,
  type StopOptions,
  type StopReason,
  type WarmStats,
  type WorkerMessage,
} from './protocol';

export type LogLevel = 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, message: string) => void;

export interface WorkerHostOptions {
  /** The worker script: dist/inference-worker.js in the extension; the .ts source under tsx in tests. */
  script: string;
  execArgv?: string[];
  log?: Log;
  /** A model loaded on the CPU though CUDA was asked for: the reason, for the writer (also logged as a warning). */
  onDeviceFallback?: (reason: string) => void;
  /** How long dispose() waits for a running generation to stop before giving up on a clean exit. */
  disposeTimeoutMs?: number;
}

export interface ModelSpec {
  dir: string;
  device: Device;
  dtype: Dtype;
  threads: number;
  /** The model file's version (LocatedModel.version): the same folder exported again loads again. */
  version?: string;
}

export interface GenerateRequest {
  prompt: PromptInput;
  sampling: SamplingOptions;
  stop: StopOptions;
  reuseCache: boolean;
}

export interface GenerateResult {
  text: string;
  reason: StopReason;
  stats: GenerationStats;
  /** Natural-log probability of each generated token (confidence.ts); the worker always sends them. */
  logprobs?: number[];
}

export interface GenerateOptions {
  signal?: AbortSignal;
  /** Called with the whole text so far as tokens arrive. */
  onText?: (text: string) => void;
}

interface Pending {
  resolve: (m: WorkerMessage) => void;
  reject: (e: Error) => void;
  onText?: (text: string) => void;
}

export function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

export class InferenceWorkerHost {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The model the worker should have; reloaded after a restart. */
  private wanted: ModelSpec | undefined;
  /** The model load in flight or done for `wanted`. */
  private loading: Promise<ModelLoaded> | undefined;
  /** The last load that failed, what it was asked and why. */
  private failedLoad: { spec: ModelSpec; error: unknown; at: number } | undefined;
  private disposed = false;
  /** Why the last worker stopped, when it stopped by itself. */
  lastCrash: string | undefined;
  restarts = 0;

  constructor(private readonly options: WorkerHostOptions) {}

  private log(level: LogLevel, message: string): void {
    this.options.log?.(level, message);
  }

  private spawn(): Worker {
    if (this.disposed) throw new Error('the inference worker was disposed');
    if (this.worker) return this.worker;
    const worker = this.options.script.endsWith('.ts')
      // The TypeScript source (tests, benchmarks): Node cannot start a worker from a .ts file itself.
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(this.options.script)});`, { eval: true, execArgv: this.options.execArgv ?? [] })
      : new Worker(this.options.script, { execArgv: this.options.execArgv ?? [] });
    worker.on('message', (m: unknown) => this.onMessage(m));
    worker.on('error', (e) => this.onGone(worker, `it threw: ${e.stack ?? e.message}`));
    worker.on('exit', (code) => this.onGone(worker, `it exited with code ${code}`));
    // The worker must not keep the extension host or a CLI process alive when idle.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onGone(worker: Worker, why: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.loading = undefined;
    if (this.disposed) return;
    this.lastCrash = why;
    this.restarts++;
    this.log('error', `The inference worker stopped (${why}); it restarts with the next request.`);
    const error = new WorkerStoppedError(`The inference worker stopped: ${why}`);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private onMessage(raw: unknown): void {
    if (!isWorkerMessage(raw)) {
      this.log('error', `The inference worker sent a malformed message: ${JSON.stringify(raw).slice(0, 200)}`);
      return;
    }
    if (raw.type === 'worker.log') {
      this.log(raw.level, raw.message);
      return;
    }
    const p = this.pending.get(raw.id);
    if (!p) return; // answered after its request was aborted
    if (raw.type === 'generate.text') {
      p.onText?.(raw.text);
      return;
    }
    this.pending.delete(raw.id);
    if (raw.type === 'request.failed') p.reject(new Error(raw.message));
    else p.resolve(raw);
  }

  private request(make: (id: number) => HostMessage, onText?: (t: string) => void): { id: number; done: Promise<WorkerMessage> } {
    const worker = this.spawn();
    const id = this.nextId++;
    const done = new Promise<WorkerMessage>((resolve, reject) => this.pending.set(id, { resolve, reject, onText }));
    // The worker is unref'd; a request in flight keeps the process alive until it is answered.
    worker.ref();
    void done.then(() => this.idleCheck(), () => this.idleCheck());
    worker.postMessage(make(id));
    return { id, done };
  }

  private idleCheck(): void {
    if (this.pending.size === 0) this.worker?.unref();
  }

  /** Loads `spec` unless the worker already has it (model swap: the old one is disposed first). */
  ensureModel(spec: ModelSpec): Promise<ModelLoaded> {
    if (this.loading && this.wanted && sameSpec(this.wanted, spec)) return this.loading;
    // The same file failed a moment ago: every keystroke would read it again to fail again.
    const failed = this.failedLoad;
    if (failed && sameSpec(failed.spec, spec) && Date.now() - failed.at < FAILED_LOAD_RETRY_MS) return Promise.reject(failed.error);
    this.wanted = { ...spec };
    const { dir, device, dtype, threads } = spec; // the version only tells loads apart here
    const loading = this.request((id) => ({ type: 'model.load', id, dir, device, dtype, threads })).done.then((m) => {
      if (m.type !== 'model.loaded') throw new Error(`unexpected answer to model.load: ${m.type}`);
      if (m.fallbackReason) {
        this.log('warn', m.fallbackReason);
        this.options.onDeviceFallback?.(m.fallbackReason);
      }
      this.log('info', `Loaded ${m.dir} (${m.dtype}, ${m.device}) in ${m.ms} ms`);
      return m;
    });
    this.loading = loading;
    // A failed load is tried again after FAILED_LOAD_RETRY_MS, or at once for another file
    // (a voice exported again has another version) or other settings.
    loading.catch((error: unknown) => {
      if (this.loading === loading) this.loading = undefined;
      // The file's fault, not the worker's: a worker that stopped mid-load restarts and loads it again at once.
      if (!(error instanceof WorkerStoppedError)) this.failedLoad = { spec: { ...spec }, error, at: Date.now() };
    });
    loading.then(() => { this.failedLoad = undefined; }, () => undefined);
    return loading;
  }

  /** The model the worker has or is loading. */
  get model(): ModelSpec | undefined {
    return this.wanted;
  }

  async generate(req: GenerateRequest, opts: GenerateOptions = {}): Promise<GenerateResult> {
    const m = await this.interruptible((id) => ({ type: 'generate.start', id, ...req, stream: opts.onText !== undefined }), 'generate.done', opts.signal, opts.onText);
    return resultOf(m);
  }

  /**
   * Fills ghost text's key/value cache for `prompt` in the background, at the lowest
   * priority: any request sent meanwhile stops it between chunks (what it computed stays).
   * Rejects with AbortError when `signal` aborts (the worker stops it between chunks).
   */
  async warm(prompt: PromptInput, opts: { signal?: AbortSignal } = {}): Promise<WarmStats> {
    return (await this.interruptible((id) => ({ type: 'cache.warm', id, prompt }), 'cache.warmed', opts.signal)).stats;
  }

  /**
   * A request on the wanted model that `signal` stops between tokens (or chunks): the
   * worker is told to interrupt it and the late answer is dropped because the request is gone.
   */
  private async interruptible<T extends WorkerMessage['type']>(
    make: (id: number) => HostMessage, answer: T, signal: AbortSignal | undefined, onText?: (t: string) => void,
  ): Promise<Extract<WorkerMessage, { type: T }>> {
    if (signal?.aborted) throw abortError();
    if (!this.wanted) throw new Error('no model chosen: call ensureModel() first');
    // After a crash the new worker has no model: load the one that was wanted.
    await this.ensureModel(this.wanted);
    if (signal?.aborted) throw abortError();
    const { id, done } = this.request(make, onText);
    const onAbort = () => {
      this.worker?.postMessage({ type: 'generate.interrupt', id } satisfies HostMessage);
      const p = this.pending.get(id);
      this.pending.delete(id);
      this.idleCheck();
      p?.reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const m = await done;
      if (m.type !== answer) throw new Error(`unexpected answer to request ${id}: ${m.type} (not ${answer})`);
      return m as Extract<WorkerMessage, { type: T }>;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Disposes the model and ends the worker once it is idle (never mid-run). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const worker = this.worker;
    this.worker = undefined;
    const error = new Error('the inference worker was disposed');
    for (const [id, p] of this.pending) {
      worker?.postMessage({ type: 'generate.interrupt', id } satisfies HostMessage);
      p.reject(error);
    }
    this.pending.clear();
    if (!worker) return;
    const idle = new Promise<boolean>((resolve) => {
      worker.on('message', (m: unknown) => { if (isWorkerMessage(m) && m.type === 'model.disposed') resolve(true); });
      worker.once('exit', () => resolve(false));
    });
    worker.postMessage({ type: 'model.dispose', id: this.nextId++ } satisfies HostMessage);
    worker.ref();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), this.options.disposeTimeoutMs ?? 30_000); });
    const outcome = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      // Terminating a worker inside session.run aborts the process: leave it to finish on its own.
      this.log('warn', 'The inference worker did not go idle in time; it is left to finish its step.');
      worker.unref();
      return;
    }
    await worker.terminate();
  }
}

/** The worker ended (crashed, was stopped) while a request was in flight. */
export class WorkerStoppedError extends Error {}

/** How long a failed load is answered from memory before the same file is tried again. */
const FAILED_LOAD_RETRY_MS = 30_000;

function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return a.dir === b.dir && a.device === b.device && a.dtype === b.dtype && a.threads === b.threads && a.version === b.version;
}

function resultOf(m: GenerateDone): GenerateResult {
  return { text: m.text, reason: m.reason, stats: m.stats, logprobs: m.logprobs };
}
