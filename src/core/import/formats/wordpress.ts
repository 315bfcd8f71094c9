// WordPress's export (Tools → Export): WXR, an RSS file with a wp: namespace, one
// <item> per post, page, attachment, menu item… Posts and pages are imported; the
// body is HTML (block-editor comments, or classic text whose paragraphs are blank
// lines) with shortcodes for captions and embeds, which are cut and listed. A file
// that is not well-formed XML (a download cut short) is read item by item, so one
// broken item costs that item only.

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { excerpt } from '../../corpus/text';
import { textOf } from '../exportSource';
import { hasClassPrefix, htmlToMarkdown, parseHtml, squash, type CleanRule } from '../html';
import { cleanTags, dateOnly, eachFile, nameFor } from '../pieces';
import { type ExportFormat, type ExportSource, type FormatRead, type ImportedPiece, ImportFileError, type PieceStatus, type ReadOptions, type RemovedPart } from '../types';

const WXR_MARK = /xmlns:wp="http:\/\/wordpress\.org\/export\/|<wp:wxr_version>/;
const IMPORTED_TYPES = new Set(['post', 'page']);
const STATUS: Record<string, PieceStatus | 'trash'> = { publish: 'published', draft: 'draft', pending: 'draft', 'auto-draft': 'draft', private: 'unpublished', future: 'scheduled', trash: 'trash' };

const RULES: CleanRule[] = [
  { kind: 'share buttons', matches: (el) => hasClassPrefix(el, 'sharedaddy', 'jp-relatedposts', 'wp-block-jetpack-subscriptions', 'wp-block-buttons', 'wp-block-social-links') },
  { kind: 'embed', matches: (el) => hasClassPrefix(el, 'wp-block-embed', 'wp-block-video', 'wp-block-audio', 'wp-block-gallery', 'wp-block-file') },
];

export const wordpressExport: ExportFormat = {
  id: 'wordpress',
  label: 'WordPress export (WXR)',
  looksLike: 'a WordPress export .xml file (Tools → Export), or a zip or folder of them',
  detect: async (source) => {
    const xml = source.entries.filter((e) => /\.xml$/i.test(e));
    for (const entry of xml.slice(0, 5)) {
      const head = await source.read(entry).then((b) => new TextDecoder().decode(b.subarray(0, 4096)), () => '');
      if (WXR_MARK.test(head)) return true;
    }
    return false;
  },
  read: readWordpress,
};

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => ['item', 'category', 'wp:author', 'wp:postmeta', 'wp:comment'].includes(name),
});

type Node = Record<string, unknown>;

async function readWordpress(source: ExportSource, options: ReadOptions): Promise<FormatRead> {
  const out: FormatRead = { pieces: [], problems: [], skipped: [] };
  for (const entry of source.entries.filter((e) => /\.xml$/i.test(e))) {
    options.signal?.throwIfAborted();
    await eachFile(entry, out.problems, async () => {
      const xml = textOf(await source.read(entry));
      if (!WXR_MARK.test(xml.slice(0, 4096))) return undefined;
      readFile(entry, xml, out);
      return true;
    });
  }
  return out;
}

function readFile(entry: string, xml: string, out: FormatRead): void {
  const valid = XMLValidator.validate(xml);
  let channel: Node;
  let items: Node[];
  if (valid === true) {
    channel = ((parser.parse(xml) as Node).rss as Node | undefined)?.channel as Node;
    if (!channel) throw new ImportFileError('has no <rss><channel>: not a WordPress export; left out');
    items = (channel.item as Node[] | undefined) ?? [];
  } else {
    const salvaged = salvageItems(xml);
    channel = salvaged.channel;
    items = salvaged.items;
    out.problems.push({
      origin: entry,
      message: `is not well-formed XML (line ${valid.err.line}: ${valid.err.msg}); read item by item: ${items.length} ${items.length === 1 ? 'item' : 'items'} recovered${salvaged.broken > 0 ? `, ${salvaged.broken} broken ones left out` : ''}. Export again from WordPress to get the rest.`,
    });
  }
  const site = text(channel.link);
  const host = hostOf(site) ?? 'site';
  const authors = new Map<string, string>();
  for (const a of (channel['wp:author'] as Node[] | undefined) ?? []) authors.set(text(a['wp:author_login']), text(a['wp:author_display_name']) || text(a['wp:author_login']));
  const other = new Map<string, number>();
  let done = 0;
  for (const item of items) {
    done++;
    const type = text(item['wp:post_type']) || 'post';
    if (!IMPORTED_TYPES.has(type)) {
      other.set(type, (other.get(type) ?? 0) + 1);
      continue;
    }
    const status = STATUS[text(item['wp:status'])];
    if (status === 'trash') {
      out.skipped.push({ origin: `${entry}: ${text(item.title) || `item ${done}`}`, reason: 'in the WordPress trash' });
      continue;
    }
    const piece = toPiece(entry, item, { host, authors, status });
    if (piece) out.pieces.push(piece);
  }
  for (const [type, count] of other) out.skipped.push({ origin: entry, reason: `${count} ${type.replace(/_/g, ' ')} ${count === 1 ? 'item' : 'items'} (not writing)` });
}

