// An export as a list of entries to read, whether the writer picked a zip, a folder
// (an unzipped export, an Obsidian vault, a folder of .docx) or a single file. Only
// reads: nothing here writes, and nothing follows a link out of the folder.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Unzip, UnzipInflate, unzipSync, type UnzipFileInfo } from 'fflate';
import { type ExportSource, ImportError, ImportFileError, type ImportProblem } from './types';

/** Larger entries are not prose: left out with a message (and a lying zip header cannot make us allocate more). */
export const MAX_ENTRY_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 200_000;
/**
 * Text read out of one zip at most, all entries together. A zip bomb lists many entries over
 * one block of data (each claims a size under the per-entry limit, together gigabytes): past
 * this the rest is left out, named. Real exports' text is far below it; images are not counted.
 */
export const MAX_UNPACKED_BYTES = 512 * 1024 * 1024;
/** Only these are ever read out of a zip: the rest (images, audio) are listed but not decompressed. */
const READABLE = /\.(?:html?|csv|json|xml|md|markdown|txt|docx)$/i;
/** Folders never walked in a folder export. */
const SKIP_FOLDERS = new Set(['node_modules', '.git', '.trash', '.Trash']);

export interface OpenOptions {
  /** A folder inside the export to leave out (where the import writes, when the writer chose one inside). */
  skipFolder?: string;
  signal?: AbortSignal;
}

export async function openExport(picked: string, options: OpenOptions = {}): Promise<ExportSource> {
  const abs = path.resolve(picked);
  const stat = await fs.stat(abs).catch(() => undefined);
  if (!stat) throw new ImportError(`${abs} does not exist. Pick the export file or folder again.`);
  if (stat.isDirectory()) return openFolder(abs, options);
  if (!stat.isFile()) throw new ImportError(`${abs} is neither a file nor a folder.`);
  if (/\.zip$/i.test(abs)) return openZip(abs, await fs.readFile(abs));
  return {
    kind: 'file',
    path: abs,
    entries: [path.basename(abs)],
    read: () => readCapped(abs, path.basename(abs)),
    problems: [],
  };
}

/** A zip read whole; one cut short (a download that stopped) gives the files that came before the cut. */
export function openZip(zipPath: string, bytes: Uint8Array, maxUnpackedBytes = MAX_UNPACKED_BYTES): ExportSource {
  const names: string[] = [];
  const problems: ImportProblem[] = [];
  // fflate unpacks an entry into a buffer of the size its header claims (a lying header gets its
  // output cut there), so the claimed sizes bound what is held in memory.
  let unpacked = 0;
  const wanted = (f: UnzipFileInfo) => {
    if (f.name.endsWith('/')) return false;
    if (names.length >= MAX_ENTRIES) return false;
    names.push(f.name);
    if (!READABLE.test(f.name)) return false;
    if (f.originalSize > MAX_ENTRY_BYTES) {
      problems.push({ origin: f.name, message: ENTRY_TOO_LARGE });
      return false;
    }
    if (unpacked + f.originalSize > maxUnpackedBytes) {
      problems.push({ origin: f.name, message: pastTotal(maxUnpackedBytes) });
      return false;
    }
    unpacked += f.originalSize;
    return true;
  };
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: wanted });
  } catch (e) {
    names.length = 0;
    problems.length = 0;
    unpacked = 0;
    files = salvage(bytes, wanted, maxUnpackedBytes, problems);
    if (names.length === 0) {
      throw new ImportError(`${zipPath} is not a readable zip file (${errorText(e)}). Download the export again; if it is a folder's zip, unzip it and pick the folder.`);
    }
    problems.unshift({
      origin: path.basename(zipPath),
      message: `the zip is damaged or cut short (${errorText(e)}): the ${names.length} ${names.length === 1 ? 'file' : 'files'} before the damage were read. Download the export again to import the rest.`,
    });
  }
  const entries = [...new Set(names.map(normalizeEntry))].sort();
  const byName = new Map(Object.entries(files).map(([k, v]) => [normalizeEntry(k), v]));
  return {
    kind: 'zip',
    path: zipPath,
    entries,
    read: (entry) => {
      const data = byName.get(entry);
      if (data) return Promise.resolve(data);
      return Promise.reject(new ImportFileError(READABLE.test(entry) ? 'could not be read from the zip (see the problems above)' : 'not a text file; not read'));
    },
    problems,
  };
}

const ENTRY_TOO_LARGE = `larger than ${MAX_ENTRY_BYTES >> 20} MB unpacked; not read`;

function pastTotal(maxUnpackedBytes: number): string {
  return `not read: the files before it already unpack to ${Math.round(maxUnpackedBytes / 2 ** 20)} MB, the most one import reads (no export of writing holds that much text; this zip may be damaged or built to exhaust memory)`;
}

