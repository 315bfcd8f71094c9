// One markdown essay → its metadata and its prose, block by block. Prose is what the
// writer wrote in sentences: paragraphs, headings, quotes and lists (as text). Code,
// HTML, images, tables, footnotes and link URLs are not their voice and go.

import type { List, ListItem, Parent, PhrasingContent, Root, RootContent } from 'mdast';
import { readFrontMatter } from './front-matter';
import type { MarkdownParser } from './markdown';
import { checkTreeDepth } from './parseGuard';
import { PLACEHOLDER, withPlaceholders, type PlaceholderDocument, type PlainBlock } from './plain-paragraphs';
import { isBareUrl, type SimpleInline } from './simple-inline';
import { normalizeNewlines } from './text';

export type BlockKind = 'paragraph' | 'heading' | 'quote' | 'list';

export interface ProseBlock {
  kind: BlockKind;
  /** Clean text: no markdown syntax; lines inside a block (verse, list items) separated by `\n`. */
  text: string;
  /** Heading level, for headings. */
  depth?: number;
  /** Made only of links (navigation, "follow me" rows): boilerplate, removed later and counted. */
  linkOnly?: boolean;
}

export interface RemovedMarkup {
  codeBlocks: number;
  html: number;
  images: number;
  tables: number;
  footnotes: number;
  linkUrls: number;
}

export interface ParsedEssay {
  title?: string;
  titleFrom?: 'front matter' | 'heading' | 'file name';
  subtitle?: string;
  /** The essay's claim in a sentence, when the front matter states one (`thesis:`). */
  thesis?: string;
  date?: string;
  tags: string[];
  frontMatter: Record<string, unknown>;
  blocks: ProseBlock[];
  removed: RemovedMarkup;
  /** Problems worth telling the writer about (broken front matter…), without the file name. */
  warnings: string[];
}

export function parseEssay(source: string, filePath: string, parse: MarkdownParser): ParsedEssay {
  const markdown = normalizeNewlines(source);
  const { root, plain } = parseFast(markdown, parse);
  checkTreeDepth(root); // before anything below walks it recursively
  const removed: RemovedMarkup = { codeBlocks: 0, html: 0, images: 0, tables: 0, footnotes: 0, linkUrls: 0 };
  const warnings: string[] = [];

  let frontMatter: Record<string, unknown> = {};
  const yamlNode = root.children.find((n) => n.type === 'yaml');
  if (yamlNode && yamlNode.type === 'yaml') {
    const read = readFrontMatter(yamlNode.value);
    frontMatter = read.fields;
    if (read.warning) warnings.push(read.warning);
  }

  const blocks = new BlockCollector(removed, plain, filePath.toLowerCase().endsWith('.mdx')).collect(root.children);
  const essay: ParsedEssay = { tags: readTags(frontMatter), frontMatter, blocks, removed, warnings };
  assignTitle(essay, filePath);
  const subtitle = firstString(frontMatter, ['subtitle', 'description', 'summary', 'excerpt', 'dek']);
  if (subtitle) essay.subtitle = subtitle;
  const thesis = firstString(frontMatter, ['thesis', 'claim']);
  if (thesis) essay.thesis = thesis;
  const date = readDate(frontMatter, filePath);
  if (date) essay.date = date;
  return essay;
}

/** Parses with placeholders for syntax-free paragraphs; falls back to a whole parse if anything looks off. */
export function parseFast(markdown: string, parse: MarkdownParser): { root: Root; plain: PlainBlock[][] } {
  const swapped = withPlaceholders(markdown);
  if (swapped?.onlyPlaceholders) return { root: placeholderRoot(swapped), plain: swapped.blocks };
  if (swapped) {
    const root = parse(swapped.markdown);
    let found = 0;
    for (const node of root.children) if (placeholderIndex(node) !== undefined) found++;
    if (found === swapped.blocks.length) return { root, plain: swapped.blocks };
  }
  return { root: parse(markdown), plain: [] };
}

