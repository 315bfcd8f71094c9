// An Obsidian vault (a folder with .obsidian/, or its zip): every note becomes a plain
// markdown piece under the same relative path (obsidianText.ts does the text). Daily
// notes and templates are not essays and stay out unless asked for: their folders come
// from the vault's own settings (core Daily notes, Periodic Notes, Templates, Templater),
// else the usual folder names, and a note named by a date is a daily note anywhere.

import * as path from 'node:path';
import { textOf } from '../exportSource';
import { baseName, dateOnly, eachFile, folderOf } from '../pieces';
import type { ExportFormat, ExportSource, FormatRead, ImportedPiece, ReadOptions } from '../types';
import { convertObsidianNote } from './obsidianText';

const NOTE = /\.(?:md|markdown)$/i;
const DAILY_FOLDERS = ['daily', 'daily notes', 'dailies', 'journal', 'journals', 'periodic notes'];
const TEMPLATE_FOLDERS = ['templates', '_templates', 'template'];
const isSettings = (entry: string) => entry.startsWith('.obsidian/') || entry.includes('/.obsidian/');
const DATE_NAME = /^\d{4}-\d{2}-\d{2}(?:$|[\sT_.-])/;

export const obsidianVault: ExportFormat = {
  id: 'obsidian',
  label: 'Obsidian vault',
  looksLike: 'an Obsidian vault folder (it has a .obsidian folder), or a folder or zip of markdown notes',
  detect: (source) => Promise.resolve(source.entries.some(isSettings) || (source.kind !== 'file' && source.entries.some((e) => NOTE.test(e)))),
  read: readVault,
};

async function readVault(source: ExportSource, options: ReadOptions): Promise<FormatRead> {
  const out: FormatRead = { pieces: [], problems: [], skipped: [] };
  const folders = await specialFolders(source);
  const vault = source.kind === 'zip' ? path.basename(source.path).replace(/\.zip$/i, '') : path.basename(source.path);
  const notes = source.entries.filter((e) => NOTE.test(e) && !isSettings(e));
  const attachments = source.entries.filter((e) => !NOTE.test(e) && !isSettings(e)).length;
  if (attachments > 0) out.skipped.push({ origin: vault, reason: `${attachments} ${attachments === 1 ? 'attachment' : 'attachments'} (images, PDFs, canvases…): not prose` });
  let done = 0;
  for (const entry of notes) {
    options.signal?.throwIfAborted();
    options.onPiece?.(++done, notes.length);
    const special = kindOf(entry, folders);
    if (special === 'drawing') {
      out.skipped.push({ origin: entry, reason: 'an Excalidraw drawing' });
      continue;
    }
    if (special && !options.includeDailyNotes) {
      out.skipped.push({ origin: entry, reason: special === 'daily' ? 'a daily note (import with daily notes and templates included to keep it)' : 'a template (import with daily notes and templates included to keep it)' });
      continue;
    }
    const piece = await eachFile(entry, out.problems, async () => toPiece(vault, entry, textOf(await source.read(entry))));
    if (piece) out.pieces.push(piece);
  }
  return out;
}

function toPiece(vault: string, entry: string, text: string): ImportedPiece {
  const note = convertObsidianNote(text);
  const fm = note.frontMatter;
  const title = typeof fm.title === 'string' && fm.title.trim() ? fm.title.trim() : baseName(entry);
  const date = dateOnly(fm.date) ?? dateOnly(fm.created) ?? dateOnly(fm.published);
  const piece: ImportedPiece = {
    key: `obsidian:${vault}/${entry}`,
    origin: entry,
    suggestedName: entry.replace(NOTE, ''),
    title,
    tags: note.tags,
    body: note.markdown,
    removed: note.removed,
  };
  if (typeof fm.subtitle === 'string' && fm.subtitle.trim()) piece.subtitle = fm.subtitle.trim();
  if (typeof fm.description === 'string' && fm.description.trim() && !piece.subtitle) piece.subtitle = fm.description.trim();
  if (date) piece.date = date;
  if (typeof fm.author === 'string' && fm.author.trim()) piece.author = fm.author.trim();
  if (fm.draft === true || fm.publish === false || fm.status === 'draft') piece.status = 'draft';
  return piece;
}

interface SpecialFolders {
  daily: string[];
  templates: string[];
}

/** Where the vault keeps daily notes and templates, from its settings. */
async function specialFolders(source: ExportSource): Promise<SpecialFolders> {
  const setting = async (entry: string, pick: (v: Record<string, unknown>) => unknown): Promise<string | undefined> => {
    if (!source.entries.includes(entry)) return undefined;
    try {
      const value = JSON.parse(textOf(await source.read(entry))) as unknown;
      const folder = value && typeof value === 'object' ? pick(value as Record<string, unknown>) : undefined;
      return typeof folder === 'string' && folder.trim() ? folder.trim().replace(/^\/+|\/+$/g, '') : undefined;
    } catch {
      return undefined; // a broken settings file: the usual folder names still apply
    }
  };
  const daily = [
    await setting('.obsidian/daily-notes.json', (v) => v.folder),
    await setting('.obsidian/plugins/periodic-notes/data.json', (v) => (v.daily && typeof v.daily === 'object' ? (v.daily as Record<string, unknown>).folder : undefined)),
  ];
  const templates = [
    await setting('.obsidian/templates.json', (v) => v.folder),
    await setting('.obsidian/plugins/templater-obsidian/data.json', (v) => v.templates_folder),
  ];
  return { daily: daily.filter((f): f is string => !!f), templates: templates.filter((f): f is string => !!f) };
}

function kindOf(entry: string, folders: SpecialFolders): 'daily' | 'template' | 'drawing' | undefined {
  if (/\.excalidraw\.md$/i.test(entry)) return 'drawing';
  const inFolder = (list: string[]) => list.some((f) => entry.startsWith(`${f}/`));
  const segments = folderOf(entry).toLowerCase().split('/');
  if (inFolder(folders.templates) || segments.some((s) => TEMPLATE_FOLDERS.includes(s))) return 'template';
  if (inFolder(folders.daily) || segments.some((s) => DAILY_FOLDERS.includes(s)) || DATE_NAME.test(baseName(entry))) return 'daily';
  return undefined;
}
