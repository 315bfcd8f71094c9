// What every importer gives back: one piece of writing per post, note or document,
// as markdown with the facts the export states about it, and what was cut from it.
// One strategy object per platform (substack.ts, medium.ts, …) implements ExportFormat.

/** The formats, in the order detection tries them (formats/index.ts). */
export const FORMAT_IDS = ['substack', 'medium', 'wordpress', 'ghost', 'word', 'obsidian'] as const;
export type FormatId = (typeof FORMAT_IDS)[number];

/** What the export says about a piece's state; absent when it says nothing. */
export type PieceStatus = 'published' | 'draft' | 'unpublished' | 'scheduled';

/** A piece of the export that is not the writer's prose and was left out (listed in the summary). */
export interface RemovedPart {
  /** What it was, in the writer's words: "subscribe button", "image caption", "paywall marker"… */
  kind: string;
  /** Its text, shortened; empty for parts without text (an embed, an image). */
  text: string;
}

export interface ImportedPiece {
  /** Stable id within the platform (`substack:123456`), so a re-import finds the same file. */
  key: string;
  /** Where it lies in the export (entry or file path), for messages. */
  origin: string;
  /** File name to write it under, relative, `/`-separated, without `.md`; made safe and unique on writing. */
  suggestedName: string;
  title?: string;
  subtitle?: string;
  /** `YYYY-MM-DD`. */
  date?: string;
  tags: string[];
  author?: string;
  sourceUrl?: string;
  status?: PieceStatus;
  paywalled?: boolean;
  /** The platform's kind of piece when it is not a plain post: `podcast`, `page`, `response`, `thread`. */
  type?: string;
  /** The prose, as markdown, without front matter. */
  body: string;
  removed: RemovedPart[];
}

/** A file of the export that could not be imported, and what to do about it. */
export interface ImportProblem {
  origin: string;
  message: string;
}

/** Something left out on purpose (a daily note, an attachment, a page), with the reason. */
export interface SkippedItem {
  origin: string;
  reason: string;
}

export interface FormatRead {
  pieces: ImportedPiece[];
  problems: ImportProblem[];
  skipped: SkippedItem[];
}

export interface ReadOptions {
  /** Obsidian: import daily notes and templates too (left out by default). */
  includeDailyNotes?: boolean;
  signal?: AbortSignal;
  /** Called as pieces are read. */
  onPiece?: (done: number, total: number) => void;
}

/** An export as a list of entries to read (exportSource.ts opens a zip, a folder or one file as one). */
export interface ExportSource {
  kind: 'zip' | 'folder' | 'file';
  /** The absolute path the writer picked. */
  path: string;
  /** Every entry, `/`-separated and relative (a single file: its own name), sorted. */
  entries: readonly string[];
  read(entry: string): Promise<Uint8Array>;
  /** Met while opening (a zip cut short, a file too large): reported, the rest still read. */
  problems: ImportProblem[];
}

/** One platform's export: how to recognise it and how to read it. */
export interface ExportFormat {
  id: FormatId;
  /** "Substack export", for messages. */
  label: string;
  /** What the writer should pick, for the message when nothing is recognised. */
  looksLike: string;
  /** Cheap: entry names, and at most a peek at one file. */
  detect(source: ExportSource): Promise<boolean>;
  read(source: ExportSource, options: ReadOptions): Promise<FormatRead>;
}

/** A problem that stops one file (not the import): its message says what to do. */
export class ImportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFileError';
  }
}

/** A problem that stops the whole import (nothing recognised, nowhere to write). */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}