/** The tree remark would build for front matter and placeholders alone, without calling it. */
function placeholderRoot(doc: PlaceholderDocument): Root {
  const children: RootContent[] = [];
  if (doc.frontMatter !== undefined) children.push({ type: 'yaml', value: doc.frontMatter });
  doc.blocks.forEach((_, i) => children.push({ type: 'paragraph', children: [{ type: 'text', value: `vdplainq${i}q` }] }));
  return { type: 'root', children };
}

function placeholderIndex(node: RootContent): number | undefined {
  if (node.type !== 'paragraph' || node.children.length !== 1) return undefined;
  const only = node.children[0];
  if (only?.type !== 'text') return undefined;
  const m = PLACEHOLDER.exec(only.value);
  return m ? Number(m[1]) : undefined;
}

/** Blocks that are not prose: left out, and counted. */
const COUNTED_BLOCKS: Partial<Record<RootContent['type'], keyof RemovedMarkup>> = {
  code: 'codeBlocks', html: 'html', table: 'tables', footnoteDefinition: 'footnotes',
};

class BlockCollector {
  private readonly blocks: ProseBlock[] = [];

  constructor(
    private readonly removed: RemovedMarkup,
    private readonly plain: PlainBlock[][],
    private readonly isMdx: boolean,
  ) {}

  collect(nodes: RootContent[]): ProseBlock[] {
    this.visit(nodes, 'paragraph');
    return this.blocks;
  }

  private visit(nodes: RootContent[], paragraphKind: 'paragraph' | 'quote'): void {
    for (const node of nodes) {
      const counted = COUNTED_BLOCKS[node.type];
      if (counted) {
        this.removed[counted]++;
        continue;
      }
      switch (node.type) {
        case 'paragraph': {
          const index = paragraphKind === 'paragraph' && this.plain.length > 0 ? placeholderIndex(node) : undefined;
          if (index !== undefined) {
            for (const block of this.plain[index] ?? []) this.pushPlain(block);
            break;
          }
          const inline = this.inline(node.children);
          if (this.isMdx && /^(?:import|export)\s/.test(inline.text)) break; // MDX module lines
          this.push(paragraphKind, inline);
          break;
        }
        case 'heading':
          this.pushHeading(this.inline(node.children), node.depth);
          break;
        case 'blockquote':
          this.visit(node.children, 'quote');
          break;
        case 'list': {
          const lines: string[] = [];
          const linkOnly = this.listLines(node, '', lines);
          this.pushList(lines, linkOnly);
          break;
        }
        case 'yaml':
        case 'definition':
        case 'thematicBreak':
          break;
        default:
          if ('children' in node) this.visit((node as Parent).children as RootContent[], paragraphKind);
      }
    }
  }

  /** A block the fast path resolved, added exactly as remark's tree of it would be. */
  private pushPlain(block: PlainBlock): void {
    switch (block.kind) {
      case 'footnote':
        this.removed.footnotes++;
        return;
      case 'code':
        this.removed.codeBlocks++;
        return;
      case 'list': {
        const lines: string[] = [];
        let allLinks = true;
        block.items.forEach((item, i) => {
          const inline = this.plainInline(item);
          const text = inline.linkOnly ? inline.visible : inline.text;
          if (!text) return;
          allLinks &&= inline.linkOnly;
          lines.push(`${block.ordered ? `${block.start + i}. ` : '- '}${text.replace(/\n/g, '\n  ')}`);
        });
        this.pushList(lines, allLinks);
        return;
      }
      case 'heading':
        this.pushHeading(this.plainInline(block.inline), block.depth);
        return;
      default:
        this.push(block.kind, this.plainInline(block.inline));
    }
  }

  private plainInline({ prose, visible, outside, links }: SimpleInline): InlineText {
    this.removed.linkUrls += links;
    const text = tidy(prose);
    return { text, visible: visible === prose ? text : tidy(visible), linkOnly: links > 0 && LINK_SEPARATORS.test(outside) };
  }

  private pushHeading(inline: InlineText, depth: number): void {
    if (inline.text) this.blocks.push({ kind: 'heading', text: inline.text, depth });
  }

