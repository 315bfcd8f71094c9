// "Which is yours?" (issue #19 item 5): the pairs of the writer's blind self-test.
// Each pair is one of the writer's own held-out passages and the tuned voice's
// continuation of the same opening, both taken from the run folder: the voice's
// text from eval.json's `samples` (written by the engine's `eval`), the writer's
// real next text from the dataset the run was trained on (dataset/val.jsonl T3
// rows, else a held-out document in dataset/documents.jsonl). Editor-free.
//
// Which samples qualify: any whose prompt is an opening the writer's held-out
// text continues. The engine's eval may add kinds of samples (plain
// continuation beside the chat-framed T3 prompts), so a sample is matched by
// what it says, in this order:
//   1. an explicit writer reference in the sample (`reference`, `writer`, ...);
//   2. its prompt_id naming a val.jsonl T3 row (exactly, or with a prefix/suffix
//      such as `plain:<id>`), when the prompt text agrees with that row;
//   3. its prompt text agreeing with exactly one val.jsonl T3 row;
//   4. its whole opening (a prompt not cut at 400 characters, or an `opening`
//      field) found, once, in one held-out document: the writer's text is what
//      follows it there.
// Anything else (title prompts, openings nobody can place) is skipped with a reason.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, RUN_FILES } from '../runs/runFolder';

export interface SelfTestPair {
  /** Position of the sample in eval.json's `samples` (several samples share a prompt and a seed). */
  sample: number;
  promptId: string;
  seed: number | null;
  tier: string | null;
  /** Where the writer's text came from. */
  source: 'reference' | 'val' | 'document';
  /** The end of the opening both texts continue (for context), or null when it is not known whole. */
  opening: string | null;
  /** The writer's real continuation, trimmed to the voice's length. */
  writer: string;
  /** The tuned voice's continuation, trimmed to the writer's length. */
  voice: string;
}

export interface SkippedSample {
  sample: number;
  promptId: string;
  reason: string;
}

export interface SelfTestPairs {
  pairs: SelfTestPair[];
  skipped: SkippedSample[];
  /** eval.json's `created` (which evaluation the pairs come from), if written. */
  evalCreated: string | null;
}

/** A val.jsonl T3 row: the opening (user message) and the writer's real continuation (assistant). */
export interface HeldOutContinuation {
  id: string;
  doc: string;
  /** The whole user message: instruction paragraph, then the opening. */
  user: string;
  writer: string;
}

/** A dataset/documents.jsonl line. */
export interface DatasetDocument {
  doc: string;
  split: string;
  text: string;
}

export interface TrimOptions {
  /** Longest text shown on a side: ten pairs must stay readable. */
  maxWords: number;
  /** Shorter than this, a pair is not worth judging. */
  minWords: number;
  /** How much longer one side may be than the other when both end at a sentence. */
  tolerance: number;
}

export const TRIM_DEFAULTS: TrimOptions = { maxWords: 120, minWords: 6, tolerance: 1.25 };

/** eval.json's `prompt` is the user message cut to this many characters (docs/contracts.md). */
export const PROMPT_CUT = 400;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const nonEmpty = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** Keys under which a sample may carry the writer's own text for its prompt; the first present wins. */
const REFERENCE_KEYS = ['reference', 'writer', 'writer_text', 'heldout', 'held_out'] as const;
/** Keys under which a sample may carry its whole opening (its `prompt` is cut at 400 characters). */
const OPENING_KEYS = ['opening', 'context'] as const;
/** Characters that may join a val row id to a prefix or suffix in a prompt_id (`plain:<id>`, `<id>#plain`). */
const ID_JOINERS = ':/|@+#';

/** Whitespace runs as one space: prompts, messages and documents were written by different code. */
const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The pairs for a run folder: eval.json's samples matched to the writer's held-out text. */
export async function readSelfTestPairs(runDir: string, options: TrimOptions = TRIM_DEFAULTS): Promise<SelfTestPairs> {
  const dataset = join(runDir, RUN_FILES.dataset);
  const [evaluation, val] = await Promise.all([readJson<unknown>(join(runDir, RUN_FILES.eval)), readJsonl(join(dataset, 'val.jsonl'))]);
  const rows = parseContinuations(val);
  const first = buildSelfTestPairs(evaluation, rows, [], options);
  // documents.jsonl holds the whole corpus: read only when val.jsonl left samples unplaced.
  if (first.skipped.length === 0) return first;
  const documents = parseDocuments(await readJsonl(join(dataset, 'documents.jsonl')));
  return documents.length ? buildSelfTestPairs(evaluation, rows, documents, options) : first;
}

