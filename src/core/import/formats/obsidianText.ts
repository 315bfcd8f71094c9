// One Obsidian note → plain markdown: `[[links]]` become their text, `![[embeds]]`
// and `%%comments%%` go (listed), callouts lose their `[!type]` marker (quote and
// cite callouts stay block quotes: someone else's words), `==highlights==` and block
// ids lose their marks, and `#tags` move into the front matter. Code is left alone.

import { readFrontMatter } from '../../corpus/front-matter';
import { excerpt, normalizeNewlines } from '../../corpus/text';
import { cleanTags } from '../pieces';
import type { RemovedPart } from '../types';

export interface ObsidianNote {
  frontMatter: Record<string, unknown>;
  markdown: string;
  /** Tags from the front matter and the text, in order. */
  tags: string[];
  removed: RemovedPart[];
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;
const CALLOUT = /^(\s*>\s?)\[!([A-Za-z][\w-]*)\][+-]?\s*(.*)$/;
const QUOTE_CALLOUTS = new Set(['quote', 'cite']);
const TAG = /(^|[\s(])#([\p{L}_][\p{L}\p{N}_/-]*)/gu;
const TRAILING_TAGS = /(?:\s+#[\p{L}_][\p{L}\p{N}_/-]*)+\s*$/u;
const TAGS_ONLY = /^\s*(?:#[\p{L}_][\p{L}\p{N}_/-]*\s*)+$/u;

export function convertObsidianNote(source: string): ObsidianNote {
  const { yaml, body } = splitFrontMatter(normalizeNewlines(source).replace(/^\uFEFF/, ''));
  const frontMatter = yaml === undefined ? {} : readFrontMatter(yaml).fields;
  const removed: RemovedPart[] = [];
  const tags: string[] = [];
  const out: string[] = [];
  let fence: string | undefined;
  let inComment = false;
  /** `>` prefix of the callout being unwrapped, when inside one. */
  let unwrapping: string | undefined;

  for (const raw of body.split('\n')) {
    if (fence) {
      out.push(raw);
      if (raw.trim().startsWith(fence)) fence = undefined;
      continue;
    }
    const fenceOpen = FENCE.exec(raw);
    if (fenceOpen && !inComment) {
      fence = fenceOpen[1];
      unwrapping = undefined;
      out.push(raw);
      continue;
    }
    const line = stripComments(raw, inComment, removed);
    inComment = line.inComment;
    if (line.text === undefined) continue;
    let text = line.text;

    const callout = CALLOUT.exec(text);
    if (callout) {
      const [, prefix = '> ', type = '', title = ''] = callout;
      if (QUOTE_CALLOUTS.has(type.toLowerCase())) {
        unwrapping = undefined;
        if (title.trim() === '') continue;
        text = `${prefix}${title}`;
      } else {
        unwrapping = prefix.trimEnd();
        if (title.trim() === '' || title.trim().toLowerCase() === type.toLowerCase()) continue;
        out.push(`**${title.trim()}**`, '');
        continue;
      }
    } else if (unwrapping !== undefined) {
      if (text.trimStart().startsWith('>')) text = text.trimStart().slice(1).replace(/^ /, '');
      else unwrapping = undefined;
    }
    // A line that lost a comment or a tag loses the space before it (a line left as it was keeps its own).
    const marked = inlineMarks(text, tags, removed);
    out.push(marked === text && line.text === raw ? marked : marked.replace(/[ \t]+$/, ''));
  }

  const fmTags = [frontMatter.tags, frontMatter.tag].flatMap((v) => (Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[,\s]+/) : []));
  return { frontMatter, markdown: out.join('\n').replace(/\n{3,}/g, '\n\n').trim(), tags: cleanTags([...fmTags, ...tags]), removed };
}

function splitFrontMatter(text: string): { yaml?: string; body: string } {
  if (!text.startsWith('---\n')) return { body: text };
  const end = /\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(text.slice(3));
  if (!end) return { body: text };
  return { yaml: text.slice(4, 3 + end.index), body: text.slice(3 + end.index + end[0].length) };
}

/** Cuts `%%…%%` (which may span lines); `text` undefined when the whole line was inside a comment. */
function stripComments(line: string, inComment: boolean, removed: RemovedPart[]): { text: string | undefined; inComment: boolean } {
  let out = '';
  let rest = line;
  let inside = inComment;
  let touched = inComment;
  while (rest.length > 0) {
    const at = rest.indexOf('%%');
    if (inside) {
      if (at < 0) return { text: touched && out.trim() === '' ? undefined : out, inComment: true };
      rest = rest.slice(at + 2);
      if (out === '') rest = rest.trimStart(); // the end of a comment that began on an earlier line
      inside = false;
    } else {
      if (at < 0) {
        out += rest;
        break;
      }
      out += rest.slice(0, at);
      rest = rest.slice(at + 2);
      const close = rest.indexOf('%%');
      removed.push({ kind: 'private comment', text: excerpt((close < 0 ? rest : rest.slice(0, close)).trim(), 120) });
      inside = true;
      touched = true;
    }
  }
  return { text: touched && out.trim() === '' ? undefined : out, inComment: inside };
}

/** Links, embeds, highlights, block ids and tags on one line, leaving inline code alone. */
function inlineMarks(line: string, tags: string[], removed: RemovedPart[]): string {
  if (TAGS_ONLY.test(line) && !/^\s*#+\s/.test(line)) {
    for (const m of line.matchAll(TAG)) tags.push(m[2] ?? '');
    return '';
  }
  const parts = line.split(/(`[^`]*`)/);
  const cleaned = parts.map((part, i) => {
    if (i % 2 === 1) return part;
    let t = part.replace(/!\[\[([^\]]*)\]\]/g, (_m, target: string) => {
      removed.push({ kind: 'embed', text: target });
      return '';
    });
    t = t.replace(/\[\[([^\]|]*)(?:\|([^\]]*))?\]\]/g, (_m, target: string, alias?: string) => linkText(target, alias));
    t = t.replace(/==([^=\n]+)==/g, '$1');
    return t;
  });
  let text = cleaned.join('').replace(/\s\^[A-Za-z0-9-]+\s*$/, '');
  const trailing = TRAILING_TAGS.exec(text);
  if (trailing && text.slice(0, trailing.index).trim() !== '') {
    for (const m of trailing[0].matchAll(TAG)) tags.push(m[2] ?? '');
    text = text.slice(0, trailing.index);
  }
  if (/^\s{0,3}#+\s/.test(text)) return text; // a heading keeps its own `#`s; tags inside it are rare
  return text.replace(TAG, (_m, before: string, tag: string) => {
    tags.push(tag);
    return `${before}${tag.split('/').pop() ?? tag}`;
  });
}

/** What Obsidian shows for a link: the alias, else the note's name (a heading link: the heading). */
function linkText(target: string, alias: string | undefined): string {
  if (alias !== undefined && alias.trim() !== '') return alias.trim();
  const [note = '', heading] = target.split('#');
  const name = note.split('/').pop()?.replace(/\.md$/i, '') ?? '';
  if (name === '' && heading) return heading.replace(/^\^/, '').trim();
  return name.trim();
}
