// Ghost-text continuations, editor-free: the text around the cursor in, a suggestion
// out. One request at a time (a newer one cancels the one in flight), answered from
// the suggestion cache when the writer is typing what was suggested, else by the
// model with its key/value cache carried over from the previous keystroke. A voice that
// learned fill-in-the-middle is shown the text after the cursor too. Between suggestions,
// warm() fills the key/value cache for where the cursor rests, so the first suggestion
// there does not compute the whole prompt. A suggestion the model is unsure of
// (confidence.ts) is not shown.
import { suggestionConfidence } from './confidence';
import { afterForPrompt, learnedFillInTheMiddle } from './fillInTheMiddle';
import type { LocatedModel } from './modelLocator';
import { continuationSource } from './prompt';
import type { GenerationStats, PromptInput, SamplingOptions, StopAt, StopReason, WarmStats } from './protocol';
import { SuggestionCache } from './suggestionCache';
import type { VoiceModel } from './voiceModel';
import { abortError, isAbortError } from './workerHost';

export interface CompletionSettings {
  /** Prompt budget: the text before the cursor is cut to this many tokens, at a paragraph start. */
  contextTokens: number;
  maxTokens: number;
  stopAt: StopAt;
  temperature: number;
  topK: number;
  repetitionPenalty: number;
  /** The penalty's reach in tokens (0: the whole prompt). */
  repetitionWindow: number;
  /** Show a suggestion only at this confidence (0..1, confidence.ts) or above; 0 or absent: always. */
  minConfidence?: number;
}

export interface CompletionRequest {
  /** The document's text before the cursor. */
  before: string;
  /** The document's text after the cursor (only its start is used). */
  after: string;
  /** Plain text, not markdown: a `---` first line or a `~~~` scene break is prose, not front matter or a fence. */
  plainText?: boolean;
}

export interface Completion {
  text: string;
  fromCache: boolean;
  reason?: StopReason;
  stats?: GenerationStats;
  /** Time from the request to the answer. */
  ms: number;
  /** How sure the model was of it (confidence.ts), when it was written now. */
  confidence?: number;
  /** Written, but below the confidence threshold: `text` is empty. */
  silenced?: boolean;
}

/** Characters of text sent to the worker per prompt token of budget (English averages ~4.5). */
const CHARS_PER_TOKEN_BOUND = 12;
/** The part of the text after the cursor that matters: not repeating it, and (fill-in-the-middle) leading into it. */
export const AFTER_CHARS = 1000;
/** What the stop rules compare with: a suggestion must not repeat the start of the text after the cursor. */
const STOP_AFTER_CHARS = 300;

export class CompletionService {
  private readonly cache = new SuggestionCache();
  private inFlight: AbortController | undefined;
  private warming: AbortController | undefined;

  constructor(private readonly model: VoiceModel, private readonly settings: () => CompletionSettings) {}

  /**
   * The prompt a suggestion at this place is written from: complete(), warm() and
   * continueParagraph() share it, so a warm-up fills exactly the cache the suggestion reads.
   */
  private promptFor(req: CompletionRequest, s: CompletionSettings, located: LocatedModel): PromptInput {
    const before = continuationSource(req.before, s.contextTokens * CHARS_PER_TOKEN_BOUND, { markdown: !req.plainText });
    const after = afterForPrompt(req.after.slice(0, AFTER_CHARS), learnedFillInTheMiddle(located.runDir));
    return { kind: 'continuation', before, budgetTokens: s.contextTokens, ...(after ? { after } : {}) };
  }

  /** The suggestion for this cursor position; empty text means "nothing to suggest". Rejects with AbortError when cancelled. */
  async complete(req: CompletionRequest, signal?: AbortSignal): Promise<Completion> {
    const t0 = performance.now();
    // A new keystroke supersedes the request in flight (stopped between tokens) and a warm-up (between chunks).
    this.inFlight?.abort();
    this.warming?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw abortError();
      const s = this.settings();
      const located = this.model.locate();
      const after = req.after.slice(0, AFTER_CHARS);
      const key = { before: req.before, after, variant: JSON.stringify([located.dir, located.dtype, located.version, req.plainText === true, s]) };
      const cached = this.cache.lookup(key);
      if (cached !== undefined) return { text: cached, fromCache: true, ms: performance.now() - t0 };

      const sampling: SamplingOptions = {
        temperature: s.temperature, topK: s.topK, repetitionPenalty: s.repetitionPenalty, repetitionWindow: s.repetitionWindow, maxNewTokens: s.maxTokens,
      };
      const result = await this.model.generate(
        { prompt: this.promptFor(req, s, located), sampling, stop: { at: s.stopAt, after: after.slice(0, STOP_AFTER_CHARS) }, reuseCache: true },
        { signal: controller.signal, located },
      );
      // An interrupted suggestion is cut short: show nothing rather than half a thought, and do not cache it.
      if (result.reason === 'interrupted') throw abortError();
      const confidence = result.logprobs ? suggestionConfidence(result.logprobs) : undefined;
      // Unsure: stay quiet here (and remember that, so the same place is not asked again).
      const silenced = result.text !== '' && confidence !== undefined && confidence < (s.minConfidence ?? 0);
      const text = silenced ? '' : result.text;
      this.cache.set(key, text);
      return { text, fromCache: false, reason: result.reason, stats: result.stats, ms: performance.now() - t0, confidence, silenced };
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
    this.warming?.abort();
    const s = this.settings();
    const located = this.model.locate();
    const result = await this.model.generate(
      {
        prompt: this.promptFor(req, s, located),
        sampling: { temperature: s.temperature, topK: s.topK, repetitionPenalty: s.repetitionPenalty, repetitionWindow: s.repetitionWindow, maxNewTokens: maxTokens },
        stop: { at: 'paragraph', after: req.after.slice(0, STOP_AFTER_CHARS) },
        reuseCache: true,
      },
      { signal, located },
    );
    return { text: result.text, fromCache: false, reason: result.reason, stats: result.stats, ms: performance.now() - t0 };
  }

  /**
   * Fills the model's key/value cache for a suggestion at this place, in the background
   * (a document just focused, the cursor at rest): the worker runs it only when idle and
   * stops it between chunks for any request; a suggestion or a newer warm-up cancels it
   * here too. Resolves with how far it got, or undefined when cancelled.
   */
  async warm(req: CompletionRequest): Promise<WarmStats | undefined> {
    this.warming?.abort();
    const controller = new AbortController();
    this.warming = controller;
    try {
      const s = this.settings();
      const located = this.model.locate();
      return await this.model.warm(this.promptFor(req, s, located), { signal: controller.signal, located });
    } catch (e) {
      if (isAbortError(e)) return undefined;
      throw e;
    } finally {
      if (this.warming === controller) this.warming = undefined;
    }
  }

  /** Stops a warm-up in progress (the writer typed). */
  cancelWarm(): void {
    this.warming?.abort();
  }

  /** Forget cached suggestions (the voice or the settings changed). */
  clear(): void {
    this.cache.clear();
  }

  cancel(): void {
    this.inFlight?.abort();
    this.warming?.abort();
  }
}