/** Pure core of readSelfTestPairs (the tests call it with rows in memory). */
export function buildSelfTestPairs(evaluation: unknown, rows: HeldOutContinuation[], documents: DatasetDocument[], options: TrimOptions = TRIM_DEFAULTS): SelfTestPairs {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const heldOut = documents.filter((d) => d.split === 'val');
  const pairs: SelfTestPair[] = [];
  const skipped: SkippedSample[] = [];
  evalSamples(evaluation).forEach((s, index) => {
    const promptId = str(s.prompt_id) ?? `#${index + 1}`;
    const skip = (reason: string) => { skipped.push({ sample: index, promptId, reason }); };
    const voice = nonEmpty(s.tuned) ?? (Array.isArray(s.tuned) ? s.tuned.map(nonEmpty).find((t) => t !== null) ?? null : null);
    if (voice === null) return skip('the voice wrote nothing for this prompt');
    const found = writerText(s, promptId, rows, byId, heldOut);
    if (typeof found === 'string') return skip(found);
    const trimmed = trimPair(found.writer, voice, options);
    if (!trimmed) return skip(`shorter than ${options.minWords} words on one side`);
    if (norm(trimmed.writer) === norm(trimmed.voice)) return skip('the voice repeated the writer\'s text word for word');
    pairs.push({
      sample: index,
      promptId,
      seed: typeof s.seed === 'number' && Number.isFinite(s.seed) ? s.seed : null,
      tier: str(s.tier),
      source: found.source,
      opening: found.opening === null ? null : openingTail(found.opening),
      writer: trimmed.writer,
      voice: trimmed.voice,
    });
  });
  return { pairs, skipped, evalCreated: isObj(evaluation) ? str(evaluation.created) : null };
}

function evalSamples(evaluation: unknown): Obj[] {
  return isObj(evaluation) && Array.isArray(evaluation.samples) ? evaluation.samples.map((s) => (isObj(s) ? s : {})) : [];
}

interface Found {
  writer: string;
  source: SelfTestPair['source'];
  /** The whole opening, when known. */
  opening: string | null;
}

/** The writer's continuation of the sample's opening, or why there is none. */
function writerText(s: Obj, promptId: string, rows: HeldOutContinuation[], byId: Map<string, HeldOutContinuation>, documents: DatasetDocument[]): Found | string {
  const prompt = str(s.prompt) ?? '';
  const cut = Array.from(prompt).length >= PROMPT_CUT; // Python cut code points, not UTF-16 units
  const whole = OPENING_KEYS.map((k) => nonEmpty(s[k])).find((t) => t !== null) ?? (cut ? null : nonEmpty(prompt));

  const reference = REFERENCE_KEYS.map((k) => nonEmpty(s[k])).find((t) => t !== null);
  if (reference) return { writer: reference, source: 'reference', opening: whole };

  const named = byId.get(promptId) ?? rows.find((r) => joinedId(promptId, r.id));
  if (named) {
    return prompt.trim() === '' || agrees(prompt, named)
      ? { writer: named.writer, source: 'val', opening: openingOf(named.user) }
      : `prompt_id ${promptId} names a held-out opening, but the prompt text is another`;
  }

  if (prompt.trim() !== '') {
    let matches = rows.filter((r) => agrees(prompt, r));
    // Several rows can share their start (two openings cut from the start of one short essay):
    // a prompt that was not cut also agrees on where the opening ends.
    if (matches.length > 1 && whole) matches = matches.filter((r) => norm(whole).endsWith(tail(norm(openingOf(r.user)))));
    if (matches.length === 1) return { writer: matches[0]!.writer, source: 'val', opening: openingOf(matches[0]!.user) };
    if (matches.length > 1) return 'the prompt fits several held-out openings';
  }

  if (whole) {
    // The whole prompt first; else without a title or instruction paragraph above the opening.
    let inDocs: { before: string; after: string }[] = [];
    for (const opening of framings(whole)) {
      inDocs = documents.flatMap((d) => splitAt(d.text, opening) ?? []);
      if (inDocs.length) break;
    }
    if (inDocs.length > 1) return 'the opening occurs in several held-out documents';
    if (inDocs.length === 1) {
      const [{ before, after }] = inDocs as [{ before: string; after: string }];
      if (after) return { writer: after, source: 'document', opening: before };
      return 'the opening runs to the end of its document: nothing of the writer\'s follows it';
    }
  }
  if (s.tier === 'T2' || s.tier === 'T4') return 'a title prompt, not an opening: the writer has no continuation of it';
  return cut
    ? `no held-out text continues this opening (its prompt is cut at ${PROMPT_CUT} characters and matches no val.jsonl row)`
    : 'no held-out text continues this opening';
}

