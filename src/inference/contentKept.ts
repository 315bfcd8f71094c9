// Did a rewrite keep the draft's meaning? Editor-free and deterministic, so the preview,
// the CLI and an evaluation can all ask it. A rewrite in the writer's voice may change
// every word; what it must not do is drop what the draft says: its content words, its
// names, numbers and negations, and anything it quotes. Scores compare one rewritten
// paragraph with its draft paragraph:
//   - content-word recall: the share of the draft's content words (stop words and filler
//     out, lower-cased, lightly stemmed) that the rewrite still has;
//   - chrF (Popović 2015): character n-gram F-score (n = 1..6, β = 2, spaces ignored),
//     which credits "walked"/"walking" and spelling fixes that word matching misses;
//   - key items: names (capitalised words not at a sentence start), numbers (digits or
//     number words, either form satisfies), negations (not/n't, no, never, without, …:
//     flagged when the rewrite has fewer in all) and quotations (kept word for word).
// A paragraph is flagged, with the reason in words, when recall or chrF falls below its
// threshold or a key item is lost; numbers and names the draft does not have are flagged too.

/** Below this share of the draft's content words kept, a rewrite has lost content. */
export const RECALL_THRESHOLD = 0.6;
/** Below this chrF, little of the draft's wording or word stems is left. */
export const CHRF_THRESHOLD = 0.3;
/** Recall is not judged on drafts with fewer content words than this (one lost word would be 25%+). */
const MIN_WORDS_FOR_RECALL = 4;

export type KeyKind = 'name' | 'number' | 'negation' | 'quotation';

export interface KeyItem {
  kind: KeyKind;
  /** As written in the draft (or in the rewrite, for an added one). */
  text: string;
  /** Offsets in the draft paragraph (lost items) or the rewrite (added ones). */
  start: number;
  end: number;
}

export interface ContentKept {
  /** Share of the draft's content words the rewrite keeps (1 when the draft has none). */
  recall: number;
  /** Share of the rewrite's content words found in the draft (1 when it has none). */
  precision: number;
  /** Character n-gram F-score (β = 2), 0..1. */
  chrF: number;
  /** Draft content words the rewrite does not have (as the draft spells them). */
  missingWords: string[];
  /** Names, numbers, negations and quotations of the draft that the rewrite drops. */
  lost: KeyItem[];
  /** Names and numbers in the rewrite that the draft does not have. */
  added: KeyItem[];
  /** Why the paragraph is flagged, in words ("drops the number 1911"); empty when it is not. */
  flags: string[];
}

// ---- words ----

/** Function words and a rough draft's filler: what a finished rewrite may rightly drop or change. Negations are not here (they are checked on their own). */
const STOP_WORDS = new Set(`
a an the and or but if then than so as at by for from in into of off on onto out over to up upon with within about above after
again against all also am any are aren as be because been before being below between both can could did do does doing down during
each few further had has have having he her here hers herself him himself his how i i'd i'll i'm i've it it's its itself let's me
more most my myself once only other ought our ours ourselves own same she she'd she'll she's should some such that that's their
theirs them themselves there there's these they they'd they'll they're they've this those through too under until very was we
we'd we'll we're we've were what what's when when's where where's which while who who's whom why why's will would you you'd
you'll you're you've your yours yourself yourselves is isnt its' im ive id ill youre theyre thats whats lets
just really actually basically literally pretty quite rather somewhat kind kinda sort sorta stuff thing things lot lots like
get gets got getting gotten very much many one ones even still yet ever already maybe perhaps well oh yeah okay ok
says said say go goes went gone going make makes made making thats
`.split(/\s+/).filter(Boolean));

/** Negations, grouped: "do not" and "don't" are the same negation. Rough drafts drop apostrophes ("dont"). */
const NEGATION_GROUP: ReadonlyMap<string, string> = new Map([
  ...['not', 'cannot', 'dont', 'doesnt', 'didnt', 'isnt', 'wasnt', 'werent', 'arent', 'cant', 'couldnt', 'wouldnt', 'shouldnt',
    'wont', 'havent', 'hasnt', 'hadnt', 'aint', 'mustnt', 'neednt', 'mightnt', 'shant'].map((w) => [w, 'not'] as const),
  ...['no', 'never', 'none', 'nobody', 'nothing', 'nowhere', 'neither', 'nor', 'without', 'noone'].map((w) => [w, w] as const),
]);

