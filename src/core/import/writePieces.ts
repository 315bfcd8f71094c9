// Writes imported pieces into the writer's chosen folder, one markdown file each, and
// nowhere else. A ledger in that folder (.voice-draft-import.json) remembers which
// file each piece went to and what was written, so importing the same export again
// updates in place, leaves files the writer edited or deleted alone, and names what
// the source no longer has (the file stays).

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { FormatId, ImportedPiece, ImportProblem } from './types';

export const LEDGER_FILE = '.voice-draft-import.json';

interface LedgerEntry {
  file: string;
  sha256: string;
  format: FormatId;
}

interface Ledger {
  format: 1;
  pieces: Record<string, LedgerEntry>;
}

export type Change = 'added' | 'updated' | 'unchanged' | 'kept your edits' | 'deleted by you';

export interface PieceChange {
  key: string;
  /** Relative to the folder written to, `/`-separated. */
  file: string;
  title?: string;
  change: Change;
}

export interface WriteOutcome {
  changes: PieceChange[];
  /** Pieces an earlier import wrote that this export no longer has; their files were left as they are. */
  removedInSource: Array<{ key: string; file: string }>;
  problems: ImportProblem[];
}

export interface WriteOptions {
  /** The export itself, when it is a folder: nothing is ever written inside it (unless the writer chose a folder there). */
  protect?: string;
}

/** The markdown file for a piece: front matter with what the export says, then the prose. */
export function pieceMarkdown(piece: ImportedPiece, format: FormatId): string {
  const fields: Record<string, unknown> = {};
  if (piece.title) fields.title = piece.title;
  if (piece.subtitle) fields.subtitle = piece.subtitle;
  if (piece.date) fields.date = piece.date;
  if (piece.author) fields.author = piece.author;
  if (piece.tags.length > 0) fields.tags = piece.tags;
  if (piece.status) fields.status = piece.status;
  if (piece.paywalled) fields.paywalled = true;
  if (piece.type) fields.type = piece.type;
  fields.source = format;
  if (piece.sourceUrl) fields.source_url = piece.sourceUrl;
  fields.source_file = piece.origin;
  return `---\n${stringify(fields, { lineWidth: 0 })}---\n\n${piece.body.trim()}\n`;
}

export async function writePieces(out: string, format: FormatId, pieces: readonly ImportedPiece[], options: WriteOptions = {}): Promise<WriteOutcome> {
  const root = path.resolve(out);
  await fs.mkdir(root, { recursive: true });
  const problems: ImportProblem[] = [];
  const ledger = await readLedger(root, problems);
  const guard = options.protect && !isInside(root, path.resolve(options.protect)) ? path.resolve(options.protect) : undefined;
  const taken = new Set(Object.values(ledger.pieces).map((e) => e.file.toLowerCase()));
  const changes: PieceChange[] = [];
  const seen = new Set<string>();
  let origin = '';
  const tryWrite = (file: string, content: string) =>
    writeAtomic(file, content, root).then(
      () => true,
      (e: unknown) => {
        problems.push({ origin, message: `could not be written: ${e instanceof Error ? e.message : String(e)}` });
        return false;
      },
    );

  for (const piece of pieces) {
    if (seen.has(piece.key)) {
      problems.push({ origin: piece.origin, message: 'the same piece appears twice in the export; the first copy was kept' });
      continue;
    }
    seen.add(piece.key);
    origin = piece.origin;
    const content = pieceMarkdown(piece, format);
    const known = ledger.pieces[piece.key];
    const change = (file: string, kind: Change): PieceChange => ({ key: piece.key, file, change: kind, ...(piece.title ? { title: piece.title } : {}) });
    if (known) {
      const onDisk = await fs.readFile(path.join(root, known.file), 'utf8').catch(() => undefined);
      if (onDisk === undefined) changes.push(change(known.file, 'deleted by you'));
      else if (sha256(onDisk) !== known.sha256) changes.push(change(known.file, 'kept your edits'));
      else if (onDisk === content) changes.push(change(known.file, 'unchanged'));
      else if (await tryWrite(path.join(root, known.file), content)) {
        ledger.pieces[piece.key] = { ...known, sha256: sha256(content) };
        changes.push(change(known.file, 'updated'));
      }
      continue;
    }
    const file = await freeName(root, safeRelative(piece.suggestedName), content, taken);
    const target = path.join(root, file);
    if (!isInside(target, root) || (guard && isInside(target, guard))) {
      problems.push({ origin: piece.origin, message: `would be written to ${target}, outside the chosen folder or inside the export; not written` });
      continue;
    }
    taken.add(file.toLowerCase());
    const existing = await fs.readFile(target, 'utf8').catch(() => undefined);
    if (existing !== content && !(await tryWrite(target, content))) continue;
    ledger.pieces[piece.key] = { file, sha256: sha256(content), format };
    changes.push(change(file, existing === content ? 'unchanged' : 'added'));
  }

  const removedInSource: WriteOutcome['removedInSource'] = [];
  for (const [key, entry] of Object.entries(ledger.pieces).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (entry.format !== format || seen.has(key)) continue;
    if (await exists(path.join(root, entry.file))) removedInSource.push({ key, file: entry.file });
    else delete ledger.pieces[key];
  }
  await writeAtomic(path.join(root, LEDGER_FILE), `${JSON.stringify(ledger, null, 2)}\n`, root);
  return { changes, removedInSource, problems };
}