/** `plain:<id>` or `<id>#plain` name the row `<id>`; `<id>0` does not. */
function joinedId(promptId: string, id: string): boolean {
  if (promptId.length <= id.length) return false;
  if (promptId.startsWith(id) && ID_JOINERS.includes(promptId[id.length]!)) return true;
  return promptId.endsWith(id) && ID_JOINERS.includes(promptId[promptId.length - id.length - 1]!);
}

/**
 * The prompt is this row's opening, however it was framed: the prompt, or the prompt
 * without its first paragraph (an instruction or a title), lies inside the row's user
 * message (a prompt cut at 400 characters, a plain framing of the same opening), or
 * holds the opening's end (the same opening, trimmed to another window).
 */
function agrees(prompt: string, row: HeldOutContinuation): boolean {
  const user = norm(row.user);
  const end = tail(norm(openingOf(row.user)));
  return end.length >= MIN_MATCH && framings(prompt).some((p) => user.includes(p) || p.endsWith(end));
}

/** Fewer characters than this cannot tell one opening from another. */
const MIN_MATCH = 40;

/** The prompt whole, and without its first paragraph (an instruction or a title above the opening). */
function framings(prompt: string): string[] {
  const paragraphs = prompt.trim().split(/\n\s*\n/);
  const out = [norm(prompt)];
  if (paragraphs.length > 1) out.push(norm(paragraphs.slice(1).join(' ')));
  return out.filter((p) => p.length >= MIN_MATCH);
}

/** The opening inside a T3 user message: after the instruction paragraph (prompts.ts puts a blank line between). */
export function openingOf(user: string): string {
  const at = user.search(/\n\s*\n/);
  return at < 0 ? user : user.slice(at).replace(/^\s+/, '');
}

/** The last characters of an opening: enough to find where it stops. */
function tail(normalized: string): string {
  return normalized.slice(-160);
}

/**
 * `text` split where `opening` stops inside it (whitespace-insensitive): what comes before
 * and after ('' when nothing follows); undefined when the opening's end is not there
 * exactly once.
 */
export function splitAt(text: string, opening: string): { before: string; after: string } | undefined {
  const { flat, at } = flatten(text);
  const needle = tail(norm(opening));
  if (needle.length < MIN_MATCH) return undefined;
  const first = flat.indexOf(needle);
  if (first < 0 || flat.indexOf(needle, first + 1) >= 0) return undefined;
  if (flat[first + needle.length] !== undefined && flat[first + needle.length] !== ' ') return undefined; // stops mid-word
  const end = at[first + needle.length]!;
  return { before: text.slice(0, end).trim(), after: text.slice(end).trim() };
}

/** `text` with whitespace runs as one space, and where each of its characters came from. */
function flatten(text: string): { flat: string; at: number[] } {
  let flat = '';
  const at: number[] = [];
  let space = false;
  for (let i = 0; i < text.length; i++) {
    if (/\s/.test(text[i]!)) {
      space = flat.length > 0;
      continue;
    }
    if (space) {
      flat += ' ';
      at.push(i);
      space = false;
    }
    flat += text[i];
    at.push(i);
  }
  at.push(text.length);
  return { flat, at };
}

/** The opening's last paragraph, at most its last 60 words: the context the writer reads before the pair. */
export function openingTail(opening: string, maxWords = 60): string {
  const paragraphs = opening.trim().split(/\n\s*\n/);
  const last = (paragraphs[paragraphs.length - 1] ?? '').trim();
  const words = last.split(/\s+/).filter(Boolean);
  const kept = words.length > maxWords ? `\u2026${words.slice(-maxWords).join(' ')}` : last;
  return paragraphs.length > 1 && kept === last ? `\u2026${last}` : kept;
}

// ---- Trimming ---------------------------------------------------------------------

