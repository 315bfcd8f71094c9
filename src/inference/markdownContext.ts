// What kind of markdown the cursor is in. Ghost text is for prose: it stays off in
// front matter and fenced code blocks, and those are cut out of the prompt too
// (the raw-continuation training segments are plain prose paragraphs).

export type TextRegion = 'prose' | 'frontMatter' | 'code';

const FRONT_MATTER_OPEN = /^(---|\+\+\+)[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

interface Span { start: number; end: number; region: Exclude<TextRegion, 'prose'> }

/** Front matter and fenced code blocks of `text`, as character spans (end exclusive, to the end of the closing line). */
export function nonProseSpans(text: string): Span[] {
  const spans: Span[] = [];
  const lines = text.split('\n');
  const offsets: number[] = [];
  let offset = 0;
  for (const line of lines) { offsets.push(offset); offset += line.length + 1; }
  const lineEnd = (k: number) => offsets[k]! + lines[k]!.length + (k < lines.length - 1 ? 1 : 0);
  let i = 0;

  const first = lines[0]?.match(FRONT_MATTER_OPEN);
  if (first) {
    const close = lines.findIndex((l, k) => k > 0 && l.trimEnd() === first[1]);
    // An unclosed front matter is still being typed: everything below is front matter.
    const last = close < 0 ? lines.length - 1 : close;
    spans.push({ start: 0, end: lineEnd(last), region: 'frontMatter' });
    i = last + 1;
  }
  for (; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const marker = open[1]!;
    let j = i + 1;
    // A fence closes with at least as many of the same character and nothing else (CommonMark 4.5).
    while (j < lines.length && !new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`).test(lines[j]!)) j++;
    const last = Math.min(j, lines.length - 1);
    spans.push({ start: offsets[i]!, end: lineEnd(last), region: 'code' });
    i = last;
  }
  return spans;
}

/** The region the cursor at `offset` is in. A cursor on a fence's own line counts as code. */
export function regionAt(text: string, offset: number): TextRegion {
  for (const s of nonProseSpans(text)) {
    if (offset >= s.start && (offset < s.end || (offset === s.end && !text.slice(s.start, s.end).endsWith('\n')))) return s.region;
  }
  return 'prose';
}

/** The text with front matter and code blocks removed (a blank line stands in for each). */
export function proseOnly(text: string): string {
  let out = '';
  let at = 0;
  for (const s of nonProseSpans(text)) {
    out += text.slice(at, s.start) + '\n';
    at = s.end;
  }
  return (out + text.slice(at)).replace(/\n{3,}/g, '\n\n');
}