  private pushList(lines: string[], linkOnly: boolean): void {
    const text = lines.join('\n');
    if (text) this.blocks.push(linkOnly ? { kind: 'list', text, linkOnly } : { kind: 'list', text });
  }

  private push(kind: BlockKind, inline: InlineText): void {
    if (inline.linkOnly) {
      if (inline.visible) this.blocks.push({ kind, text: inline.visible, linkOnly: true });
    } else if (inline.text) {
      this.blocks.push({ kind, text: inline.text });
    }
  }

  /** Appends the list's items as lines ("- item", "2. item", nested ones indented); true when every item is only links. */
  private listLines(list: List, indent: string, lines: string[]): boolean {
    let allLinks = true;
    list.children.forEach((item: ListItem, i) => {
      const marker = list.ordered ? `${(list.start ?? 1) + i}. ` : '- ';
      let first = true;
      for (const child of item.children) {
        if (child.type === 'list') {
          allLinks = this.listLines(child, `${indent}  `, lines) && allLinks;
        } else if (child.type === 'paragraph' || child.type === 'heading') {
          const inline = this.inline(child.children);
          const text = inline.linkOnly ? inline.visible : inline.text;
          if (!text) continue;
          allLinks &&= inline.linkOnly;
          lines.push(`${indent}${first ? marker : '  '}${text.replace(/\n/g, `\n${indent}  `)}`);
          first = false;
        } else if (child.type === 'code') {
          this.removed.codeBlocks++;
        } else if (child.type === 'html') {
          this.removed.html++;
        } else if (child.type === 'blockquote' || child.type === 'table') {
          if (child.type === 'table') this.removed.tables++;
          else {
            const nested = new BlockCollector(this.removed, [], this.isMdx).collect(child.children);
            for (const b of nested) lines.push(`${indent}  ${b.text}`);
            allLinks = false;
          }
        }
      }
    });
    return allLinks && lines.length > 0;
  }

  private inline(nodes: PhrasingContent[]): InlineText {
    const acc: InlineAccumulator = { prose: '', visible: '', links: 0, otherText: '' };
    this.phrasing(nodes, acc, false);
    const text = tidy(acc.prose);
    const linkOnly = acc.links > 0 && LINK_SEPARATORS.test(acc.otherText);
    return { text, visible: tidy(acc.visible), linkOnly };
  }

  private phrasing(nodes: PhrasingContent[], acc: InlineAccumulator, inLink: boolean): void {
    for (const node of nodes) {
      switch (node.type) {
        case 'text':
        case 'inlineCode': {
          const value = node.value.replace(/\n/g, ' ');
          acc.prose += value;
          acc.visible += value;
          if (!inLink) acc.otherText += value;
          break;
        }
        case 'break':
          acc.prose += '\n';
          acc.visible += '\n';
          break;
        case 'emphasis':
        case 'strong':
          this.phrasing(node.children, acc, inLink);
          break;
        case 'delete':
          break; // struck-out text is what the writer took back
        case 'link':
        case 'linkReference': {
          acc.links++;
          const inner: InlineAccumulator = { prose: '', visible: '', links: 0, otherText: '' };
          this.phrasing(node.children, inner, true);
          if (node.type === 'link') this.removed.linkUrls++;
          if (node.type === 'link' && isBareUrl(inner.visible, node.url)) {
            acc.visible += inner.visible; // a bare URL: nothing to keep in the prose
          } else {
            acc.prose += inner.prose;
            acc.visible += inner.visible;
          }
          break;
        }
        case 'image':
        case 'imageReference':
          this.removed.images++;
          break;
        case 'footnoteReference':
          break; // the marker only; the note itself is counted with the definitions
        case 'html':
          this.removed.html++;
          break;
        default:
          if ('children' in node) this.phrasing((node as { children: PhrasingContent[] }).children, acc, inLink);
      }
    }
  }
}

interface InlineAccumulator {
  prose: string;
  visible: string;
  links: number;
  otherText: string;
}