async function readLedger(root: string, problems: ImportProblem[]): Promise<Ledger> {
  const file = path.join(root, LEDGER_FILE);
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return { format: 1, pieces: {} };
  try {
    const value = JSON.parse(text) as Partial<Ledger>;
    if (value && typeof value === 'object' && value.pieces && typeof value.pieces === 'object') {
      const pieces: Record<string, LedgerEntry> = {};
      for (const [k, e] of Object.entries(value.pieces)) {
        if (e && typeof e.file === 'string' && typeof e.sha256 === 'string' && typeof e.format === 'string' && !path.isAbsolute(e.file) && !e.file.split('/').includes('..')) pieces[k] = e;
      }
      return { format: 1, pieces };
    }
  } catch {
    // falls through: kept aside below
  }
  const aside = path.join(root, `.voice-draft-import.unreadable-${Date.now()}.json`);
  await fs.rename(file, aside);
  problems.push({ origin: LEDGER_FILE, message: `could not be read; kept as ${path.basename(aside)}. Files already in the folder are not overwritten: pieces whose file differs were written under a new name.` });
  return { format: 1, pieces: {} };
}

/** `name.md`, or `name-2.md`… when another piece or a different file of the writer's has it. */
async function freeName(root: string, name: string, content: string, taken: ReadonlySet<string>): Promise<string> {
  for (let n = 1; ; n++) {
    const file = `${n === 1 ? name : `${name}-${n}`}.md`;
    if (taken.has(file.toLowerCase())) continue;
    const existing = await fs.readFile(path.join(root, file), 'utf8').catch(() => undefined);
    if (existing === undefined || existing === content) return file;
  }
}

/** Windows reserves these names with any extension too (`aux.draft.md` cannot be created there). */
const RESERVED = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\..*)?$/i;
/**
 * Bytes of one path segment at most: file systems allow 255, and the name gets `-NN.md` and,
 * while it is written, `.tmp-<pid>` after it. Counted in UTF-8, where a CJK character takes 3.
 */
const MAX_SEGMENT_BYTES = 200;

/** A relative path that stays in the folder on every system: no `..`, no hidden or reserved names, no odd characters, no name too long. */
export function safeRelative(name: string): string {
  const segments = name
    .split(/[/\\]+/)
    .map((s) => trimEnds(cutToBytes(Array.from(trimEnds(s.normalize('NFC').replace(/[<>:"|?*\p{Cc}]/gu, ''))).slice(0, 100).join(''), MAX_SEGMENT_BYTES)))
    .filter((s) => s !== '')
    .map((s) => (RESERVED.test(s) ? `_${s}` : s));
  return segments.length > 0 ? segments.join('/') : 'untitled';
}

function trimEnds(s: string): string {
  return s.replace(/^[.\s]+|[.\s]+$/g, '');
}

/** The longest start of `s` within `max` UTF-8 bytes, cut between characters (never inside a surrogate pair). */
function cutToBytes(s: string, max: number): string {
  if (Buffer.byteLength(s, 'utf8') <= max) return s;
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > max) break;
    out += ch;
  }
  return out;
}

async function writeAtomic(file: string, content: string, root: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  // A folder inside the chosen one that is a link elsewhere must not carry the write out of it.
  const [realDir, realRoot] = await Promise.all([fs.realpath(path.dirname(file)), fs.realpath(root)]);
  if (!isInside(realDir, realRoot)) throw new Error(`${path.dirname(file)} leads outside ${root} (a link); not written there`);
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, content, 'utf8');
  await fs.rename(tmp, file);
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
