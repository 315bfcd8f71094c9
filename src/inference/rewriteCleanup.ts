// What a rewrite request gives back, reduced to the rewritten passage. An instruct model
// asked to edit a draft answers like a chat assistant (the demo's tuned voice did, too):
//   "I'm glad you're happy with your essay! … Here's the edited version:\n\n<the passage>\n\n
//    In this revised paragraph, I've made several changes to enhance …"
// (SmolLM2-135M-Instruct, greedy or sampled, opened 17 of 18 answers to a T1 request with a
// preamble, followed 14 of its 16 passages with commentary, and gave 2 answers with no passage;
// prefilling the answer with the draft's first word stops the preamble but makes it copy
// the draft verbatim, so the prompt asks as training does and the answer is cut here.)
//
// The output is read as a sequence of units: sentences (a ": " also ends one, so an inline
// "Rewritten: …" label is a unit of its own) and structural lines (headings, labels such as
// "**Revised version:**", code fences, rules, chat-turn markers). Each unit is meta (the
// assistant talking: preamble, commentary, sign-off, labels, an echo of the instruction) or
// content. Kept: from the first content unit up to the first unit after it that is meta, a
// repeat of an earlier sentence, a new chat turn, or beyond twice the draft's length.
// Then quotes or emphasis wrapping the whole passage come off. The same reading stops the
// generation early (rewriteStop) and cleans the final text (cleanRewrite).
//
// Conservative about the writer's prose: a sentence that says what the draft says (most of
// its content words are the draft's, or it is a sentence of the draft) is content whatever
// its shape, and the output's opening is content when the draft opens the same way ("Of
// course, …", "Here is …"). Nothing in the passage itself is reworded.
import { templateWording } from '../core/dataset/prompts';
import { contentStems } from './contentKept';

export type RemovedKind =
  /** Before the passage: "Sure! Here's the revised version:". */
  | 'preamble'
  /** After the passage: "In this revision, I …", "Let me know if …", a second version. */
  | 'commentary'
  /** Headings, labels ("**Revised:**", "Rewritten:"), code fences, rules. */
  | 'label'
  /** Quotes or emphasis wrapped around the whole passage. */
  | 'wrapper'
  /** The model started a new chat turn ("<|im_start|>user", "User:"). */
  | 'turn'
  /** The model repeated a sentence it had already written. */
  | 'repeat'
  /** Past twice the draft's length. */
  | 'overlong'
  /** A sentence cut off by the token limit. */
  | 'unfinished'
  /** Too little to stand for the draft (a few words of a long paragraph). */
  | 'fragment';

export interface Removed {
  kind: RemovedKind;
  text: string;
}

export interface CleanedRewrite {
  /** The rewritten passage alone. */
  text: string;
  /** What was cut from the model's output, in order. */
  removed: Removed[];
}

export interface CleanOptions {
  /** Generation ended at the token limit (the last sentence may be cut off). */
  truncated?: boolean;
}

export type StopRule = 'commentary' | 'turn' | 'repeat' | 'overlong';

export interface RewriteStop {
  /** Where to cut the output. */
  at: number;
  rule: StopRule;
}

// ---- units ----

type UnitKind = 'sentence' | 'label' | 'heading' | 'fence' | 'rule' | 'turn';

interface Unit {
  kind: UnitKind;
  start: number;
  end: number;
  text: string;
  /** Index of the paragraph (blank-line separated) it belongs to. */
  paragraph: number;
  /** Finished: a later unit has started, or it ends in a sentence mark at the end of a finished output. */
  complete: boolean;
}

