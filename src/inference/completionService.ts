// Ghost-text continuations, editor-free: the text around the cursor in, a suggestion
// out. One request at a time (a newer one cancels the one in flight), answered from
// the suggestion cache when the writer is typing what was suggested, else by the
// model with its key/value cache carried over from the previous keystroke.
import { continuationSource } from './prompt';
import type { GenerationStats, SamplingOptions, StopAt, StopReason } from './protocol';
import { SuggestionCache } from './suggestionCache';
import type { VoiceModel } from './voiceModel';
import { abortError } from './workerHost';

export interface CompletionSettings {
  /** Prompt budget: the text before the cursor is cut to this many tokens, at a paragraph start. */
  contextTokens: number;
  maxTokens: number;
  stopAt: StopAt;
  temperature: number;
  topK: number;
  repetitionPenalty: number;
}

export interface CompletionRequest {
  /** The document's text before the cursor. */
  before: string;
  /** The document's text after the cursor (only its start is used). */
  after: string;
}

export interface Completion {
  text: string;
  fromCache: boolean;
  reason?: StopReason;
  stats?: GenerationStats;
  /** Time from the request to the answer. */
  ms: number;
}

/** Characters of text sent to the worker per prompt token of budget (English averages ~4.5). */
const CHARS_PER_TOKEN_BOUND = 12;
/** The part of the text after the cursor that matters for not repeating it. */
const AFTER_CHARS = 300;

export class CompletionService {
  private readonly cache = new SuggestionCache();
  private inFlight: AbortController | undefined;

  constructor(private readonly model: VoiceModel, private readonly settings: () => CompletionSettings) {}

  /** The suggestion for this cursor position; empty text means "nothing to suggest". Rejects with AbortError when cancelled. */
  async complete(req: CompletionRequest, signal?: AbortSignal): Promise<Completion> {
    const t0 = performance.now();
    // A new keystroke supersedes the request in flight: stop it between tokens.
    this.inFlight?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw abortError();
      const s = this.settings();
      const located = this.model.locate();
      const after = req.after.slice(0, AFTER_CHARS);
      const key = { before: req.before, after, variant: JSON.stringify([located.dir, located.dtype, s]) };
      const cached = this.cache.lookup(key);
      if (cached !== undefined) return { text: cached, fromCache: true, ms: performance.now() - t0 };

      const before = continuationSource(req.before, s.contextTokens * CHARS_PER_TOKEN_BOUND);
      const sampling: SamplingOptions = { temperature: s.temperature, topK: s.topK, repetitionPenalty: s.repetitionPenalty, maxNewTokens: s.maxTokens };
      const result = await this.model.generate(
        { prompt: { kind: 'continuation', before, budgetTokens: s.contextTokens }, sampling, stop: { at: s.stopAt, after }, reuseCache: true },
        { signal: controller.signal },
      );
      // An interrupted suggestion is cut short: show nothing rather than half a thought, and do not cache it.
      if (result.reason === 'interrupted') throw abortError();
      this.cache.set(key, result.text);
      return { text: result.text, fromCache: false, reason: result.reason, stats: result.stats, ms: performance.now() - t0 };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (this.inFlight === controller) this.inFlight = undefined;
    }
  }

  /**
   * A longer continuation to the end of the paragraph (Continue Paragraph). Not cached;
   * shares the key/value cache with ghost text, and cancels a ghost-text request in flight.
   */
  async continueParagraph(req: CompletionRequest, maxTokens: number, signal?: AbortSignal): Promise<Completion> {
    const t0 = performance.now();
    this.inFlight?.abort();
    const s = this.settings();
    const after = req.after.slice(0, AFTER_CHARS);
    const before = continuationSource(req.before, s.contextTokens * CHARS_PER_TOKEN_BOUND);
    const result = await this.model.generate(
      {
        prompt: { kind: 'continuation', before, budgetTokens: s.contextTokens },
        sampling: { temperature: s.temperature, topK: s.topK, repetitionPenalty: s.repetitionPenalty, maxNewTokens: maxTokens },
        stop: { at: 'paragraph', after },
        reuseCache: true,
      },
      { signal },
    );
    return { text: result.text, fromCache: false, reason: result.reason, stats: result.stats, ms: performance.now() - t0 };
  }

  /** Forget cached suggestions (the voice or the settings changed). */
  clear(): void {
    this.cache.clear();
  }

  cancel(): void {
    this.inFlight?.abort();
  }
}
