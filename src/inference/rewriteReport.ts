// A rewrite's reports in words, for the preview, the notification, the log and the CLI:
// what was cut from the model's output, which paragraphs may change the draft's meaning
// and why, and which kept their draft because nothing usable came back. Editor-free.
import { describeRemoved, type Removed } from './rewriteCleanup';
import type { ParagraphReport, RewriteResult } from './rewriteService';

export interface ParagraphNotes {
  /** "paragraph 2" (or "the paragraph" when there is only one). */
  name: string;
  /** Nothing usable came back: why the draft stays. */
  kept?: string;
  /** What was cut from the model's output, one line each. */
  removed: string[];
  /** Why its meaning may have changed, one reason each. */
  flags: string[];
  /** The content figures, e.g. "content kept: 82% of the draft's content words, chrF 0.61". */
  score?: string;
  /** Which of several rewrites is shown, e.g. "rewrite 1 of 3, ranked by how much each sounds like you (71%, 64%, 40%)". */
  choice?: string;
}

const KIND_WORDS: Record<Removed['kind'], string> = {
  preamble: 'preamble', commentary: 'commentary', label: 'labels', wrapper: 'quotes', turn: 'a new chat turn', repeat: 'repeats',
  overlong: 'overrun', unfinished: 'an unfinished sentence', fragment: 'a fragment',
};

export function paragraphNotes(report: ParagraphReport, total: number): ParagraphNotes {
  const name = total === 1 ? 'the paragraph' : `paragraph ${report.index + 1}`;
  if (report.keptDraft) {
    const kinds = [...new Set(report.removed.map((r) => KIND_WORDS[r.kind]))];
    const said = report.removed.map((r) => r.text).join(' ').replace(/\s+/g, ' ');
    const wrote = report.removed.length > 0
      ? ` (the model wrote only ${joinWords(kinds)}: “${said.length > 100 ? said.slice(0, 99) + '…' : said}”)`
      : ' (the model wrote nothing)';
    return { name, kept: `nothing usable came back, so it stays as drafted${wrote}`, removed: [], flags: [] };
  }
  const c = report.content;
  return {
    name,
    removed: describeRemoved(report.removed),
    flags: c?.flags ?? [],
    score: c ? `content kept: ${Math.round(c.recall * 100)}% of the draft's content words, chrF ${c.chrF.toFixed(2)}` : undefined,
    choice: candidateChoice(report),
  };
}

/** Which candidate is shown and how they rank (undefined with only one). */
function candidateChoice(report: ParagraphReport): string | undefined {
  const all = report.candidates;
  if (all.length < 2) return undefined;
  const scores = all.every((c) => c.voice !== undefined) ? ` (${all.map((c) => `${Math.round(c.voice! * 100)}%`).join(', ')})` : '';
  const how = scores ? 'ranked by how much each sounds like you' : 'in the order written (this voice has no voice score)';
  return `rewrite ${report.chosen + 1} of ${all.length}, ${how}${scores}`;
}

/** Paragraphs whose rewrite may change the draft's meaning. */
export const flaggedReports = (result: RewriteResult): ParagraphReport[] => result.reports.filter((r) => (r.content?.flags.length ?? 0) > 0);

/** Nothing usable came back for any paragraph: the draft stays as it is. */
export const nothingUsable = (result: RewriteResult): boolean => result.paragraphs > 0 && result.unchanged === result.paragraphs;

/**
 * One sentence for the notification, after "the rewrite is ready": the flags first (they
 * ask the writer to look), then the paragraphs kept as drafted, then what was cut.
 */
export function rewriteSummary(result: RewriteResult): string {
  const total = result.paragraphs;
  const parts: string[] = [];
  const flagged = flaggedReports(result);
  if (flagged.length > 0) {
    const first = paragraphNotes(flagged[0]!, total);
    const which = total === 1 ? 'it' : flagged.length === 1 ? first.name : `${flagged.length} of ${total} paragraphs`;
    parts.push(`⚠ check the meaning: ${which} ${flagged.length === 1 || total === 1 ? first.flags.slice(0, 2).join(', ') : 'may change what the draft says'}`);
  }
  if (result.unchanged > 0) {
    parts.push(total === 1 ? 'nothing usable came back, so the draft stays' : `${result.unchanged} of ${total} paragraphs stay as drafted (nothing usable came back)`);
  }
  const cut = result.reports.filter((r) => !r.keptDraft && r.removed.length > 0);
  if (cut.length > 0) {
    const kinds = new Set(cut.flatMap((r) => r.removed.map((x) => x.kind)));
    const what = [kinds.has('preamble') || kinds.has('label') ? 'preamble' : '', kinds.has('commentary') || kinds.has('turn') ? 'commentary' : '',
      kinds.has('wrapper') ? 'quotes' : '', kinds.has('repeat') ? 'repeats' : '', kinds.has('overlong') || kinds.has('unfinished') ? 'overrun' : '']
      .filter(Boolean);
    parts.push(`the model's ${what.length > 0 ? joinWords(what) : 'extra text'} ${what.length > 1 || what[0] === 'repeats' ? 'were' : 'was'} left out`);
  }
  return parts.join('; ');
}

/** The lines a log or a terminal shows under a rewrite. */
export function rewriteLines(result: RewriteResult): string[] {
  const lines: string[] = [];
  for (const r of result.reports) {
    const n = paragraphNotes(r, result.paragraphs);
    if (n.kept) lines.push(`${n.name}: ${n.kept}`);
    for (const line of n.removed) lines.push(`${n.name}: cut ${line}`);
    if (n.score) lines.push(`${n.name}: ${n.score}${n.flags.length > 0 ? ` — ⚠ ${n.flags.join('; ')}` : ''}`);
    if (n.choice) lines.push(`${n.name}: ${n.choice}`);
  }
  return lines;
}

function joinWords(words: string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
