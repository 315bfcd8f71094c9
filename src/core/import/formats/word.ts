// Word documents (.docx: one file, a folder of them, or a zip of them). mammoth turns
// the document into semantic HTML (headings, emphasis, lists, quotes), which becomes
// markdown like every other export. The title is the paragraph styled Title, else
// the document's own title property, else the file name; the date is when it was
// created. Comments and tracked deletions are not the text and mammoth leaves them out.

import { XMLParser } from 'fast-xml-parser';
import { unzipSync } from 'fflate';
import mammoth from 'mammoth';
import { cleanHtml, parseHtml, squash, toMarkdown } from '../html';
import { claimedUnpackedSize, MAX_ENTRY_BYTES } from '../exportSource';
import { baseName, dateOnly, eachFile } from '../pieces';
import { type ExportFormat, type ExportSource, type FormatRead, type ImportedPiece, ImportFileError, type ReadOptions } from '../types';

const DOCX = /\.docx$/i;
const STYLE_MAP = [
  "p[style-name='Title'] => h1.doc-title:fresh",
  "p[style-name='Subtitle'] => p.doc-subtitle:fresh",
  // Quotations stay block quotes: the data report counts them as someone else's words.
  "p[style-name='Quote'] => blockquote > p:fresh",
  "p[style-name='Intense Quote'] => blockquote > p:fresh",
];

export const wordDocuments: ExportFormat = {
  id: 'word',
  label: 'Word documents',
  looksLike: 'a Word .docx file, or a folder or zip of them',
  detect: (source) => Promise.resolve(source.entries.some((e) => DOCX.test(e) || /\.doc$/i.test(e))),
  read: readWord,
};

async function readWord(source: ExportSource, options: ReadOptions): Promise<FormatRead> {
  const out: FormatRead = { pieces: [], problems: [], skipped: [] };
  for (const entry of source.entries.filter((e) => /\.doc$/i.test(e))) {
    out.problems.push({ origin: entry, message: 'an old Word 97–2003 .doc file: open it in Word (or LibreOffice) and save it as .docx, then import again' });
  }
  const docs = source.entries.filter((e) => DOCX.test(e));
  let done = 0;
  for (const entry of docs) {
    options.signal?.throwIfAborted();
    options.onPiece?.(++done, docs.length);
    if (baseName(entry).startsWith('~$')) {
      out.skipped.push({ origin: entry, reason: "Word's lock file for an open document, not a document" });
      continue;
    }
    const piece = await eachFile(entry, out.problems, async () => toPiece(source, entry, await source.read(entry)));
    if (piece) out.pieces.push(piece);
  }
  return out;
}

async function toPiece(source: ExportSource, entry: string, bytes: Uint8Array): Promise<ImportedPiece> {
  // mammoth unpacks the whole document in memory: one that claims to unpack to more than any
  // document holds is refused before it (a zip bomb under a .docx name).
  const claimed = claimedUnpackedSize(bytes);
  if (claimed !== undefined && claimed > MAX_ENTRY_BYTES * 4) {
    throw new ImportFileError(`unpacks to ${Math.round(claimed / 2 ** 20)} MB, more than a Word document holds; left out (it may be damaged or built to exhaust memory)`);
  }
  const props = coreProperties(bytes);
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes) }, { styleMap: STYLE_MAP })).value;
  } catch (e) {
    throw new ImportFileError(`is not a Word document that can be read (${e instanceof Error ? e.message.split('\n')[0] : String(e)}). A .docx is a zip inside; this one may be damaged or another kind of file renamed. Open it in Word and save it as .docx again.`);
  }
  const doc = parseHtml(html);
  const body = doc.body;
  const titleEl = body.querySelector('h1.doc-title');
  const subtitleEl = body.querySelector('p.doc-subtitle');
  const title = squash(titleEl?.textContent ?? '') || props.title || baseName(entry);
  const subtitle = squash(subtitleEl?.textContent ?? '') || props.subject;
  titleEl?.parentNode?.removeChild(titleEl);
  subtitleEl?.parentNode?.removeChild(subtitleEl);
  const removed = cleanHtml(body, []);
  const prefix = source.kind === 'file' ? '' : `${source.kind}:`;
  const piece: ImportedPiece = {
    key: `word:${prefix}${entry}`,
    origin: entry,
    suggestedName: entry.replace(DOCX, ''),
    title,
    tags: props.keywords,
    body: toMarkdown(body),
    removed,
  };
  if (subtitle) piece.subtitle = subtitle;
  if (props.date) piece.date = props.date;
  return piece;
}

interface CoreProperties {
  title?: string;
  subject?: string;
  date?: string;
  keywords: string[];
}

const xml = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreAttributes: true });

/** docProps/core.xml: the title, subject, keywords and creation date Word keeps. */
function coreProperties(bytes: Uint8Array): CoreProperties {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => f.name === 'docProps/core.xml' && f.originalSize < 1 << 20 });
  } catch {
    return { keywords: [] }; // mammoth says what is wrong with the file
  }
  const core = files['docProps/core.xml'];
  if (!core) return { keywords: [] };
  try {
    const props = ((xml.parse(new TextDecoder().decode(core)) as Record<string, unknown>).coreProperties ?? {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v.trim() : v && typeof v === 'object' && '#text' in v ? String((v as Record<string, unknown>)['#text']).trim() : '');
    const out: CoreProperties = { keywords: text(props.keywords).split(/[,;]/).map((k) => k.trim()).filter(Boolean) };
    if (text(props.title)) out.title = text(props.title);
    if (text(props.subject)) out.subject = text(props.subject);
    const date = dateOnly(text(props.created));
    if (date) out.date = date;
    return out;
  } catch {
    return { keywords: [] };
  }
}
