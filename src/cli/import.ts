// `voice-draft import <file-or-folder> --out <folder>`: brings the writer's archive (a
// Substack, Medium, WordPress, Ghost, Obsidian or Word export) into a folder of
// markdown essays, and prints what came in, what was cut and what could not be read.

import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { FORMAT_IDS, ImportError, type FormatId } from '../core/import/types';
// The importers (and their HTML, XML, zip and Word parsers) load when the command runs, not with every command.
type Importer = typeof import('../core/import/importWriting') & typeof import('../core/import/summary');
const importer = (): Importer => ({
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ...(require('../core/import/importWriting') as typeof import('../core/import/importWriting')),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ...(require('../core/import/summary') as typeof import('../core/import/summary')),
});

export const IMPORT_USAGE = `usage: voice-draft import <file-or-folder> --out <folder> [--format F] [--include-daily-notes] [--json]

Writes one markdown file per piece of writing in an export into <folder> (made if
missing), with front matter (title, subtitle, date, tags, source URL, draft, paywalled),
and prints what was imported, cut and left out. The export is only read. Importing the
same export again updates the files in place; files you edited or deleted are left as
you have them.

  <file-or-folder>       a Substack or Medium export zip, a WordPress .xml, a Ghost .json,
                         an Obsidian vault, a .docx (or a folder or zip of them)
  --out <folder>         where the markdown goes (not the export's own folder)
  --format F             skip detection: ${FORMAT_IDS.join(', ')}
  --include-daily-notes  Obsidian: import daily notes and templates too
  --json                 print the report as JSON instead of the summary
`;

export async function importCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string' },
        format: { type: 'string' },
        'include-daily-notes': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`voice-draft import: ${(e as Error).message}\n\n${IMPORT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(IMPORT_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || !positionals[0] || !values.out) {
    process.stderr.write(`voice-draft import: name one export and --out <folder>\n\n${IMPORT_USAGE}`);
    return 2;
  }
  if (values.format !== undefined && !(FORMAT_IDS as readonly string[]).includes(values.format)) {
    process.stderr.write(`voice-draft import: --format must be one of ${FORMAT_IDS.join(', ')} (got "${values.format}")\n`);
    return 2;
  }

  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const { importWriting, formatImportSummary } = importer();
  try {
    const report = await importWriting({
      input: path.resolve(positionals[0]),
      out: path.resolve(values.out),
      ...(values.format ? { format: values.format as FormatId } : {}),
      ...(values['include-daily-notes'] ? { includeDailyNotes: true } : {}),
      signal: abort.signal,
      ...(process.stderr.isTTY ? { onProgress: (m: string) => process.stderr.write(`\r\x1b[K${m}`) } : {}),
    });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatImportSummary(report));
    // Something came in: success, whatever could not be read (the summary lists it). Nothing did: a failure.
    return report.changes.length > 0 || report.problems.length === 0 ? 0 : 1;
  } catch (e) {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (e instanceof ImportError) {
      process.stderr.write(`voice-draft import: ${e.message}\n`);
      return 1;
    }
    if (abort.signal.aborted) {
      process.stderr.write('voice-draft import: cancelled; nothing was written\n');
      return 130;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
