// `voice-draft data <folder>`: builds the training dataset from a folder of essays,
// writes it, and prints what went in (the same summary the editor shows before training).

import * as path from 'node:path';
import { buildDataset, DatasetError, type BuildProgress } from '../core/dataset/build';
import type { DatasetSettings } from '../core/dataset/options';
import { formatDatasetSummary } from '../core/dataset/summary';
import { writeDataset } from '../core/dataset/write';
import { command, interruptible } from './commandLine';
import { COMMANDS } from './commands';
import { progressLine } from './progress';

export const dataCommand = command(COMMANDS.data, async ({ values, positionals }) => {
  // The ranges are the dataset's own (options.ts): a value out of range is its RangeError, exit 2.
  const settings: Partial<DatasetSettings> = {};
  if (values['val-ratio'] !== undefined) settings.validationRatio = values['val-ratio'];
  if (values['max-share'] !== undefined) settings.maxDocumentShare = values['max-share'];
  if (values['short-note-words'] !== undefined) settings.shortNoteWords = values['short-note-words'];
  if (values['no-git']) settings.useGitHistory = false;

  const folder = path.resolve(positionals[0]!);
  const out = path.resolve(values.out ?? 'dataset');
  const progress = progressLine();
  return interruptible('data', async (signal) => {
    try {
      const build = await buildDataset({ folder, ...settings, signal, ...(progress ? { onProgress: (p: BuildProgress) => progress.update(p.message) } : {}) });
      progress?.clear();
      const files = await writeDataset(out, build);
      process.stdout.write(values.json ? `${JSON.stringify(build.manifest, null, 2)}\n` : formatDatasetSummary(build.manifest, { writtenTo: files.folder }));
      return 0;
    } finally {
      progress?.clear();
    }
  }, (e) => (e instanceof DatasetError ? 1 : e instanceof RangeError ? 2 : undefined));
});