function toPiece(entry: string, item: Node, ctx: { host: string; authors: Map<string, string>; status: PieceStatus | undefined }): ImportedPiece | undefined {
  const id = text(item['wp:post_id']) || text(item.guid) || text(item.title);
  const title = squash(text(item.title)) || undefined;
  const { html, removed: fromShortcodes } = cutShortcodes(text(item['content:encoded']));
  const { markdown, removed } = htmlToMarkdown(html, RULES, { autoParagraphs: true });
  // The site's own day (what the writer saw), else the UTC one, else the feed's date.
  const date = dateOnly(text(item['wp:post_date'])) ?? dateOnly(text(item['wp:post_date_gmt'])) ?? dateOnly(text(item.pubDate));
  const categories = (item.category as Node[] | string[] | undefined) ?? [];
  const tags = cleanTags(categories.map((c) => (typeof c === 'string' ? c : text(c['#text']))).filter((t) => t.toLowerCase() !== 'uncategorized'));
  const piece: ImportedPiece = {
    key: `wordpress:${ctx.host}:${id}`,
    origin: `${entry}#${id}`,
    suggestedName: nameFor(date, title, text(item['wp:post_name']) || id),
    tags,
    body: markdown,
    removed: [...fromShortcodes, ...removed],
  };
  if (title) piece.title = title;
  const summary = squash(text(item['excerpt:encoded']));
  if (summary) piece.subtitle = summary;
  if (date) piece.date = date;
  const creator = text(item['dc:creator']);
  if (creator) piece.author = ctx.authors.get(creator) ?? creator;
  if (ctx.status) piece.status = ctx.status;
  if (ctx.status === 'published' && /^https?:\/\//.test(text(item.link))) piece.sourceUrl = text(item.link);
  if (text(item['wp:post_password'])) piece.paywalled = true;
  if (text(item['wp:post_type']) === 'page') piece.type = 'page';
  return piece;
}

/** `[caption …]<img> text[/caption]` and `[embed]…[/embed]`, `[gallery]`, `[audio]`…: WordPress shortcodes, not HTML. */
export function cutShortcodes(content: string): { html: string; removed: RemovedPart[] } {
  const removed: RemovedPart[] = [];
  let html = content.replace(/\[caption\b[^\]]*\]([\s\S]*?)\[\/caption\]/gi, (_m, inner: string) => {
    removed.push({ kind: 'image caption', text: excerpt(squash(parseHtml(inner).body.textContent ?? ''), 120) });
    return '';
  });
  html = html.replace(/\[(embed|video|audio|gallery|playlist|soundcloud|youtube|tweet|instagram)\b[^\]]*\](?:([\s\S]*?)\[\/\1\])?/gi, (_m, name: string) => {
    removed.push({ kind: 'embed', text: `[${name}]` });
    return '';
  });
  return { html, removed };
}

/** Items one by one from a damaged file: each `<item>…</item>` parsed alone inside the file's own `<rss>` tag. */
function salvageItems(xml: string): { channel: Node; items: Node[]; broken: number } {
  const rssTag = /<rss\b[^>]*>/.exec(xml)?.[0] ?? '<rss>';
  const head = xml.slice(0, Math.max(0, xml.indexOf('<item>')));
  const channelHead = /<channel>([\s\S]*)$/.exec(head)?.[1] ?? '';
  const parse = (inner: string): Node | undefined => {
    const doc = `${rssTag}<channel>${inner}</channel></rss>`;
    return XMLValidator.validate(doc) === true ? (((parser.parse(doc) as Node).rss as Node).channel as Node) : undefined;
  };
  const channel = parse(channelHead.replace(/<item>[\s\S]*$/, '')) ?? {};
  const items: Node[] = [];
  let broken = 0;
  for (const chunk of xml.split('<item>').slice(1)) {
    const end = chunk.indexOf('</item>');
    const parsed = end >= 0 ? parse(`<item>${chunk.slice(0, end)}</item>`) : undefined;
    const item = (parsed?.item as Node[] | undefined)?.[0];
    if (item) items.push(item);
    else broken++;
  }
  return { channel, items, broken };
}

/** Text of a parsed XML value: a string, or an element's `#text`. */
function text(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && '#text' in v) return text((v as Node)['#text']);
  return '';
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}