/** Reads entries one by one from the local headers, as far as they go (the central directory at the end may be gone). */
function salvage(bytes: Uint8Array, wanted: (f: UnzipFileInfo) => boolean, maxUnpackedBytes: number, problems: ImportProblem[]): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  // Sizes read from local headers may be missing (0): what is actually inflated is counted too.
  const unpacked = { total: 0 };
  const unzip = new Unzip((file) => {
    const info: UnzipFileInfo = { name: file.name, size: file.size ?? 0, originalSize: file.originalSize ?? 0, compression: file.compression };
    if (!wanted(info)) return;
    const parts: Uint8Array[] = [];
    let size = 0;
    let capped = false;
    file.ondata = (err, data, final) => {
      if (err || capped) return;
      if (size > MAX_ENTRY_BYTES || unpacked.total > maxUnpackedBytes) {
        capped = true;
        problems.push({ origin: file.name, message: size > MAX_ENTRY_BYTES ? ENTRY_TOO_LARGE : pastTotal(maxUnpackedBytes) });
        return;
      }
      parts.push(data);
      size += data.length;
      unpacked.total += data.length;
      if (final) out[file.name] = concat(parts, size);
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    unzip.push(bytes, true);
  } catch {
    // The stream ends in the damage: what came before is kept.
  }
  return out;
}

async function openFolder(root: string, options: OpenOptions): Promise<ExportSource> {
  const skip = options.skipFolder ? path.resolve(options.skipFolder) : undefined;
  const entries: string[] = [];
  const problems: ImportProblem[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    options.signal?.throwIfAborted();
    const items = await fs.readdir(dir, { withFileTypes: true }).catch(() => undefined);
    if (!items) {
      problems.push({ origin: rel || '.', message: 'could not be read (permissions?); left out' });
      return;
    }
    for (const item of items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entries.length >= MAX_ENTRIES) return;
      const full = path.join(dir, item.name);
      const relPath = rel ? `${rel}/${item.name}` : item.name;
      if (item.isSymbolicLink()) {
        problems.push({ origin: relPath, message: 'a link; not followed (imports read only what lies in the folder)' });
      } else if (item.isDirectory()) {
        if (SKIP_FOLDERS.has(item.name) || full === skip) continue;
        // Hidden folders hold tools' state; Obsidian's settings say where daily notes and templates live.
        if (item.name.startsWith('.') && !(rel === '' && item.name === '.obsidian')) continue;
        if (item.name === '.obsidian') await listObsidianSettings(full, entries);
        else await walk(full, relPath);
      } else if (item.isFile()) {
        entries.push(relPath);
      }
    }
  };
  await walk(root, '');
  return {
    kind: 'folder',
    path: root,
    entries: entries.sort(),
    read: (entry) => readCapped(path.join(root, ...entry.split('/')), entry),
    problems,
  };
}

/** `.obsidian/` itself (what marks a vault) and the settings that say where daily notes and templates live. */
async function listObsidianSettings(dir: string, entries: string[]): Promise<void> {
  entries.push('.obsidian/');
  for (const name of ['daily-notes.json', 'templates.json', 'app.json']) {
    const stat = await fs.lstat(path.join(dir, name)).catch(() => undefined);
    if (stat?.isFile()) entries.push(`.obsidian/${name}`);
  }
  for (const plugin of ['periodic-notes', 'templater-obsidian']) {
    const data = path.join(dir, 'plugins', plugin, 'data.json');
    if ((await fs.lstat(data).catch(() => undefined))?.isFile()) entries.push(`.obsidian/plugins/${plugin}/data.json`);
  }
}

/** What a zip's entries claim to unpack to, all together (nothing is unpacked); undefined when it is not a readable zip. */
export function claimedUnpackedSize(bytes: Uint8Array): number | undefined {
  let total = 0;
  try {
    unzipSync(bytes, { filter: (f) => { total += f.originalSize; return false; } });
  } catch {
    return undefined;
  }
  return total;
}

async function readCapped(file: string, entry: string): Promise<Uint8Array> {
  const stat = await fs.stat(file);
  if (stat.size > MAX_ENTRY_BYTES) throw new ImportFileError(`${entry}: larger than ${MAX_ENTRY_BYTES >> 20} MB; not read`);
  return fs.readFile(file);
}

/** Text of an entry: UTF-8 (or Windows-1252 when it is not UTF-8); a binary file is refused by name. */
export function textOf(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) throw new ImportFileError('is binary, not text (an image or a damaged file saved under a text name); left out');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** Zip entries may start with `./` or use `\`. */
function normalizeEntry(name: string): string {
  return name.replace(/\\/g, '/').replace(/^(?:\.\/)+/, '');
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