const HEADING = /^ {0,3}#{1,6}(?:\s|$)/;
const FENCE = /^ {0,3}(?:```|~~~)/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
/** A chat turn rendered as text: special tokens the tokenizer did not skip, role lines, the plain format's headers. */
const TURN_INLINE = /<\|(?:im_start|im_end|eot_id|start_header_id|end_header_id|endoftext|end_of_text|end|user|assistant|system)\|>|<\/s>|<s>|\[\/?INST\]/;
const TURN_LINE = /^\s*(?:(?:user|assistant|system|human)\s*$|(?:user|human|assistant|system|ai|bot|model)\s*:\s|#{2,4}\s*(?:instruction|input|user|human)\s*:?\s*$)/i;
const LABEL_WORDS = String.raw`(?:revised|rewritten|edited|final|polished|improved|updated|new|refined|original|corrected|finished|proposed|suggested|cleaned[- ]up|tightened)`;
const LABEL_NOUNS = String.raw`(?:version|revision|rewrite|text|paragraph|passage|draft|essay|piece|edit|output|answer|response|result|copy)`;
/** "Revised:", "**Revised version:**", "Edited paragraph (in your voice):", "Here is the rewrite:", "Response:". */
const LABEL = new RegExp(String.raw`^\s*(?:[*_]{1,3}|>\s*)?\s*(?:(?:here(?:'s|’s| is| are)|below is)\s+)?(?:(?:the|my|a|an|your)\s+)?(?:(?:${LABEL_WORDS}\s+)+${LABEL_NOUNS}?|${LABEL_NOUNS}|rewritten|revised|edited|final|edit)\s*(?:\([^)\n]{0,60}\))?\s*(?::\s*(?:[*_]{1,3})?|(?:[*_]{1,3})\s*:?|:)\s*$`, 'i');

const SENTENCE_END = /(?:[.!?…]+["'”’)\]*_]*|:)(?=\s|$)/g;

/** The output as units, each with its offsets. */
function unitsOf(text: string, finished: boolean): Unit[] {
  const units: Unit[] = [];
  let paragraph = 0;
  let block: { start: number; end: number } | undefined;
  const flushBlock = () => {
    if (!block) return;
    const body = text.slice(block.start, block.end);
    let from = 0;
    SENTENCE_END.lastIndex = 0;
    for (let m = SENTENCE_END.exec(body); m; m = SENTENCE_END.exec(body)) {
      const end = m.index + m[0].length;
      if (m[0].startsWith('.') && /(?:^|\s)(?:mr|mrs|ms|dr|st|vs|etc|e\.g|i\.e|cf|jr|sr|prof|[A-Z])$/i.test(body.slice(from, m.index))) continue;
      pushSentence(block.start + from, block.start + end);
      from = end;
    }
    pushSentence(block.start + from, block.end);
    block = undefined;
  };
  const pushSentence = (start: number, end: number) => {
    const lead = /^\s*/.exec(text.slice(start, end))![0].length;
    start += lead;
    if (end <= start) return;
    units.push({ kind: 'sentence', start, end, text: text.slice(start, end), paragraph, complete: true });
  };
  let pos = 0;
  for (const line of text.split('\n')) {
    const start = pos;
    const end = pos + line.length;
    pos = end + 1;
    if (/^\s*$/.test(line)) {
      flushBlock();
      if (units.length > 0 && units[units.length - 1]!.paragraph === paragraph) paragraph++;
      continue;
    }
    const structural: UnitKind | undefined = TURN_LINE.test(line) ? 'turn' : FENCE.test(line) ? 'fence' : RULE.test(line) ? 'rule'
      : HEADING.test(line) ? 'heading' : LABEL.test(line) ? 'label' : undefined;
    if (structural) {
      flushBlock();
      units.push({ kind: structural, start, end, text: line, paragraph, complete: true });
      continue;
    }
    if (block) block.end = end;
    else block = { start, end };
  }
  flushBlock();
  // A unit still being written is not complete: the last one, unless the output is finished.
  const last = units[units.length - 1];
  if (last && !finished) last.complete = last.kind !== 'sentence' ? text.endsWith('\n') : /(?:[.!?…]+["'”’)\]*_]*|:)\s+$/.test(text.slice(last.start));
  return units;
}

// ---- meta or content ----

const TASK_NOUN = String.raw`(?:version|revision|rewrite|rewritten|edit|edits|edited|draft|essay|paragraph|passage|text|piece|writing|sentence|response|answer|output|result|changes|feedback|suggestions)`;
const EDIT_WORD = /\b(?:grammar|grammatical|clarity|clear(?:er)?|flow|tone|readab\w*|concise\w*|punctuation|comma|commas|apostrophe|hyphen|spelling|typo\w*|sentence structure|word choice|wording|polish\w*|tweak\w*|adjust\w*|edit\w*|revis\w*|rephras\w*|rewr\w*|improv\w*|enhanc\w*|refin\w*|professional|engaging|coherent|cohesive|changes?|changed|corrected|voice|original|essay|draft|paragraph|passage|version|feedback|suggest\w*|help)\b/i;
const INTERJECTION = /^(?:sure|certainly|of course|absolutely|okay|ok|alright|all right|great|gladly|definitely|yes|no problem|happy to help|with pleasure|understood|got it|perfect|done|here you go|here it is|here goes|excellent|wonderful)\b[\s,!.…:-]*(?:(?:here you go|here it is|i can do that|i can help|i'd be happy to|i would be happy to)[\s,!.…:-]*)?$/i;
const REVISED = String.raw`(?:revised|edited|rewritten|polished|improved|updated|final|new|refined|reworked|cleaned[- ]up|tightened)`;
const HERE_INTRO = new RegExp(String.raw`^(?:here(?:'s|’s| is| are)|below (?:is|are|you(?:'ll|’ll| will) find)|the following is)\b.*\b${TASK_NOUN}\b`, 'i');
const THIS_IS_REVISED = new RegExp(String.raw`^this is (?:a|an|the|my) ${REVISED} ${TASK_NOUN}\b`, 'i');
/** The assistant speaking of itself; meta only together with editing words. */
const ASSISTANT_OPENER = /^(?:i(?:'m|’m| am)|i(?:'ll|’ll| will)|i(?:'ve|’ve| have)|i(?:'d|’d| would)|i can|i made|i changed|i added|i removed|i replaced|i kept|i tried|i revised|i edited|i rewrote|i rephrased|i corrected|i adjusted|i simplified|i also|i hope|let me|let's|allow me|please|as (?:requested|you asked))\b/i;
const TASK_OPENER = new RegExp(String.raw`^to (?:edit|revise|improve|enhance|refine|polish|rewrite|make) .*\b${TASK_NOUN}\b`, 'i');
const COMMENTARY_OPENER = new RegExp([
  String.raw`^in (?:this|the|my) (?:${REVISED} (?:version|paragraph|passage|text|draft)|(?:\w+ )?(?:version|revision|rewrite|edit|response|answer)\b)`,
  String.raw`^(?:this|the) (?:(?:${REVISED}|original) )+(?:version|paragraph|passage|text|draft|sentence|essay)`,
  String.raw`^(?:some |a few |the |these )?(?:key |main |major )(?:changes|improvements|edits|adjustments|tweaks)\b`,
  String.raw`^(?:the |these )?(?:changes|improvements|edits|adjustments|tweaks|revisions)(?: i)?(?: made|:| include)`,
  String.raw`^(?:notes?|explanation|summary of changes|changes|edits)\s*:`,
  String.raw`^explanation of`,
  String.raw`^what (?:i|i've|i’ve) changed`,
  String.raw`^by (?:making|adding|removing|changing) (?:these|this|the)`,
].join('|'), 'i');
const SIGN_OFF = /^(?:i hope (?:this|that|it|these|you)|hope (?:this|that|it) helps|let me know|feel free|please (?:let me know|feel free|note|don't hesitate)|don't hesitate|happy writing|good luck(?: with)?|thanks?(?: for| again)?[!.]?$|thank you|if you(?:'d|’d| would) like|would you like|do you want|is there anything|what do you think|anything else)/i;
const ADDRESSES_TEXT = new RegExp(String.raw`^(?:your|the original) ${TASK_NOUN}\b|^in your (?:own )?(?:voice|style|words)\b`, 'i');
/** Speaks to the writer about their text ("your essay", "the original tone") while speaking as "I": the assistant. */
const ABOUT_YOUR_TEXT = new RegExp(String.raw`\b(?:your (?:own )?(?:${TASK_NOUN}|voice|style|tone|words)|the original (?:${TASK_NOUN}|tone|voice|style|meaning|message))\b`, 'i');
const FIRST_PERSON = /\b(?:i|i'm|i’m|i'll|i’ll|i've|i’ve|i'd|i’d|me|my)\b/i;
/** Editing talk: two of these and the sentence is about the writing, not the subject. */
const EDIT_TALK = /\b(?:grammar|grammatical|clarity|flow|tone|readability|word choice|wording|punctuation|sentence structure|polish\w*|revis\w*|edit\w*|rephras\w*|concise\w*|coheren\w*|style)\b/gi;
/** The assistant's offers and promises ("I'll make sure…", "Let me…"): the writer's only when the draft speaks so too. */
const OFFER = /^(?:i(?:'ll|’ll| will)|i(?:'d|’d| would) (?:be|like|love)|i can|let me|allow me|i(?:'m|’m| am) (?:happy|glad|here))\b/i;
const INSTRUCTION_ECHO: readonly string[] = templateWording('T1');

const words = (s: string): string[] => s.toLowerCase().replace(/’/g, "'").match(/[\p{L}\p{N}']+/gu) ?? [];

/** How the draft reads, for telling its own sentences from the assistant's. */
interface DraftView {
  stems: Set<string>;
  /** Its first two words, lower-cased. */
  opening: string;
  /** Its words, lower-cased, joined by single spaces. */
  flat: string;
  length: number;
  quoted: boolean;
  sentenceCounts: Map<string, number>;
}

let lastView: { draft: string; view: DraftView } | undefined;

/** The draft's view; the last one is kept, since a streaming rewrite asks about the same draft at every token. */
function viewOf(draft: string): DraftView {
  if (lastView?.draft !== draft) lastView = { draft, view: makeView(draft) };
  return lastView.view;
}

function makeView(draft: string): DraftView {
  const flat = words(draft).join(' ');
  const sentenceCounts = new Map<string, number>();
  for (const u of unitsOf(draft, true)) {
    const key = words(u.text).join(' ');
    if (key) sentenceCounts.set(key, (sentenceCounts.get(key) ?? 0) + 1);
  }
  return {
    stems: new Set(contentStems(draft)), opening: words(draft).slice(0, 2).join(' '), flat, length: draft.trim().length,
    quoted: /^\s*["“'‘«]/.test(draft), sentenceCounts,
  };
}

/** The draft says this too: most of its content words are the draft's, or the draft has it word for word. */
function saidByDraft(text: string, draft: DraftView): boolean {
  const stems = contentStems(text);
  if (stems.length >= 2 && stems.filter((s) => draft.stems.has(s)).length / stems.length >= 0.6) return true;
  const flat = words(text).join(' ');
  return flat.split(' ').length >= 3 && draft.flat.includes(flat);
}

/** The assistant talking rather than the passage: preamble, commentary, sign-off, an echo of the request. */
export function isMetaSentence(text: string, finished = true): boolean {
  const t = text.trim().replace(/^[*_>"“'‘\s]+/, '');
  const lower = t.toLowerCase().replace(/’/g, "'");
  return INTERJECTION.test(t) || LABEL.test(t) || SIGN_OFF.test(t) || COMMENTARY_OPENER.test(t) || ADDRESSES_TEXT.test(t)
    || INSTRUCTION_ECHO.some((p) => lower.includes(p)) || THIS_IS_REVISED.test(t)
    // "Here is the revised paragraph:" introduces; "Here is the text of the letter she wrote in 1911 …" is prose. Judged once finished.
    || (finished && HERE_INTRO.test(t) && (t.trimEnd().endsWith(':') || words(t).length <= 16))
    || TASK_OPENER.test(t)
    || (ASSISTANT_OPENER.test(t) && EDIT_WORD.test(t))
    || (ABOUT_YOUR_TEXT.test(t) && FIRST_PERSON.test(t))
    || (/\?["'”’)]*$/.test(t) && /\byou(?:r)?\b/i.test(t) && EDIT_WORD.test(t))
    || new Set((t.match(EDIT_TALK) ?? []).map((w) => w.toLowerCase().slice(0, 5))).size >= 2;
}

/** "I'll make sure to keep that in mind." when the draft never says "I'll" (or "I will", "let me", …). */
function offerNotInDraft(text: string, draft: DraftView): boolean {
  const m = OFFER.exec(text.trim().replace(/^[*_>"“'‘\s]+/, ''));
  if (!m) return false;
  const opener = words(m[0]).join(' ').replace(/\bi will\b/, "i'll").replace(/\bi would\b/, "i'd").replace(/\bi am\b/, "i'm");
  const flat = draft.flat.replace(/\bi will\b/g, "i'll").replace(/\bi would\b/g, "i'd").replace(/\bi am\b/g, "i'm").replace(/\bill\b/g, "i'll").replace(/\bim\b/g, "i'm");
  const said = opener.split(' ');
  const key = ["i'll", "i'd", "i'm"].includes(said[0]!) ? said[0]! : said.slice(0, 2).join(' ');
  return !new RegExp(`(?:^| )${esc(key)}(?: |$)`).test(flat);
}

/** content; meta; or 'opening': meta in shape but opening as the draft does, so the writer's unless more meta follows. */
type Verdict = 'meta' | 'content' | 'opening';

/** Opens the way the assistant's sentences open: while such a sentence is still being written, the live preview waits for it. */
const META_START = /^(?:i\b|i'|i’|let|please|sure|certainly|of course|absolutely|okay|ok\b|alright|all right|great|gladly|here|below|to (?:edit|revise|improve|enhance|refine|polish|rewrite|make)|this is|in (?:this|the|my)|the (?:revised|edited|rewritten|original|key|main|changes)|(?:key |main )?changes|notes?\b|explanation|your (?:essay|draft|paragraph|text|writing|piece)|feel|hope|thank|good luck|happy|if you|would you|do you|what do you|anything)/i;

function mayBeMeta(text: string): boolean {
  const t = text.trim().replace(/^[*_>"“'‘\s]+/, '');
  return isMetaSentence(t) || META_START.test(t);
}

function verdict(u: Unit, draft: DraftView, firstSentence: boolean): Verdict {
  if (u.kind !== 'sentence') return 'meta';
  // A sentence still being written may end in half a word ("… your mind i"): judge the whole words.
  const text = u.complete ? u.text : u.text.replace(/\S+$/, '');
  if (!isMetaSentence(text, u.complete) && !offerNotInDraft(text, draft)) return 'content';
  if (saidByDraft(text, draft)) return 'content';
  if (firstSentence && draft.opening !== '' && words(text).slice(0, 2).join(' ') === draft.opening) return 'opening';
  return 'meta';
}

// ---- reading the output ----

interface Reading {
  units: Unit[];
  /** Index of the first content unit, or -1 while none is known. */
  first: number;
  /** Leading meta units (preamble) before `first`, or all decided ones when no content is known. */
  leading: number;
  /** Where the passage ends and why, when something after it is not passage. */
  stop?: { unit: number; at: number; rule: StopRule };
  /** The first unit not decided yet (still being written, too short to tell). */
  pending?: number;
}

/** An unfinished sentence this long that already reads as the assistant's is taken for it. */
const MIN_DECIDING_WORDS = 8;

function read(text: string, draft: DraftView, finished: boolean): Reading {
  const units = unitsOf(text, finished);
  const lengthLimit = Math.max(2 * draft.length, draft.length + 120);
  const firstSentence = units.findIndex((u) => u.kind === 'sentence');
  let first = -1;
  let leading = 0;
  /** The passage so far is only an opening that matched the draft's ("Of course!"): preamble if meta follows. */
  let tentative = false;
  const seen = new Map<string, number>();
  const stopAt = (unit: number, at: number, rule: StopRule): Reading => ({ units, first, leading, stop: { unit, at, rule } });
  // Past the length limit: cut at the end of the last sentence that fits, else (one long sentence) at a word within the limit.
  const overlong = (i: number): Reading => {
    const from = units[first]!.start;
    if (i > first) return stopAt(i, units[i]!.start, 'overlong');
    const cut = text.lastIndexOf(' ', from + lengthLimit);
    return stopAt(i, cut > from ? cut : from + lengthLimit, 'overlong');
  };
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    const inline = TURN_INLINE.exec(u.text);
    if (inline) {
      // A turn marker inside a unit: the passage (if any) ends right there.
      const at = u.start + inline.index;
      const before = text.slice(u.start, at);
      if (first < 0 && /\p{L}/u.test(before) && verdict({ ...u, end: at, text: before }, draft, i === firstSentence) !== 'meta') first = i;
      return stopAt(i, at, 'turn');
    }
    if (u.kind === 'turn') return stopAt(i, u.start, 'turn');
    const v = verdict(u, draft, i === firstSentence);
    if (!u.complete && !(v === 'meta' && words(u.text).length >= MIN_DECIDING_WORDS)) {
      // Still being written: only its opening is known. The assistant's sentences say what they are within
      // a few words ("In this revised paragraph, I've…"); a sentence of the passage is known when it ends.
      if (v === 'meta' || u.end - (first >= 0 ? units[first]!.start : u.start) <= lengthLimit) return { units, first, leading, pending: i };
      // A sentence that runs past the length limit before it ends is the passage's, and overlong.
      if (first < 0) first = i;
      return overlong(i);
    }
    if (v === 'meta') {
      if (first < 0 || tentative) {
        first = -1;
        tentative = false;
        leading = i + 1;
        continue;
      }
      return stopAt(i, u.start, 'commentary');
    }
    if (first < 0) {
      first = i;
      tentative = v === 'opening';
    } else tentative = false;
    const key = words(u.text).join(' ');
    if (key.split(' ').length >= 4) {
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n > 1 && n > (draft.sentenceCounts.get(key) ?? 0)) return stopAt(i, u.start, 'repeat');
    }
    if (u.end - units[first]!.start > lengthLimit) return overlong(i);
  }
  // A preamble that never ends: give up once it is longer than any passage would be.
  if (first < 0 && leading > 0 && units[leading - 1]!.end > Math.max(600, lengthLimit)) {
    return stopAt(leading, units[leading - 1]!.end, 'overlong');
  }
  return { units, first, leading };
}

/**
 * Whether generation can stop now, and where the passage ends: at a new chat turn, at
 * commentary (or any meta unit) after the passage, at a repeated sentence, or past twice the
 * draft's length. Undefined while the passage may go on. `partial` is the output so far.
 */
export function rewriteStop(partial: string, draft: string): RewriteStop | undefined {
  const reading = read(partial.replace(/\r\n/g, '\n'), viewOf(draft), false);
  return reading.stop ? { at: reading.stop.at, rule: reading.stop.rule } : undefined;
}

/**
 * The rewritten passage alone, and what was cut around it; undefined when nothing usable
 * remains (the model answered only with preamble or commentary, or with a fragment).
 */
export function cleanRewrite(output: string, draft: string, opts: CleanOptions = {}): CleanedRewrite | undefined {
  const r = readRewrite(output, draft, opts);
  return r.text === undefined ? undefined : { text: r.text, removed: r.removed };
}

export interface RewriteReading {
  /** The passage; undefined when nothing usable came back. */
  text: string | undefined;
  /** Everything cut, in output order (all of the output when `text` is undefined). */
  removed: Removed[];
}

/** cleanRewrite, saying also what was cut when nothing usable remains. */
export function readRewrite(output: string, draft: string, opts: CleanOptions = {}): RewriteReading {
  const text = output.replace(/\r\n/g, '\n');
  const view = viewOf(draft);
  const { units, stop, first } = read(text, view, true);
  const removed: Removed[] = [];
  const add = (kind: RemovedKind, s: string) => {
    const t = s.trim();
    if (t !== '') removed.push({ kind, text: t });
  };
  // Before the passage: sentences are preamble; headings, labels and fences are labels.
  const leadEnd = first >= 0 ? first : stop ? stop.unit : units.length;
  let preamble = '';
  for (let i = 0; i < leadEnd; i++) {
    const u = units[i]!;
    if (u.kind === 'sentence' || (u.kind === 'label' && /^\W*(?:here|below)\b/i.test(u.text))) preamble += (preamble ? ' ' : '') + u.text.trim();
    else {
      add('preamble', preamble);
      preamble = '';
      add('label', u.text);
    }
  }
  add('preamble', preamble);
  const after = (): void => {
    if (!stop) return;
    const unit = units[stop.unit];
    if (stop.rule === 'commentary' && unit && unit.kind !== 'sentence' && unit.start === stop.at) {
      add('label', unit.text);
      add('commentary', text.slice(unit.end));
    } else add(stop.rule, text.slice(stop.at));
  };
  if (first < 0) {
    if (stop && stop.unit < units.length && stop.at > (units[leadEnd - 1]?.end ?? 0)) add('preamble', text.slice(units[leadEnd]?.start ?? stop.at, stop.at));
    after();
    return { text: undefined, removed };
  }

  const start = units[first]!.start;
  let passage = text.slice(start, stop ? stop.at : text.length);
  // A passage cut off by the token limit (or at twice the draft's length) ends at its last full sentence.
  if ((opts.truncated || stop?.rule === 'overlong') && !/[.!?…]["'”’)\]*_]*\s*$/.test(passage)) {
    const lastEnd = [...passage.matchAll(/[.!?…]["'”’)\]*_]*(?=\s)/g)].pop();
    if (lastEnd) {
      const keep = lastEnd.index + lastEnd[0].length;
      add('unfinished', passage.slice(keep));
      passage = passage.slice(0, keep);
    }
  }
  after();

  let body = passage.trim();
  const unwrapped = unwrapStart(body, view);
  if (unwrapped !== body) {
    add('wrapper', wrapperOf(body, unwrapped));
    body = unwrapped;
  }
  if (!usable(body, draft)) {
    // A scrap: what there was counts as cut, in its place after the preamble.
    const at = removed.findIndex((r) => r.kind !== 'preamble' && r.kind !== 'label');
    removed.splice(at < 0 ? removed.length : at, 0, { kind: 'fragment', text: body });
    return { text: undefined, removed };
  }
  return { text: body, removed };
}

/**
 * The passage as far as it goes while tokens stream in (for a live preview): without the
 * preamble, cut where rewriteStop would cut. Empty while only preamble has come.
 */
export function partialRewrite(partial: string, draft: string): string {
  const text = partial.replace(/\r\n/g, '\n');
  const view = viewOf(draft);
  const reading = read(text, view, false);
  let first = reading.first;
  if (first < 0 && reading.pending !== undefined) {
    // Still being written: show it once it starts a paragraph after the preamble, or has
    // a few words that do not read like one.
    const u = reading.units[reading.pending]!;
    const afterPreamble = reading.pending > 0 && u.paragraph > reading.units[reading.pending - 1]!.paragraph;
    if (u.kind === 'sentence' && !mayBeMeta(u.text) && (afterPreamble || words(u.text).length >= 4)) first = reading.pending;
  }
  if (first < 0) return '';
  const start = reading.units[first]!.start;
  let end = reading.stop ? reading.stop.at : text.length;
  // After the passage, a unit still being written that already reads like commentary is left out.
  const pending = reading.pending !== undefined && reading.pending > first ? reading.units[reading.pending]! : undefined;
  if (pending && (pending.kind !== 'sentence' || mayBeMeta(pending.text))) end = pending.start;
  const body = text.slice(start, end).trim();
  return unwrapStart(body, view);
}

const PAIRS: ReadonlyArray<[string, string]> = [['"', '"'], ['“', '”'], ["'", "'"], ['‘', '’'], ['«', '»'], ['**', '**'], ['*', '*'], ['_', '_']];

/** Quotes or emphasis around the whole passage, when the draft has none and nothing inside uses the same mark. */
function unwrap(body: string, draft: DraftView): string {
  if (draft.quoted) return body;
  for (const [open, close] of PAIRS) {
    if (!body.startsWith(open)) continue;
    const m = new RegExp(`^${esc(open)}([\\s\\S]+?)${esc(close)}([.!?]?)$`).exec(body);
    if (!m) continue;
    const inner = m[1]!;
    if (inner.includes(close) || inner.includes(open) || /^\s|\s$/.test(inner) && open.length === 1 && /[*_]/.test(open)) continue;
    if (!/\p{L}/u.test(inner)) continue;
    return (inner + (/[.!?…]$/.test(inner) ? '' : m[2] ?? '')).trim();
  }
  return body;
}

/** While streaming: an opening quote the passage started with (its close has not come yet). */
function unwrapStart(body: string, draft: DraftView): string {
  const full = unwrap(body, draft);
  if (full !== body || draft.quoted) return full;
  const m = /^(["“«]|\*\*)(?=\p{L})/u.exec(body);
  if (m && !body.slice(m[0].length).includes(m[0] === '“' ? '”' : m[0] === '«' ? '»' : m[0])) return body.slice(m[0].length);
  return body;
}

function wrapperOf(body: string, inner: string): string {
  const at = body.indexOf(inner.slice(0, Math.min(inner.length, 12)));
  const open = at > 0 ? body.slice(0, at) : '';
  const close = body.slice(at + inner.length).replace(/^[.!?]/, '');
  return `${open}…${close}`;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Something a writer could take in place of the draft: words, and not a scrap of a longer draft. */
function usable(body: string, draft: string): boolean {
  const n = words(body).filter((w) => /\p{L}/u.test(w)).length;
  if (n === 0) return false;
  const draftWords = words(draft).length;
  return n >= Math.min(3, draftWords) && n >= Math.ceil(0.2 * draftWords);
}

/** What was cut, in a line a writer reads without opening anything ("the model's preamble “Sure! …”"). */
export function describeRemoved(removed: readonly Removed[], maxChars = 80): string[] {
  const what: Record<RemovedKind, string> = {
    preamble: "the model's preamble",
    commentary: "the model's commentary",
    label: 'a label',
    wrapper: 'quotes around the passage',
    turn: 'a new chat turn',
    repeat: 'a repeated sentence',
    overlong: 'text past twice the draft’s length',
    unfinished: 'an unfinished sentence',
    fragment: 'a fragment too short to stand for the draft',
  };
  return removed.map((r) => {
    const flat = r.text.replace(/\s+/g, ' ');
    const shown = flat.length > maxChars ? flat.slice(0, maxChars - 1) + '…' : flat;
    return r.kind === 'wrapper' ? `${what[r.kind]} (${shown})` : `${what[r.kind]}: “${shown}”`;
  });
}
