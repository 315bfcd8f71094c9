// Ghost's export (Settings → Advanced → Export content): one JSON file,
// `{db: [{meta, data: {posts, tags, posts_tags, users, posts_authors}}]}` (older
// versions: `{meta, data}`). Each post carries its HTML, status and visibility; cut
// are Ghost's signup, call-to-action and button cards, bookmark and media embeds, and
// the `<!--members-only-->` paywall marker.

import { excerpt } from '../../corpus/text';
import { textOf } from '../exportSource';
import { hasClassPrefix, htmlToMarkdown, type CleanRule } from '../html';
import { cleanTags, dateOnly, eachFile, nameFor } from '../pieces';
import { type ExportFormat, type ExportSource, type FormatRead, type ImportedPiece, ImportFileError, type PieceStatus, type ReadOptions } from '../types';

const RULES: CleanRule[] = [
  { kind: 'subscribe box', matches: (el) => hasClassPrefix(el, 'kg-signup-card', 'kg-cta-card', 'kg-subscribe') },
  { kind: 'button', matches: (el) => hasClassPrefix(el, 'kg-button-card', 'kg-btn', 'kg-product-card') },
  { kind: 'embed', matches: (el) => hasClassPrefix(el, 'kg-bookmark-card', 'kg-embed-card', 'kg-video-card', 'kg-audio-card', 'kg-file-card', 'kg-gallery-card', 'kg-nft-card') },
];

const STATUS: Record<string, PieceStatus> = { published: 'published', draft: 'draft', scheduled: 'scheduled', sent: 'unpublished' };
const PAID = new Set(['paid', 'tiers']);
const PAYWALL = '<!--members-only-->';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

export const ghostExport: ExportFormat = {
  id: 'ghost',
  label: 'Ghost export',
  looksLike: 'a Ghost export .json file (Settings → Advanced → Export content)',
  detect: async (source) => {
    for (const entry of source.entries.filter((e) => /\.json$/i.test(e) && !e.startsWith('.obsidian/')).slice(0, 5)) {
      const head = await source.read(entry).then((b) => new TextDecoder().decode(b.subarray(0, 65536)), () => '');
      if (/"(?:db|data)"\s*:/.test(head) && /"posts"\s*:/.test(head)) return true;
    }
    return false;
  },
  read: readGhost,
};

async function readGhost(source: ExportSource, options: ReadOptions): Promise<FormatRead> {
  const out: FormatRead = { pieces: [], problems: [], skipped: [] };
  for (const entry of source.entries.filter((e) => /\.json$/i.test(e) && !e.startsWith('.obsidian/'))) {
    options.signal?.throwIfAborted();
    await eachFile(entry, out.problems, async () => {
      const data = ghostData(textOf(await source.read(entry)));
      if (!data) return undefined;
      readData(entry, data, out);
      return true;
    });
  }
  return out;
}

function ghostData(json: string): Obj | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new ImportFileError(`is not valid JSON (${e instanceof Error ? e.message : String(e)}): the export is damaged or cut short. Export again from Ghost.`);
  }
  if (!isObj(value)) return undefined;
  const db = Array.isArray(value.db) ? value.db[0] : value;
  return isObj(db) && isObj(db.data) && Array.isArray(db.data.posts) ? db.data : undefined;
}

function readData(entry: string, data: Obj, out: FormatRead): void {
  const tagNames = new Map(list(data.tags).map((t) => [str(t.id), str(t.name)]));
  const userNames = new Map(list(data.users).map((u) => [str(u.id), str(u.name)]));
  const tagsOf = groupBy(list(data.posts_tags), 'post_id', (r) => tagNames.get(str(r.tag_id)) ?? '');
  const authorsOf = groupBy(list(data.posts_authors), 'post_id', (r) => userNames.get(str(r.author_id)) ?? '');
  for (const post of list(data.posts)) {
    const id = str(post.id) || str(post.uuid) || str(post.slug);
    const title = str(post.title).trim();
    const origin = `${entry}: ${title || id}`;
    const html = str(post.html);
    let body: { markdown: string; removed: ImportedPiece['removed'] };
    if (html.trim() !== '') body = htmlToMarkdown(html, RULES);
    else if (str(post.plaintext).trim() !== '') body = { markdown: str(post.plaintext).trim(), removed: [] };
    else {
      out.problems.push({ origin, message: "has no HTML or plain text in the export (only Ghost's editor data): export again from Ghost 5 or later, which writes both" });
      continue;
    }
    if (html.includes(PAYWALL)) body.removed.push({ kind: 'paywall marker', text: '' });
    const date = dateOnly(str(post.published_at)) ?? dateOnly(str(post.created_at));
    // Ghost's internal tags (`#hash-tags`) steer themes, not the writing.
    const tags = cleanTags((tagsOf.get(id) ?? []).filter((t) => !t.startsWith('#')));
    const piece: ImportedPiece = {
      key: `ghost:${id}`,
      origin,
      suggestedName: nameFor(date, title, str(post.slug) || id),
      tags,
      body: body.markdown,
      removed: body.removed,
    };
    if (title) piece.title = title;
    const subtitle = str(post.custom_excerpt).trim();
    if (subtitle) piece.subtitle = excerpt(subtitle, 300);
    if (date) piece.date = date;
    const author = authorsOf.get(id)?.[0] ?? userNames.get(str(post.author_id));
    if (author) piece.author = author;
    const status = STATUS[str(post.status)];
    if (status) piece.status = status;
    if (PAID.has(str(post.visibility)) || (html.includes(PAYWALL) && str(post.visibility) !== 'public')) piece.paywalled = true;
    if (str(post.type) === 'page' || post.page === true) piece.type = 'page';
    const canonical = str(post.canonical_url);
    if (/^https?:\/\//.test(canonical)) piece.sourceUrl = canonical;
    out.pieces.push(piece);
  }
}

function groupBy(rows: Obj[], key: string, value: (row: Obj) => string): Map<string, string[]> {
  const sorted = [...rows].sort((a, b) => (Number(a.sort_order) || 0) - (Number(b.sort_order) || 0));
  const out = new Map<string, string[]>();
  for (const r of sorted) {
    const v = value(r);
    if (!v) continue;
    const k = str(r[key]);
    out.set(k, [...(out.get(k) ?? []), v]);
  }
  return out;
}
