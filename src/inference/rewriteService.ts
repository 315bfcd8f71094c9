// "Rewrite Selection in My Voice", editor-free: the selection goes to the model as a
// tier-T1 request (draft → finished). A selection of several paragraphs is rewritten
// one paragraph at a time, so progress can be shown, cancel takes effect between
// paragraphs (and between tokens), and each request stays short for a small model.
// Front matter, code blocks, headings and rules are kept as they are.
//
// What comes back is the rewritten passage only (rewriteCleanup.ts): generation stops at
// commentary after the passage, a new chat turn, a repeat or twice the draft's length;
// the preamble, commentary, labels, fences and wrapping quotes are cut, and each cut is
// reported. A paragraph for which nothing usable came back keeps its draft, and says so.
// Each rewritten paragraph is scored against its draft (contentKept.ts) and flagged, with
// the reason, when it loses content words, names, numbers, negations or quotations.
// When sampling, each paragraph can get several candidates (settings.candidates): they are
// ranked by the voice score (voiceScore.ts: how much each reads like the writer), those the
// content check flags last; the best is shown and the writer may pick another
// (chooseCandidate).
import { contentKept, type ContentKept } from './contentKept';
import { nonProseSpans } from './markdownContext';
import { buildRewritePrompt } from './prompt';
import type { ChatMessage, StopReason } from './protocol';
import { partialRewrite, readRewrite, rewriteStop, type Removed, type RewriteStop, type StopRule } from './rewriteCleanup';
import type { VoiceScorer } from './voiceScore';
import type { GenerateOptions, GenerateRequest, GenerateResult } from './workerHost';
import { abortError, isAbortError } from './workerHost';

/** What the service needs of the model (VoiceModel in the editor and the CLI). */
export interface RewriteModel {
  generate(req: GenerateRequest, opts?: GenerateOptions): Promise<GenerateResult>;
}

export interface RewriteSettings {
  temperature: number;
  topK: number;
  repetitionPenalty: number;
  /** Longest rewrite of one paragraph, in tokens. */
  maxTokens: number;
  /** Rewrites asked for per paragraph and ranked by the voice score (sampling only: greedy decoding writes one). Default 1. */
  candidates?: number;
}

/** One usable rewrite of a paragraph. */
export interface Candidate {
  /** The passage, as it goes into the result. */
  text: string;
  /** What the model wrote, as it came. */
  output: string;
  stoppedBy: StopReason | StopRule;
  removed: Removed[];
  content: ContentKept;
  /** How much it reads like the writer: P(writer) by the voice's classifier; absent when the voice has none. */
  voice?: number;
}

export interface Segment {
  /** Rewritten, or kept as it is. */
  kind: 'rewrite' | 'keep';
  text: string;
  /** The whitespace after it in the selection (kept). */
  separator: string;
}

export interface RewriteProgress {
  /** Paragraphs finished. */
  done: number;
  total: number;
  /** The whole selection as rewritten so far (finished paragraphs, the current one as far as it goes, the rest as drafted). */
  text: string;
  /** The candidate being written for the current paragraph (1-based) and how many are asked for. */
  candidate?: number;
  candidates?: number;
}

export interface ParagraphReport {
  /** Its place among the paragraphs rewritten (0-based). */
  index: number;
  /** Where its draft is in the selection. */
  draftStart: number;
  draftEnd: number;
  /** Where it is in the result's text (the rewrite, or the draft when kept). */
  start: number;
  end: number;
  /** What the model wrote, as it came. */
  output: string;
  /** Why generation ended: the worker's reason, or the rewrite rule that stopped it. */
  stoppedBy: StopReason | StopRule;
  /** Requests made for it: a second when the first (sampled) brought nothing usable. */
  attempts: number;
  /** Nothing usable came back: the paragraph is kept as drafted. */
  keptDraft: boolean;
  /** What was cut from the model's output (all of it when the draft was kept). */
  removed: Removed[];
  /** The rewrite against its draft (absent when the draft was kept). */
  content?: ContentKept;
  /** The usable rewrites, best first: those the content check does not flag before those it does, then by voice score. */
  candidates: Candidate[];
  /** The candidate in the result (an index into `candidates`; 0 unless the writer picked another). */
  chosen: number;
}

export interface RewriteResult {
  text: string;
  paragraphs: number;
  /** Paragraphs for which nothing usable came back, kept as drafted. */
  unchanged: number;
  /** One per paragraph rewritten (or kept), in order. */
  reports: ParagraphReport[];
}

