// Suggestions already made, keyed by the text before the cursor (and what follows it,
// and the settings that shape them). A keystroke that types the start of a suggestion
// is answered from here with the rest of it, without asking the model again.
import { Lru } from './lru';

export interface SuggestionKey {
  before: string;
  /** The start of the text after the cursor that the suggestion was cut against. */
  after: string;
  /** Settings and model that shaped it (a change must not serve stale suggestions). */
  variant: string;
}

interface Entry { key: SuggestionKey; suggestion: string }

/** How much text before the cursor the key keeps: enough to tell places apart, small to compare. */
const KEY_CHARS = 4000;
/** A suggestion is at most a paragraph: typing further than this is not typing it through. */
const MAX_TYPED_THROUGH = 400;

export class SuggestionCache {
  private readonly lru: Lru<string, Entry>;

  constructor(capacity = 64) {
    this.lru = new Lru(capacity);
  }

  set(key: SuggestionKey, suggestion: string): void {
    const k = normalize(key);
    this.lru.set(id(k), { key: k, suggestion });
  }

  /**
   * The suggestion for this place: an exact hit, or the rest of an earlier suggestion
   * whose start the writer has since typed. Undefined when nothing fits.
   */
  lookup(key: SuggestionKey): string | undefined {
    const k = normalize(key);
    const exact = this.lru.get(id(k));
    if (exact !== undefined) return exact.suggestion;
    for (const [, e] of this.lru.newestFirst()) {
      if (e.key.variant !== k.variant || e.key.after !== k.after) continue;
      const typed = typedSince(e.key.before, k.before);
      if (typed === undefined || typed === '' || !e.suggestion.startsWith(typed)) continue;
      const rest = e.suggestion.slice(typed.length);
      if (!/\S/.test(rest)) continue; // typed it all: a fresh suggestion is due
      this.set(k, rest);
      return rest;
    }
    return undefined;
  }

  clear(): void {
    this.lru.clear();
  }
}

function normalize(key: SuggestionKey): SuggestionKey {
  return { before: key.before.slice(-KEY_CHARS), after: key.after, variant: key.variant };
}

function id(k: SuggestionKey): string {
  return `${k.variant}\u0000${k.after}\u0000${k.before}`;
}

/**
 * What was typed to get from `earlier` to `now`, when `now` is `earlier` plus more text.
 * Both are the last KEY_CHARS characters, so once the text is longer than that the
 * window slides: find where `earlier` reappears in `now`.
 */
function typedSince(earlier: string, now: string): string | undefined {
  if (now.length >= earlier.length && now.startsWith(earlier)) return now.slice(earlier.length);
  if (earlier.length < KEY_CHARS) return undefined;
  for (let cut = 1; cut <= MAX_TYPED_THROUGH; cut++) {
    const tail = earlier.slice(cut);
    if (now.startsWith(tail)) return now.slice(tail.length);
  }
  return undefined;
}