const NUMBER_WORDS: ReadonlyMap<string, number> = new Map([
  ['zero', 0], ['one', 1], ['two', 2], ['three', 3], ['four', 4], ['five', 5], ['six', 6], ['seven', 7], ['eight', 8], ['nine', 9],
  ['ten', 10], ['eleven', 11], ['twelve', 12], ['thirteen', 13], ['fourteen', 14], ['fifteen', 15], ['sixteen', 16],
  ['seventeen', 17], ['eighteen', 18], ['nineteen', 19], ['twenty', 20], ['thirty', 30], ['forty', 40], ['fifty', 50],
  ['sixty', 60], ['seventy', 70], ['eighty', 80], ['ninety', 90], ['hundred', 100], ['thousand', 1000], ['million', 1e6],
  ['billion', 1e9], ['dozen', 12],
]);
/** "one" is more often a pronoun ("no one", "one of them") than a count: it satisfies a draft's "1" but is never required. */
const WEAK_NUMBER_WORDS = new Set(['one']);

export interface Word {
  /** As written. */
  text: string;
  /** Lower-cased, curly apostrophes straightened. */
  lower: string;
  start: number;
  end: number;
  /** First word of a sentence (or of the text). */
  sentenceStart: boolean;
}

const TITLES = new Set(['mr', 'mrs', 'ms', 'dr', 'st', 'prof', 'sr', 'jr', 'rev', 'gen', 'capt', 'lt', 'col', 'sgt']);
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*(?:[.,][0-9]+)*/gu;

/** The words of a text, with whether each opens a sentence. */
export function words(text: string): Word[] {
  const out: Word[] = [];
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    const between = text.slice(last, m.index);
    const prev = out[out.length - 1];
    // "Mr. Smith": a period after a title does not end the sentence.
    const afterTitle = prev !== undefined && /^\.\s+$/.test(between) && TITLES.has(prev.lower);
    const sentenceStart = out.length === 0 || (!afterTitle && /[.!?…:;]["'”’)\]]*\s+["'“‘([]*$/u.test(between))
      || /\n[ \t]*\n/.test(between) || /(?:^|\n)\s*(?:[-*+>]|\d+[.)])\s+$/.test(between);
    out.push({ text: m[0], lower: m[0].toLowerCase().replace(/’/g, "'"), start: m.index, end: m.index + m[0].length, sentenceStart });
    last = m.index + m[0].length;
  }
  return out;
}

/** A light stemmer (plurals, -ing, -ed, -ly, final e): enough that "closed" meets "close" and "shops" meets "shop". */
export function stem(word: string): string {
  let w = word.toLowerCase().replace(/’/g, "'").replace(/'s$/, '').replace(/'$/, '');
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length >= 6) w = w.slice(0, -3);
  else if (w.endsWith('ed') && w.length >= 5) w = w.slice(0, -2);
  else if (w.endsWith('ly') && w.length >= 5) w = w.slice(0, -2);
  if (/([b-df-hj-np-tv-z])\1$/.test(w) && !/(ll|ss|zz)$/.test(w)) w = w.slice(0, -1); // stopp → stop
  if (w.endsWith('e') && w.length >= 4) w = w.slice(0, -1);
  return w;
}

