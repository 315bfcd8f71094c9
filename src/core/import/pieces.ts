// Small shared helpers of the importers: dates, file names, tags, and the per-file
// guard that turns one bad file into a message while the rest go on.

import { ImportFileError, type ImportProblem } from './types';

/** `YYYY-MM-DD` (UTC) of a date the export gives in any format Date reads; undefined for none or nonsense. */
export function dateOnly(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (text === '' || text.startsWith('0000')) return undefined;
  const plain = /^(\d{4}-\d{2}-\d{2})(?:[ T]|$)/.exec(text);
  // A date without a zone ("2019-03-04 10:00:00", WordPress's local time) keeps its own day.
  if (plain && !/[zZ]|[+-]\d{2}:?\d{2}$/.test(text)) return plain[1];
  const ms = typeof value === 'number' ? value : Date.parse(text);
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10);
}

/** A file-name-safe slug: letters and digits of any script, `-` between words, at most 80 characters. */
export function slug(text: string): string {
  const s = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return s.slice(0, 80).replace(/-+$/, '');
}

/** `2021-03-04-on-walking`, `on-walking`, or the fallback's slug. */
export function nameFor(date: string | undefined, title: string | undefined, fallback: string): string {
  const base = slug(title ?? '') || slug(fallback) || 'untitled';
  return date ? `${date}-${base}` : base;
}

/** Tags as the writer would type them: trimmed, no `#`, no duplicates (case-insensitive), in order. */
export function cleanTags(tags: readonly unknown[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of tags) {
    if (typeof t !== 'string') continue;
    const tag = t.trim().replace(/^#/, '');
    if (tag === '' || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    out.push(tag);
  }
  return out;
}

/** Runs `read` for one file; a failure becomes a problem naming the file, never the end of the import. */
export async function eachFile<T>(origin: string, problems: ImportProblem[], read: () => Promise<T | undefined>): Promise<T | undefined> {
  // A turn of the event loop between files: an import of thousands of posts inside the editor leaves it responsive (and cancellable).
  await new Promise((resolve) => setImmediate(resolve));
  try {
    return await read();
  } catch (e) {
    if (e instanceof Error && e.name === 'AbortError') throw e;
    const message = e instanceof ImportFileError ? e.message : `could not be read: ${e instanceof Error ? e.message : String(e)}`;
    problems.push({ origin, message });
    return undefined;
  }
}

/** The entry's name without folders and extension. */
export function baseName(entry: string): string {
  const name = entry.slice(entry.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** The entry's folder (`a/b` for `a/b/c.html`, `` at the top). */
export function folderOf(entry: string): string {
  const i = entry.lastIndexOf('/');
  return i < 0 ? '' : entry.slice(0, i);
}
