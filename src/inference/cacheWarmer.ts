// When to warm the model's key/value cache, editor-free: where the cursor comes to rest (a
// document focused, a click or a jump elsewhere) the prompt a suggestion there would be
// written from is computed in the background, so the first suggestion computes only what
// the writer types next. Typing cancels it: the suggestion it leads to fills the cache anyway.
// src/features/cacheWarmUp.ts feeds it the editor's events.

export interface WarmPlace {
  before: string;
  after: string;
}

export interface CacheWarmerOptions {
  /** Warms the cache for a place (CompletionService.warm). */
  warm: (place: WarmPlace) => Promise<unknown>;
  /** Stops the warm-up in flight (CompletionService.cancelWarm). */
  cancel: () => void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class CacheWarmer {
  private timer: unknown;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: CacheWarmerOptions) {
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  /**
   * The cursor is at a place worth warming once it has rested `delayMs`: `place` is read
   * then (undefined: nowhere a suggestion would be shown). A later call replaces this one.
   */
  restAt(place: () => WarmPlace | undefined, delayMs: number): void {
    this.clearPending();
    this.timer = this.setTimer(() => {
      this.timer = undefined;
      const at = place();
      if (at) void this.options.warm(at).catch(() => undefined); // a failed warm-up only costs the first suggestion its head start
    }, delayMs);
  }

  /** The writer typed: no warm-up now, and the one in flight stops. */
  typed(): void {
    this.clearPending();
    this.options.cancel();
  }

  dispose(): void {
    this.typed();
  }

  private clearPending(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
  }
}
