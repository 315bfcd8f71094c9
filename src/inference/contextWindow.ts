// Which stretch of the text before the cursor a ghost-text suggestion is written from. The
// full window (voiceDraft.inline.contextTokens, 1,500 tokens) takes ~4 s to read into the
// model on 2 cores; the cache warm-up reads it while the document is open, but a suggestion
// asked for 2 s after opening would still wait ~2.5 s for the rest. So the warm-up first
// reads a quick window (the last QUICK_CONTEXT_TOKENS, ~1 s), and a suggestion whose full
// window is far from read is written from the quick one while the full one is read in the
// background; once it is, suggestions use it. Each window has its own key/value cache.
import type { KvCache } from './kvCache';

/** Tokens before the cursor in the quick window: read in ~1 s on 2 cores. */
export const QUICK_CONTEXT_TOKENS = 384;
/** A full window with more than this left to read (~0.35 s) yields to a quick one with less. */
export const QUICK_SWITCH_TOKENS = 128;

export interface ContextWindow {
  ids: number[];
  leadingTrim: string;
  cache: KvCache;
}

/** The window to write from: the full one unless it has much more left to compute than the quick one. */
export function chooseWindow(full: ContextWindow, quick: ContextWindow | undefined): { window: ContextWindow; quick: boolean } {
  if (!quick) return { window: full, quick: false };
  const fullTodo = full.ids.length - full.cache.reusable(full.ids);
  const quickTodo = quick.ids.length - quick.cache.reusable(quick.ids);
  return fullTodo > QUICK_SWITCH_TOKENS && quickTodo < fullTodo ? { window: quick, quick: true } : { window: full, quick: false };
}
