// "Rewrite Selection in My Voice", editor-free: the selection goes to the model as a
// tier-T1 request (draft → finished). A selection of several paragraphs is rewritten
// one paragraph at a time, so progress can be shown, cancel takes effect between
// paragraphs (and between tokens), and each request stays short for a small model.
// Front matter, code blocks, headings and rules are kept as they are.
import { nonProseSpans } from './markdownContext';
import { buildRewritePrompt } from './prompt';
import type { ChatMessage } from './protocol';
import type { VoiceModel } from './voiceModel';
import { abortError } from './workerHost';

export interface RewriteSettings {
  temperature: number;
  topK: number;
  repetitionPenalty: number;
  /** Longest rewrite of one paragraph, in tokens. */
  maxTokens: number;
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
}

export interface RewriteResult {
  text: string;
  paragraphs: number;
  /** Paragraphs for which the model wrote nothing, kept as drafted. */
  unchanged: number;
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

function assemble(leading: string, segments: Segment[], replaced: Map<number, string>): string {
  return leading + segments.map((s, i) => (replaced.get(i) ?? s.text) + s.separator).join('');
}

export class RewriteService {
  constructor(
    private readonly model: VoiceModel,
    private readonly settings: () => RewriteSettings,
    private readonly messages: (draft: string, title?: string) => ChatMessage[] = buildRewritePrompt,
  ) {}

  async rewrite(
    text: string,
    opts: { title?: string; signal?: AbortSignal; onProgress?: (p: RewriteProgress) => void } = {},
  ): Promise<RewriteResult> {
    const { leading, segments } = splitForRewrite(text);
    const todo = segments.map((s, i) => (s.kind === 'rewrite' ? i : -1)).filter((i) => i >= 0);
    const replaced = new Map<number, string>();
    let unchanged = 0;
    const s = this.settings();
    opts.onProgress?.({ done: 0, total: todo.length, text: assemble(leading, segments, replaced) });
    for (const [k, i] of todo.entries()) {
      if (opts.signal?.aborted) throw abortError();
      const draft = segments[i]!.text;
      const result = await this.model.generate(
        {
          prompt: { kind: 'chat', messages: this.messages(draft, opts.title) },
          sampling: { temperature: s.temperature, topK: s.topK, repetitionPenalty: s.repetitionPenalty, maxNewTokens: s.maxTokens },
          stop: { at: 'none', after: '' },
          // Paragraphs share only the instruction's opening; keep the ghost-text cache for the writer's return.
          reuseCache: false,
        },
        {
          signal: opts.signal,
          onText: (partial) => {
            replaced.set(i, partial);
            opts.onProgress?.({ done: k, total: todo.length, text: assemble(leading, segments, replaced) });
          },
        },
      );
      if (result.reason === 'interrupted') throw abortError();
      const finished = result.text.trim();
      if (finished === '') {
        unchanged++;
        replaced.delete(i);
      } else replaced.set(i, finished);
      opts.onProgress?.({ done: k + 1, total: todo.length, text: assemble(leading, segments, replaced) });
    }
    return { text: assemble(leading, segments, replaced), paragraphs: todo.length, unchanged };
  }
}
