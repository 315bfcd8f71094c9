// Medium's export (Settings → Download your information): a zip of HTML pages, one
// per story in posts/ (drafts named draft_…), each an h-entry with the title, the
// subtitle, the body, and a footer with the author, date and canonical link. Only the
// body is the writer's: the repeated title and subtitle at its top, section dividers,
// link cards and embeds are cut.

import { textOf } from '../exportSource';
import { cleanHtml, hasClass, parseHtml, squash, toMarkdown, type CleanRule } from '../html';
import { baseName, dateOnly, eachFile, nameFor } from '../pieces';
import { type ExportFormat, type ExportSource, type FormatRead, type ImportedPiece, ImportFileError, type ReadOptions } from '../types';

const POST = /(?:^|\/)posts\/[^/]+\.html?$/i;
/** Medium's story files end in a 12-hex-digit id: `2019-01-02_On-Walking-3f2a1b9c8d7e.html`. */
const MEDIUM_NAME = /-[0-9a-f]{10,12}\.html?$/i;

const RULES: CleanRule[] = [
  { kind: 'repeated title', matches: (el) => hasClass(el, 'graf--title') },
  { kind: 'repeated subtitle', matches: (el) => hasClass(el, 'graf--subtitle') },
  { kind: 'section divider', matches: (el) => hasClass(el, 'section-divider') },
  { kind: 'embed', matches: (el) => hasClass(el, 'graf--mixtapeEmbed', 'graf--iframe', 'graf--embed') },
];

export const mediumExport: ExportFormat = {
  id: 'medium',
  label: 'Medium export',
  looksLike: 'a Medium export zip (a posts/ folder of .html stories), or that zip unzipped',
  detect: (source) =>
    Promise.resolve(
      source.entries.some((e) => POST.test(e)) &&
        (source.entries.some((e) => /(?:^|\/)(?:README\.html|profile\/profile\.html)$/.test(e)) || source.entries.filter((e) => POST.test(e)).every((e) => MEDIUM_NAME.test(e))),
    ),
  read: readMedium,
};

async function readMedium(source: ExportSource, options: ReadOptions): Promise<FormatRead> {
  const out: FormatRead = { pieces: [], problems: [], skipped: [] };
  const posts = source.entries.filter((e) => POST.test(e));
  let done = 0;
  for (const entry of posts) {
    options.signal?.throwIfAborted();
    const piece = await eachFile(entry, out.problems, async () => toPiece(entry, textOf(await source.read(entry))));
    options.onPiece?.(++done, posts.length);
    if (piece) out.pieces.push(piece);
  }
  return out;
}

function toPiece(entry: string, html: string): ImportedPiece {
  const doc = parseHtml(html);
  const body = doc.querySelector('section[data-field="body"]') ?? doc.querySelector('.e-content');
  if (!body) throw new ImportFileError('has no story body (no section data-field="body"): not a Medium story page; left out');
  const title = squash(doc.querySelector('h1.p-name')?.textContent ?? doc.querySelector('title')?.textContent ?? '') || undefined;
  const subtitle = squash(doc.querySelector('section[data-field="subtitle"]')?.textContent ?? '') || undefined;
  const date = dateOnly(doc.querySelector('time.dt-published')?.getAttribute('datetime') ?? undefined);
  const author = squash(doc.querySelector('a.p-author')?.textContent ?? '') || undefined;
  const url = doc.querySelector('a.p-canonical')?.getAttribute('href') ?? undefined;
  const removed = cleanHtml(body, RULES);
  const name = baseName(entry);
  const isDraft = /^draft_/i.test(name);
  const id = MEDIUM_NAME.exec(`${name}.html`)?.[0].slice(1).replace(/\.html?$/i, '') ?? name;
  const piece: ImportedPiece = {
    key: `medium:${id}`,
    origin: entry,
    suggestedName: nameFor(date, title, name.replace(/^draft_/i, '').replace(/-[0-9a-f]{10,12}$/i, '')),
    tags: [],
    body: toMarkdown(body),
    removed,
    status: isDraft ? 'draft' : 'published',
  };
  if (title) piece.title = title;
  if (subtitle && subtitle !== title) piece.subtitle = subtitle;
  if (date) piece.date = date;
  if (author) piece.author = author;
  if (url && /^https?:\/\//.test(url)) piece.sourceUrl = url;
  return piece;
}
