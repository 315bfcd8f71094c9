// The formats, in the order they are tried: the most specific first (a Substack zip
// also holds HTML; a vault may hold a .docx), a plain folder of markdown notes last.

import { type ExportFormat, type ExportSource, FORMAT_IDS, type FormatId, ImportError } from '../types';
import { ghostExport } from './ghost';
import { mediumExport } from './medium';
import { obsidianVault } from './obsidian';
import { substackExport } from './substack';
import { wordDocuments } from './word';
import { wordpressExport } from './wordpress';

export const FORMATS: readonly ExportFormat[] = [substackExport, mediumExport, wordpressExport, ghostExport, wordDocuments, obsidianVault];

export function formatById(id: string): ExportFormat | undefined {
  return FORMATS.find((f) => f.id === id);
}

/** The export's format, or an ImportError listing what each format looks like. */
export async function detectFormat(source: ExportSource, wanted?: FormatId): Promise<ExportFormat> {
  if (wanted) {
    const format = formatById(wanted);
    if (!format) throw new ImportError(`Unknown format "${wanted}": use one of ${FORMAT_IDS.join(', ')}.`);
    return format;
  }
  // An Obsidian vault is recognised by its settings folder before anything it may contain.
  if (obsidianVaultWithSettings(source)) return obsidianVault;
  for (const format of FORMATS) if (await format.detect(source)) return format;
  throw new ImportError(
    [`Nothing in ${source.path} looks like an export Voice Draft can import. It reads:`, ...FORMATS.map((f) => `  - ${f.looksLike}`), 'Pick the file the platform gave you (often a .zip), or the folder you unzipped it into.'].join('\n'),
  );
}

function obsidianVaultWithSettings(source: ExportSource): boolean {
  return source.kind === 'folder' && source.entries.some((e) => e.startsWith('.obsidian/'));
}
