// Substack's export (Settings → Exports): posts.csv, one row per post (id, date,
// published?, audience, type, title, subtitle), and posts/<id>.<slug>.html, the body
// of each post. Furniture cut: subscribe boxes, share/subscribe/comment buttons, the
// paywall marker, pull quotes (a repeat of a sentence), footnote marks and embeds.

import { parse as parseCsv } from 'csv-parse/sync';
import { textOf } from '../exportSource';
import { hasClass, hasClassPrefix, htmlToMarkdown, type CleanRule } from '../html';
import { baseName, dateOnly, eachFile, folderOf, nameFor } from '../pieces';
import { type ExportFormat, type ExportSource, type FormatRead, type ImportedPiece, ImportFileError, type ReadOptions } from '../types';

const POST_FILE = /(?:^|\/)posts\/(\d+)\.[^/]+\.html$/;

const RULES: CleanRule[] = [
  { kind: 'subscribe box', matches: (el) => hasClassPrefix(el, 'subscription-widget', 'subscribe-widget') || el.getAttribute('data-component-name') === 'SubscribeWidgetToDOM' },
  { kind: 'paywall marker', matches: (el) => hasClass(el, 'paywall-jump', 'paywall') || el.getAttribute('data-component-name') === 'PaywallToDOM' },
  { kind: 'button', matches: (el) => hasClass(el, 'button-wrapper', 'button', 'subscribe-btn') || el.getAttribute('data-component-name') === 'ButtonCreateButton' },
  { kind: 'pull quote', matches: (el) => hasClass(el, 'pullquote') },
  { kind: 'footnote mark', matches: (el) => hasClass(el, 'footnote-anchor', 'footnote-number') },
  {
    kind: 'embed',
    matches: (el) =>
      hasClassPrefix(el, 'youtube-wrap', 'tweet', 'embedded-post', 'embedded-publication', 'digest-post-embed', 'native-audio', 'native-video', 'instagram', 'spotify-wrap', 'apple-podcast', 'vimeo-wrap', 'soundcloud', 'bandcamp', 'poll-embed', 'community-chat', 'image-gallery-embed', 'file-embed', 'latex-rendered', 'install-substack-app'),
  },
];

interface Row {
  post_id?: string;
  post_date?: string;
  is_published?: string;
  email_sent_at?: string;
  type?: string;
  audience?: string;
  title?: string;
  subtitle?: string;
}

export const substackExport: ExportFormat = {
  id: 'substack',
  label: 'Substack export',
  looksLike: 'a Substack export zip (posts.csv and a posts/ folder), or that zip unzipped',
  detect: (source) => Promise.resolve(source.entries.some((e) => e === 'posts.csv' || e.endsWith('/posts.csv')) || source.entries.some((e) => POST_FILE.test(e))),
  read: readSubstack,
};

async function readSubstack(source: ExportSource, options: ReadOptions): Promise<FormatRead> {
  const out: FormatRead = { pieces: [], problems: [], skipped: [] };
  const csvEntry = source.entries.filter((e) => e === 'posts.csv' || e.endsWith('/posts.csv')).sort((a, b) => a.length - b.length)[0];
  const rows = new Map<string, Row>();
  if (csvEntry) {
    await eachFile(csvEntry, out.problems, async () => {
      for (const row of readRows(textOf(await source.read(csvEntry)))) if (row.post_id) rows.set(row.post_id, row);
      return true;
    });
  } else {
    out.problems.push({
      origin: 'posts.csv',
      message: "missing from the export, so dates, subtitles and draft/paid status are unknown: the posts were imported with the titles in their text. Download the export again from Substack's Settings → Exports to get them.",
    });
  }
  const root = csvEntry ? folderOf(csvEntry) : '';
  const htmlFiles = source.entries.filter((e) => POST_FILE.test(e) && (!csvEntry || folderOf(folderOf(e)) === root));
  const byId = new Map(htmlFiles.map((e) => [baseName(e), e]));
  for (const id of rows.keys()) {
    if (!byId.has(id)) out.problems.push({ origin: `posts/${id}.html`, message: 'listed in posts.csv but not in the export (Substack leaves out posts it could not render); nothing to import for it' });
  }
  let done = 0;
  for (const entry of htmlFiles) {
    options.signal?.throwIfAborted();
    const row = rows.get(baseName(entry));
    const piece = await eachFile(entry, out.problems, async () => toPiece(entry, textOf(await source.read(entry)), row));
    options.onPiece?.(++done, htmlFiles.length);
    if (!piece) continue;
    if (piece.type === 'podcast' || piece.type === 'thread') {
      out.skipped.push({ origin: entry, reason: piece.type === 'podcast' ? 'a podcast episode: its text is show notes, not an essay' : 'a Substack thread (a chat with readers), not an essay' });
      continue;
    }
    out.pieces.push(piece);
  }
  return out;
}

function readRows(csv: string): Row[] {
  try {
    return parseCsv(csv, { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true }) as Row[];
  } catch (e) {
    throw new ImportFileError(`is not a readable CSV table (${e instanceof Error ? e.message : String(e)}); the posts were imported without its dates and statuses. Download the export again.`);
  }
}

function toPiece(entry: string, html: string, row: Row | undefined): ImportedPiece {
  const { markdown, removed } = htmlToMarkdown(html, RULES);
  const id = baseName(entry);
  const [numericId = id, slugPart = ''] = id.split(/\.(.*)/s);
  const date = dateOnly(row?.post_date);
  const title = row?.title?.trim() || firstHeading(markdown) || slugPart.replace(/-/g, ' ');
  const piece: ImportedPiece = {
    key: `substack:${numericId}`,
    origin: entry,
    suggestedName: nameFor(date, title, slugPart || id),
    title,
    tags: [],
    body: markdown,
    removed,
  };
  if (row?.subtitle?.trim()) piece.subtitle = row.subtitle.trim();
  if (date) piece.date = date;
  if (row) piece.status = row.is_published === 'true' ? 'published' : row.email_sent_at ? 'unpublished' : 'draft';
  if (row?.audience === 'only_paid' || row?.audience === 'founding' || removed.some((r) => r.kind === 'paywall marker')) piece.paywalled = true;
  const type = row?.type?.trim();
  if (type && type !== 'newsletter') piece.type = type;
  return piece;
}

function firstHeading(markdown: string): string | undefined {
  return /^#{1,3} (.+)$/m.exec(markdown)?.[1]?.trim();
}