/**
 * Both sides cut to about the same number of words, so that length does not give the
 * writer's text away: a voice that stops after two sentences is set against the
 * writer's first two or three, and the writer's 250-word continuation is not shown
 * whole beside the voice's 80. Both end at a sentence where lengths within
 * `tolerance` allow it (a cut mid-sentence would mark one side); otherwise both are
 * cut at the same word count and, when either is cut mid-sentence, both end with an
 * ellipsis. Null when one side has fewer than `minWords` words.
 */
export function trimPair(writer: string, voice: string, options: TrimOptions = TRIM_DEFAULTS): { writer: string; voice: string } | null {
  const w = writer.trim();
  const v = voice.trim();
  const { maxWords, minWords, tolerance } = options;
  const fits = (b: Boundary) => b.words >= minWords && b.words <= maxWords;
  const ws = sentenceEnds(w).filter(fits);
  const vs = sentenceEnds(v).filter(fits);
  let best: [Boundary, Boundary] | undefined;
  const score = (a: Boundary, b: Boundary) => [Math.min(a.words, b.words), -Math.abs(a.words - b.words)] as const;
  for (const a of ws) {
    for (const b of vs) {
      if (Math.max(a.words, b.words) > tolerance * Math.min(a.words, b.words)) continue;
      const [lo, diff] = score(a, b);
      if (!best) { best = [a, b]; continue; }
      const [bestLo, bestDiff] = score(...best);
      if (lo > bestLo || (lo === bestLo && diff > bestDiff)) best = [a, b];
    }
  }
  if (best) return { writer: w.slice(0, best[0].end).trim(), voice: v.slice(0, best[1].end).trim() };
  const n = Math.min(wordCount(w), wordCount(v), maxWords);
  if (n < minWords) return null;
  const a = firstWords(w, n);
  const b = firstWords(v, n);
  const clipped = (cut: string, whole: string) => cut.length < whole.length || !TERMINAL.test(whole);
  const mark = clipped(a, w) || clipped(b, v) ? '\u2026' : '';
  return { writer: a + mark, voice: b + mark };
}

interface Boundary {
  /** Character index just past the sentence. */
  end: number;
  /** Words before `end`. */
  words: number;
}

/** Ends a sentence: terminal punctuation and any closing quotes or brackets. */
const SENTENCE_END = /[.!?\u2026]+["'\u201d\u2019\u00bb)\]]*(?=\s|$)/g;
const TERMINAL = /[.!?\u2026]+["'\u201d\u2019\u00bb)\]]*$/;

/** Where sentences end in `text` (a paragraph break ends one too), with the words before each. */
export function sentenceEnds(text: string): Boundary[] {
  const ends = new Set<number>();
  for (const m of text.matchAll(SENTENCE_END)) ends.add(m.index + m[0].length);
  for (const m of text.matchAll(/\n\s*\n/g)) if (m.index > 0) ends.add(m.index);
  return [...ends].sort((a, b) => a - b).map((end) => ({ end, words: wordCount(text.slice(0, end)) }));
}

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** The first `n` whitespace-separated words, with the text's own spacing and paragraph breaks. */
function firstWords(text: string, n: number): string {
  let count = 0;
  for (const m of text.matchAll(/\S+/g)) {
    if (++count === n) return text.slice(0, m.index + m[0].length);
  }
  return text;
}

// ---- Reading the dataset ----------------------------------------------------------

async function readJsonl(path: string): Promise<unknown[]> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const out: unknown[] = [];
  for (const line of raw.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a malformed line is skipped, as the run folder readers do
    }
  }
  return out;
}

/** val.jsonl's T3 rows as openings with the writer's continuation; other rows are not openings. */
export function parseContinuations(rows: unknown[]): HeldOutContinuation[] {
  const out: HeldOutContinuation[] = [];
  for (const r of rows) {
    if (!isObj(r) || r.tier !== 'T3' || !Array.isArray(r.messages)) continue;
    const messages = r.messages.filter(isObj);
    const user = messages.filter((m) => m.role === 'user').map((m) => str(m.content) ?? '').join('\n\n');
    const last = messages[messages.length - 1];
    const writer = last?.role === 'assistant' ? nonEmpty(last.content) : null;
    const id = str(r.id);
    if (id && writer && user.trim()) out.push({ id, doc: str(r.doc) ?? '', user, writer });
  }
  return out;
}

export function parseDocuments(rows: unknown[]): DatasetDocument[] {
  return rows.filter(isObj).flatMap((r) => {
    const text = str(r.text);
    return text ? [{ doc: str(r.doc) ?? '', split: str(r.split) ?? '', text }] : [];
  });
}
