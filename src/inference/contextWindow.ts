// Which stretch of the text before the cursor a ghost-text suggestion is written from. The
// full window (voiceDraft.inline.contextTokens, 1,500 tokens) takes ~4 s to read into the
// model on 2 cores; the cache warm-up reads it while the document is open, but a suggestion
// asked for 2 s after opening would still wait ~2.5 s for the rest. So the warm-up first
// reads a quick window (the last QUICK_CONTEXT_TOKENS, ~1 s), and a suggestion whose full
// window is far from read while the quick one is read is written from the quick one; the
// full one is read in the background, and once it is, suggestions use it. Each window has
// its own key/value cache. Nothing read (a one-off request, the CLI): the full window.
import type { KvCache } from './kvCache';

/** Tokens before the cursor in the quick window: read in ~1 s on 2 cores. */
export const QUICK_CONTEXT_TOKENS = 384;

export interface ContextWindow {
  ids: number[];
  leadingTrim: string;
  cache: KvCache;
}

/** A window with at most this many tokens left to compute (~0.35 s) is ready to write from. */
export const READY_TOKENS = 128;

/** The window to write from: the full one, unless it is not ready and the quick one is. */
export function chooseWindow(full: ContextWindow, quick: ContextWindow | undefined): { window: ContextWindow; quick: boolean } {
  if (!quick) return { window: full, quick: false };
  const todo = (w: ContextWindow) => w.ids.length - w.cache.reusable(w.ids);
  return todo(full) > READY_TOKENS && todo(quick) <= READY_TOKENS ? { window: quick, quick: true } : { window: full, quick: false };
}
