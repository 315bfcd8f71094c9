// "Import Writing": an export (zip, folder or file) → its format → one markdown file
// per piece in the folder the writer chose, and a report of what came in, what was
// cut from each piece, what was left out and why. The export itself is only read.

import * as path from 'node:path';
import { excerpt } from '../corpus/text';
import { openExport } from './exportSource';
import { detectFormat } from './formats/index';
import { ImportError, type FormatId, type ImportProblem, type PieceStatus, type SkippedItem } from './types';
import { writePieces, type PieceChange } from './writePieces';

export interface ImportOptions {
  /** The export: a .zip, .xml, .json or .docx file, or a folder. */
  input: string;
  /** The folder to write the markdown into (made if missing). */
  out: string;
  /** Skip detection. */
  format?: FormatId;
  /** Obsidian: import daily notes and templates too. */
  includeDailyNotes?: boolean;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface ImportReport {
  format: FormatId;
  formatLabel: string;
  input: string;
  out: string;
  changes: PieceChange[];
  removedInSource: Array<{ key: string; file: string }>;
  /** Pieces per state the export gave (published, draft…), and how many were paywalled. */
  states: Partial<Record<PieceStatus, number>> & { paywalled: number };
  /** Platform furniture cut from the pieces, by kind, with a few examples. */
  removed: { total: number; byKind: Record<string, number>; examples: Array<{ kind: string; text: string; origin: string }> };
  skipped: SkippedItem[];
  /** Files that could not be imported, each with what to do. */
  problems: ImportProblem[];
}

const MAX_EXAMPLES = 12;

export async function importWriting(options: ImportOptions): Promise<ImportReport> {
  const input = path.resolve(options.input);
  const out = path.resolve(options.out);
  if (out === input) throw new ImportError(`Choose another folder to import into: writing into ${input} itself would mix the copies with the originals.`);
  options.onProgress?.(`Opening ${input}`);
  const source = await openExport(input, { skipFolder: out, ...(options.signal ? { signal: options.signal } : {}) });
  const format = await detectFormat(source, options.format);
  options.onProgress?.(`Reading the ${format.label}`);
  const read = await format.read(source, {
    ...(options.includeDailyNotes ? { includeDailyNotes: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onPiece: (done, total) => options.onProgress?.(`Reading the ${format.label} (${done}/${total})`),
  });
  options.signal?.throwIfAborted();
  options.onProgress?.(`Writing ${read.pieces.length} pieces to ${out}`);

  const skipped = [...read.skipped];
  const pieces = read.pieces.filter((p) => {
    if (p.body.trim() !== '') return true;
    skipped.push({ origin: p.origin, reason: p.removed.length > 0 ? `nothing left after cutting ${kindsOf(p.removed.map((r) => r.kind))}` : 'no text' });
    return false;
  });
  if (pieces.length === 0 && read.problems.length + source.problems.length === 0 && skipped.length === 0) {
    throw new ImportError(`The ${format.label} at ${input} holds no pieces of writing.`);
  }
  // Nothing readable: nothing written (and an earlier import's files are not called "removed in source").
  const written = pieces.length > 0 ? await writePieces(out, format.id, pieces, { ...(source.kind === 'folder' ? { protect: input } : {}) }) : { changes: [], removedInSource: [], problems: [] };

  const removed: ImportReport['removed'] = { total: 0, byKind: {}, examples: [] };
  const shown = new Set<string>();
  const perKind = new Map<string, number>();
  for (const p of pieces) {
    for (const r of p.removed) {
      removed.total++;
      removed.byKind[r.kind] = (removed.byKind[r.kind] ?? 0) + 1;
      // A few different examples, at most two of a kind: enough for the writer to check nothing of theirs went.
      const key = `${r.kind}\u0000${r.text.toLowerCase()}`;
      if (!r.text || shown.has(key) || (perKind.get(r.kind) ?? 0) >= 2 || removed.examples.length >= MAX_EXAMPLES) continue;
      shown.add(key);
      perKind.set(r.kind, (perKind.get(r.kind) ?? 0) + 1);
      removed.examples.push({ kind: r.kind, text: excerpt(r.text, 100), origin: p.origin });
    }
  }
  const states: ImportReport['states'] = { paywalled: 0 };
  for (const p of pieces) {
    if (p.status) states[p.status] = (states[p.status] ?? 0) + 1;
    if (p.paywalled) states.paywalled++;
  }
  return {
    format: format.id,
    formatLabel: format.label,
    input,
    out,
    changes: written.changes,
    removedInSource: written.removedInSource,
    states,
    removed,
    skipped,
    problems: [...source.problems, ...read.problems, ...written.problems],
  };
}

function kindsOf(kinds: string[]): string {
  return [...new Set(kinds)].join(', ');
}
