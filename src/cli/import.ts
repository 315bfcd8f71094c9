// `voice-draft import <file-or-folder> --out <folder>`: brings the writer's archive (a
// Substack, Medium, WordPress, Ghost, Obsidian or Word export) into a folder of
// markdown essays, and prints what came in, what was cut and what could not be read.

import * as path from 'node:path';
import { ImportError, type FormatId } from '../core/import/types';
import { command, interruptible, UsageError } from './commandLine';
import { COMMANDS } from './commands';
import { progressLine } from './progress';
// The importers (and their HTML, XML, zip and Word parsers) load when the command runs, not with every command.
type Importer = typeof import('../core/import/importWriting') & typeof import('../core/import/summary');
const importer = (): Importer => ({
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ...(require('../core/import/importWriting') as typeof import('../core/import/importWriting')),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ...(require('../core/import/summary') as typeof import('../core/import/summary')),
});

export const importCommand = command(COMMANDS.import, async ({ values, positionals: [input] }) => {
  if (values.out === undefined) throw new UsageError('name the folder the markdown goes to with --out <folder>');
  const out = values.out;
  const { importWriting, formatImportSummary } = importer();
  const progress = progressLine();
  return interruptible('import', async (signal) => {
    try {
      const report = await importWriting({
        input: path.resolve(input!),
        out: path.resolve(out),
        ...(values.format ? { format: values.format as FormatId } : {}),
        ...(values['include-daily-notes'] ? { includeDailyNotes: true } : {}),
        signal,
        ...(progress ? { onProgress: progress.update } : {}),
      });
      progress?.clear();
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatImportSummary(report));
      // Something came in: success, whatever could not be read (the summary lists it). Nothing did: a failure.
      return report.changes.length > 0 || report.problems.length === 0 ? 0 : 1;
    } finally {
      progress?.clear();
    }
  }, (e) => (e instanceof ImportError ? 1 : undefined));
});