const HEADING_OR_RULE = /^(?: {0,3}#{1,6}(?:\s|$)| {0,3}([-*_])(?:\s*\1){2,}\s*$)/;

/** The selection cut into paragraphs, each marked for rewriting or keeping. */
export function splitForRewrite(text: string): { leading: string; segments: Segment[] } {
  const leading = /^\s*/.exec(text)?.[0] ?? '';
  const body = text.slice(leading.length);
  const spans = nonProseSpans(body);
  const segments: Segment[] = [];
  const re = /\n[ \t]*\n\s*/g;
  let start = 0;
  const push = (end: number, sepEnd: number) => {
    const chunk = body.slice(start, end);
    if (chunk !== '') {
      const inBlock = spans.some((s) => s.start < end && s.end > start);
      const keep = inBlock || HEADING_OR_RULE.test(chunk) || !/[\p{L}]/u.test(chunk);
      segments.push({ kind: keep ? 'keep' : 'rewrite', text: chunk, separator: body.slice(end, sepEnd) });
    }
    start = sepEnd;
  };
  for (let m = re.exec(body); m; m = re.exec(body)) {
    // A blank line inside a code block does not end it.
    if (spans.some((s) => s.start < m!.index && s.end > m!.index + m![0].length)) continue;
    push(m.index, m.index + m[0].length);
  }
  const trailing = /\s*$/.exec(body.slice(start))?.[0] ?? '';
  push(body.length - trailing.length, body.length);
  return { leading, segments };
}

/** Requests per paragraph when sampling: one more than the candidates asked for, in case one brings back only chat. */
const EXTRA_TRIES = 1;

/** Unflagged before flagged, then the higher voice score; otherwise in the order written. */
export function rankCandidates(candidates: readonly Candidate[]): Candidate[] {
  return candidates.map((c, i) => ({ c, i })).sort((a, b) =>
    Number(a.c.content.flags.length > 0) - Number(b.c.content.flags.length > 0)
    || (b.c.voice ?? 0) - (a.c.voice ?? 0) || a.i - b.i).map(({ c }) => c);
}

/** The result with paragraph `index` (a report's index) showing its candidate `pick` instead. */
export function chooseCandidate(result: RewriteResult, index: number, pick: number): RewriteResult {
  const at = result.reports.findIndex((r) => r.index === index);
  const r = result.reports[at];
  const c = r?.candidates[pick];
  if (!r || !c) throw new RangeError(`paragraph ${index + 1} has no candidate ${pick + 1}`);
  const shift = c.text.length - (r.end - r.start);
  return {
    ...result,
    text: result.text.slice(0, r.start) + c.text + result.text.slice(r.end),
    reports: result.reports.map((x, k) => {
      if (k === at) return { ...x, chosen: pick, output: c.output, stoppedBy: c.stoppedBy, removed: c.removed, content: c.content, end: x.start + c.text.length };
      return k > at ? { ...x, start: x.start + shift, end: x.end + shift } : x;
    }),
  };
}

function assemble(leading: string, segments: Segment[], replaced: Map<number, string>): string {
  return leading + segments.map((s, i) => (replaced.get(i) ?? s.text) + s.separator).join('');
}

/** Where each segment starts in the assembled text. */
function offsets(leading: string, segments: Segment[], replaced: Map<number, string>): number[] {
  const starts: number[] = [];
  let at = leading.length;
  for (const [i, s] of segments.entries()) {
    starts.push(at);
    at += (replaced.get(i) ?? s.text).length + s.separator.length;
  }
  return starts;
}

export class RewriteService {
  constructor(
    private readonly model: RewriteModel,
    private readonly settings: () => RewriteSettings,
    private readonly messages: (draft: string, title?: string) => ChatMessage[] = buildRewritePrompt,
    /** The active voice's scorer (undefined: the voice has none, and candidates keep their order). */
    private readonly scorer: () => Promise<VoiceScorer | undefined> = () => Promise.resolve(undefined),
  ) {}

  async rewrite(
    text: string,
    opts: { title?: string; signal?: AbortSignal; onProgress?: (p: RewriteProgress) => void } = {},
  ): Promise<RewriteResult> {
    const { leading, segments } = splitForRewrite(text);
    const todo = segments.map((s, i) => (s.kind === 'rewrite' ? i : -1)).filter((i) => i >= 0);
    const replaced = new Map<number, string>();
    const found: Array<Omit<ParagraphReport, 'start' | 'end' | 'draftStart' | 'draftEnd'> & { segment: number }> = [];
    let unchanged = 0;
    const s = this.settings();
    opts.onProgress?.({ done: 0, total: todo.length, text: assemble(leading, segments, replaced) });
    const wanted = s.temperature > 0 ? Math.max(1, Math.floor(s.candidates ?? 1)) : 1;
    // A greedy model would answer the same again: one request. A sampling one gets one more than it is asked for.
    const tries = s.temperature > 0 ? wanted + EXTRA_TRIES : 1;
    const scorer = wanted > 1 ? await this.scorer() : undefined;
    for (const [k, i] of todo.entries()) {
      if (opts.signal?.aborted) throw abortError();
      const draft = segments[i]!.text;
      const usable: Candidate[] = [];
      let last: { output: string; stoppedBy: StopReason | StopRule; removed: Removed[] } | undefined;
      let attempts = 0;
      while (usable.length < wanted && attempts < tries) {
        attempts++;
        const { output, stoppedBy } = await this.generateOne(draft, opts.title, s, opts.signal, (partial) => {
          // The live preview shows the first passage as far as it goes, never the preamble: the draft until the passage starts.
          if (usable.length === 0) {
            const shown = partialRewrite(partial, draft);
            if (shown) replaced.set(i, shown);
            else replaced.delete(i);
          }
          opts.onProgress?.({ done: k, total: todo.length, text: assemble(leading, segments, replaced), candidate: usable.length + 1, candidates: wanted });
        });
        const reading = readRewrite(output, draft, { truncated: stoppedBy === 'max-tokens' });
        last = { output, stoppedBy, removed: reading.removed };
        if (reading.text !== undefined) {
          usable.push({ text: reading.text, output, stoppedBy, removed: reading.removed, content: contentKept(draft, reading.text),
            ...(scorer ? { voice: scorer.probability(reading.text) } : {}) });
          replaced.set(i, usable[0]!.text);
        } else if (usable.length === 0) replaced.delete(i);
      }
      const ranked = rankCandidates(usable);
      const best = ranked[0];
      if (best) {
        replaced.set(i, best.text);
        found.push({ segment: i, index: k, output: best.output, stoppedBy: best.stoppedBy, attempts, removed: best.removed,
          keptDraft: false, content: best.content, candidates: ranked, chosen: 0 });
      } else {
        unchanged++;
        found.push({ segment: i, index: k, output: last?.output ?? '', stoppedBy: last?.stoppedBy ?? 'eos', attempts,
          removed: last?.removed ?? [], keptDraft: true, candidates: [], chosen: 0 });
      }
      opts.onProgress?.({ done: k + 1, total: todo.length, text: assemble(leading, segments, replaced) });
    }
    const starts = offsets(leading, segments, replaced);
    const draftStarts = offsets(leading, segments, new Map());
    const reports: ParagraphReport[] = found.map(({ segment, ...r }) => ({
      ...r,
      draftStart: draftStarts[segment]!,
      draftEnd: draftStarts[segment]! + segments[segment]!.text.length,
      start: starts[segment]!,
      end: starts[segment]! + (replaced.get(segment) ?? segments[segment]!.text).length,
    }));
    return { text: assemble(leading, segments, replaced), paragraphs: todo.length, unchanged, reports };
  }

  /**
   * One paragraph's output, streamed so that the rewrite's stop rules (rewriteStop) end it
   * between tokens: the service interrupts the request itself, and keeps what had come.
   */
  private async generateOne(
    draft: string, title: string | undefined, s: RewriteSettings, signal: AbortSignal | undefined, onText: (partial: string) => void,
  ): Promise<{ output: string; stoppedBy: StopReason | StopRule }> {
    const stopper = new AbortController();
    const forward = () => stopper.abort();
    signal?.addEventListener('abort', forward, { once: true });
    let latest = '';
    let ruled: RewriteStop | undefined;
    try {
      const result = await this.model.generate(
        {
          prompt: { kind: 'chat', messages: this.messages(draft, title) },
          // A rewrite's penalty (off by default) looks at the whole prompt: the draft is in it.
          sampling: { temperature: s.temperature, topK: s.topK, repetitionPenalty: s.repetitionPenalty, repetitionWindow: 0, maxNewTokens: s.maxTokens },
          stop: { at: 'none', after: '' },
          // Paragraphs share only the instruction's opening; keep the ghost-text cache for the writer's return.
          reuseCache: false,
        },
        {
          signal: stopper.signal,
          onText: (partial) => {
            if (ruled) return;
            latest = partial;
            ruled = rewriteStop(partial, draft);
            if (ruled) stopper.abort();
            else onText(partial);
          },
        },
      );
      if (result.reason === 'interrupted') throw abortError();
      return { output: result.text, stoppedBy: result.reason };
    } catch (e) {
      if (ruled && !signal?.aborted && isAbortError(e)) return { output: latest, stoppedBy: ruled.rule };
      throw e;
    } finally {
      signal?.removeEventListener('abort', forward);
    }
  }
}