function negationGroup(lower: string): string | undefined {
  const w = lower.replace(/'/g, '');
  if (lower.endsWith("n't") || w === 'cannot') return 'not';
  return NEGATION_GROUP.get(w);
}

const isNumberToken = (lower: string) => /^\d/.test(lower);

/** The content words of a text, stemmed (stop words, negations and numbers out). */
export function contentStems(text: string): string[] {
  return words(text).map((w) => w.lower).filter((w) => !STOP_WORDS.has(w) && !STOP_WORDS.has(w.replace(/'/g, ''))
    && negationGroup(w) === undefined && !isNumberToken(w) && !NUMBER_WORDS.has(w) && /\p{L}{2}/u.test(w)).map(stem);
}

/** The draft's own spelling of a stem ("nice" for "nic"), for telling the writer. */
function surfaceOf(text: string, stemmed: string): string {
  return words(text).find((w) => stem(w.lower) === stemmed)?.lower ?? stemmed;
}

// ---- chrF ----

function charNgrams(text: string, n: number): Map<string, number> {
  const counts = new Map<string, number>();
  const chars = [...text];
  for (let i = 0; i + n <= chars.length; i++) {
    const g = chars.slice(i, i + n).join('');
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  return counts;
}

/**
 * chrF of a hypothesis against a reference (Popović, 2015): character n-grams of orders
 * 1..maxN with whitespace removed, precision and recall averaged over the orders, then
 * F with β = 2 (recall weighs twice as much). Lower-cased: a draft's "i" is not lost content.
 */
export function chrF(hypothesis: string, reference: string, maxN = 6, beta = 2): number {
  const hyp = hypothesis.toLowerCase().replace(/\s+/g, '');
  const ref = reference.toLowerCase().replace(/\s+/g, '');
  if (hyp === '' && ref === '') return 1;
  if (hyp === '' || ref === '') return 0;
  let pSum = 0;
  let rSum = 0;
  let orders = 0;
  for (let n = 1; n <= maxN; n++) {
    const h = charNgrams(hyp, n);
    const r = charNgrams(ref, n);
    const hTotal = Math.max(0, [...hyp].length - n + 1);
    const rTotal = Math.max(0, [...ref].length - n + 1);
    if (hTotal === 0 || rTotal === 0) break; // orders longer than either text do not count
    let match = 0;
    for (const [g, c] of h) match += Math.min(c, r.get(g) ?? 0);
    pSum += match / hTotal;
    rSum += match / rTotal;
    orders++;
  }
  if (orders === 0) return 0;
  const p = pSum / orders;
  const r = rSum / orders;
  if (p === 0 && r === 0) return 0;
  const b2 = beta * beta;
  return ((1 + b2) * p * r) / (b2 * p + r);
}

// ---- key items ----

/** Names: capitalised words not opening a sentence, plus sentence openers the text also capitalises mid-sentence. "I" is no name. */
export function names(text: string): KeyItem[] {
  const ws = words(text);
  const isCap = (w: Word) => /^\p{Lu}/u.test(w.text) && /\p{L}/u.test(w.text);
  const midCaps = new Set(ws.filter((w) => !w.sentenceStart && isCap(w)).map((w) => baseName(w.lower)));
  return ws.filter((w) => isCap(w) && !/^i(?:'|’|$)/i.test(w.text) && (!w.sentenceStart || midCaps.has(baseName(w.lower))))
    .map((w) => ({ kind: 'name' as const, text: w.text.replace(/['’]s$/, ''), start: w.start, end: w.end }));
}

const baseName = (lower: string) => lower.replace(/'s$/, '');

interface NumberItem extends KeyItem { value: number }

/** Numbers written in digits ("1911", "3.5", "12,000", "40%") or words ("twelve", "twenty-five"). */
export function numbers(text: string): NumberItem[] {
  const out: NumberItem[] = [];
  for (const m of text.matchAll(/\d[\d,]*(?:\.\d+)?/g)) {
    const value = Number(m[0].replace(/,/g, '').replace(/\.$/, ''));
    if (Number.isFinite(value)) out.push({ kind: 'number', text: m[0].replace(/[.,]$/, ''), start: m.index, end: m.index + m[0].replace(/[.,]$/, '').length, value });
  }
  for (const m of text.matchAll(/\b([a-z]+)(?:-([a-z]+))?\b/gi)) {
    const a = NUMBER_WORDS.get(m[1]!.toLowerCase());
    if (a === undefined) continue;
    const b = m[2] ? NUMBER_WORDS.get(m[2].toLowerCase()) : undefined;
    if (m[2] && b === undefined) continue;
    out.push({ kind: 'number', text: m[0], start: m.index, end: m.index + m[0].length, value: a + (b ?? 0) });
  }
  return out.sort((x, y) => x.start - y.start);
}

interface NegationItem extends KeyItem { group: string }

export function negations(text: string): NegationItem[] {
  return words(text).flatMap((w) => {
    const group = negationGroup(w.lower);
    return group ? [{ kind: 'negation' as const, text: w.text, start: w.start, end: w.end, group }] : [];
  });
}

/** Quoted spans: “…”, "…", and ‘…’ when it holds more than one word (a lone ’ is an apostrophe). */
export function quotations(text: string): KeyItem[] {
  const out: KeyItem[] = [];
  const pattern = /“([^”\n]{1,400})”|"([^"\n]{1,400})"|‘([^’\n]*\s[^’\n]*)’|(?<![\p{L}\p{N}])'([^'\n]*\s[^'\n]*)'(?![\p{L}\p{N}])/gu;
  for (const m of text.matchAll(pattern)) {
    const inner = m[1] ?? m[2] ?? m[3] ?? m[4] ?? '';
    if (!/\p{L}/u.test(inner)) continue;
    out.push({ kind: 'quotation', text: inner, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

const normalise = (s: string) => s.toLowerCase().replace(/[’‘]/g, "'").replace(/[“”]/g, '"').replace(/\s+/g, ' ').trim();
const quoteBody = (s: string) => normalise(s).replace(/^[\s.,;:!?…-]+|[\s.,;:!?…-]+$/g, '');

// ---- the comparison ----

/** How much of the draft paragraph's content the rewritten paragraph keeps, and what it drops. */
export function contentKept(draft: string, rewrite: string): ContentKept {
  const draftStems = new Set(contentStems(draft));
  const rewriteStems = new Set(contentStems(rewrite));
  const missingWords = [...draftStems].filter((s) => !rewriteStems.has(s)).map((s) => surfaceOf(draft, s));
  const recall = draftStems.size === 0 ? 1 : (draftStems.size - missingWords.length) / draftStems.size;
  const precision = rewriteStems.size === 0 ? 1 : [...rewriteStems].filter((s) => draftStems.has(s)).length / rewriteStems.size;
  const score = chrF(rewrite, draft);

  const lost: KeyItem[] = [];
  const added: KeyItem[] = [];
  const rewriteWords = new Set(words(rewrite).map((w) => baseName(w.lower)));
  const draftWords = new Set(words(draft).map((w) => baseName(w.lower)));

  const seenNames = new Set<string>();
  for (const n of names(draft)) {
    const key = baseName(n.text.toLowerCase().replace(/’/g, "'"));
    if (seenNames.has(key)) continue;
    seenNames.add(key);
    if (!rewriteWords.has(key)) lost.push(n);
  }
  const seenAdded = new Set<string>();
  for (const n of names(rewrite)) {
    const key = baseName(n.text.toLowerCase().replace(/’/g, "'"));
    if (!draftWords.has(key) && !STOP_WORDS.has(key) && !seenAdded.has(key)) {
      seenAdded.add(key);
      added.push(n);
    }
  }

  const rewriteNumbers = numbers(rewrite);
  const rewriteValues = new Set(rewriteNumbers.map((n) => n.value));
  const draftNumbers = numbers(draft);
  const draftValues = new Set(draftNumbers.map((n) => n.value));
  const seenValues = new Set<number>();
  for (const n of draftNumbers) {
    if (seenValues.has(n.value) || WEAK_NUMBER_WORDS.has(n.text.toLowerCase())) continue;
    seenValues.add(n.value);
    if (!rewriteValues.has(n.value)) lost.push(n);
  }
  for (const n of rewriteNumbers) {
    if (draftValues.has(n.value) || WEAK_NUMBER_WORDS.has(n.text.toLowerCase()) || seenValues.has(n.value)) continue;
    seenValues.add(n.value);
    added.push(n);
  }

  const draftNeg = negations(draft);
  const rewriteNeg = negations(rewrite);
  if (rewriteNeg.length < draftNeg.length) {
    const left = new Map<string, number>();
    for (const n of rewriteNeg) left.set(n.group, (left.get(n.group) ?? 0) + 1);
    for (const n of draftNeg) {
      const k = left.get(n.group) ?? 0;
      if (k > 0) left.set(n.group, k - 1);
      else lost.push(n);
    }
  }

  const rewriteText = normalise(rewrite);
  for (const q of quotations(draft)) {
    if (!rewriteText.includes(quoteBody(q.text))) lost.push(q);
  }

  lost.sort((a, b) => a.start - b.start);
  const flags: string[] = [];
  if (draftStems.size >= MIN_WORDS_FOR_RECALL && recall < RECALL_THRESHOLD) {
    flags.push(`loses the draft's words: ${missingWords.slice(0, 6).join(', ')}${missingWords.length > 6 ? ', …' : ''} (${Math.round(recall * 100)}% kept)`);
  }
  if (draft.trim().length >= 20 && score < CHRF_THRESHOLD) flags.push(`little of the draft's wording is left (chrF ${score.toFixed(2)})`);
  for (const item of lost) flags.push(lostReason(item));
  const addedNumbers = added.filter((a) => a.kind === 'number');
  const addedNames = added.filter((a) => a.kind === 'name');
  if (addedNumbers.length > 0) flags.push(`adds ${addedNumbers.length === 1 ? 'the number' : 'the numbers'} ${addedNumbers.map((a) => a.text).join(', ')}, not in the draft`);
  if (addedNames.length > 0) flags.push(`adds ${addedNames.length === 1 ? 'the name' : 'the names'} ${addedNames.map((a) => a.text).join(', ')}, not in the draft`);
  return { recall, precision, chrF: score, missingWords, lost, added, flags };
}

function lostReason(item: KeyItem): string {
  switch (item.kind) {
    case 'name': return `drops the name ${item.text}`;
    case 'number': return `drops the number ${item.text}`;
    case 'negation': return `drops '${item.text}'`;
    case 'quotation': return `changes or drops the quotation “${item.text.length > 60 ? item.text.slice(0, 57) + '…' : item.text}”`;
  }
}