interface InlineText {
  /** The prose, link URLs gone. */
  text: string;
  /** What a reader sees, bare URLs included: how link-only lines are shown in the report. */
  visible: string;
  linkOnly: boolean;
}

/** What may sit between links on a link-only line: "Twitter · GitHub | RSS". */
const LINK_SEPARATORS = /^[\s|·•,;:()[\]/\\\-–—.]*$/u;

/** Line breaks and tabs inside; the ends are checked by character code (an anchored `\s$` scans the whole text). */
const INNER_WHITESPACE = /[\t\n\r\f\v]/;

function needsTidying(text: string): boolean {
  return isSpaceCode(text.charCodeAt(0)) || isSpaceCode(text.charCodeAt(text.length - 1)) || text.includes('  ') || INNER_WHITESPACE.test(text);
}

/** What `\s` matches, by code. */
function isSpaceCode(c: number): boolean {
  return (
    c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** Collapses runs of spaces, trims each line, drops empty lines. */
export function tidy(text: string): string {
  if (!text) return '';
  if (!needsTidying(text)) return text; // most paragraphs: one line, single spaces
  return text
    .replace(/[ \t]+/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join('\n');
}

function assignTitle(essay: ParsedEssay, filePath: string): void {
  const fromFrontMatter = firstString(essay.frontMatter, ['title']);
  const first = essay.blocks[0];
  if (fromFrontMatter) {
    essay.title = fromFrontMatter;
    essay.titleFrom = 'front matter';
    // The same title repeated as the first heading is not part of the prose.
    if (first?.kind === 'heading' && sameText(first.text, fromFrontMatter)) essay.blocks.shift();
    return;
  }
  if (first?.kind === 'heading') {
    essay.title = first.text;
    essay.titleFrom = 'heading';
    essay.blocks.shift();
    return;
  }
  const h1 = essay.blocks.find((b) => b.kind === 'heading' && b.depth === 1);
  if (h1) {
    essay.title = h1.text;
    essay.titleFrom = 'heading';
    return;
  }
  const fromName = titleFromFileName(filePath);
  if (fromName) {
    essay.title = fromName;
    essay.titleFrom = 'file name';
  }
}

/** "2023-04-01-why-i-walk.md" → "Why i walk"; undefined when the name carries no words. */
export function titleFromFileName(filePath: string): string | undefined {
  const base = (filePath.split('/').pop() ?? '').replace(/\.(?:md|markdown|mdx)$/i, '');
  const words = base
    .replace(/^\d{4}-\d{2}-\d{2}[-_ ]?/, '')
    .replace(/^\d+[-_ ]+/, '')
    .split(/[-_ ]+/)
    .filter((w) => /\p{L}/u.test(w));
  if (words.length < 2 || /^(?:index|readme|untitled|draft)$/i.test(words.join(''))) return undefined;
  const phrase = words.join(' ').toLowerCase();
  return phrase.charAt(0).toUpperCase() + phrase.slice(1);
}

function sameText(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  return norm(a) === norm(b);
}

function firstString(fm: Record<string, unknown>, keys: string[]): string | undefined {
  for (const key of keys) {
    const value = fm[key];
    if (typeof value === 'string' && value.trim()) return tidy(value.replace(/\n/g, ' '));
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}

function readTags(fm: Record<string, unknown>): string[] {
  for (const key of ['tags', 'categories', 'keywords', 'topics']) {
    const value = fm[key];
    const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
    const tags = list.filter((t): t is string | number => typeof t === 'string' || typeof t === 'number').map((t) => String(t).trim()).filter(Boolean);
    if (tags.length > 0) return tags;
  }
  return [];
}

function readDate(fm: Record<string, unknown>, filePath: string): string | undefined {
  for (const key of ['date', 'published', 'pubDate', 'created']) {
    const value = fm[key];
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString().slice(0, 10);
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  const fromName = /(?:^|\/)(\d{4}-\d{2}-\d{2})[^/]*$/.exec(filePath);
  return fromName?.[1];
}
