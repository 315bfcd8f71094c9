// `voice-draft data <folder>`: builds the training dataset from a folder of essays,
// writes it, and prints what went in (the same summary the editor shows before training).

import * as path from 'node:path';
import { buildDataset, DatasetError, type BuildProgress } from '../core/dataset/build';
import type { DatasetSettings } from '../core/dataset/options';
import { formatDatasetSummary } from '../core/dataset/summary';
import { writeDataset } from '../core/dataset/write';
import { defineCommand, readCommandLine } from './commandLine';

export const DATA_COMMAND = defineCommand({
  name: 'data',
  synopsis: '<folder> [options]',
  about: `Builds the training dataset from the markdown essays in <folder> (honouring .gitignore
and .voiceignore) and writes train.jsonl, val.jsonl, documents.jsonl and manifest.json.`,
  positionals: { min: 1, max: 1, names: 'one folder of essays' },
  options: {
    out: { kind: 'text', value: 'DIR', help: 'where to write the dataset (default: ./dataset, from where you run it)' },
    'val-ratio': { kind: 'number', value: 'R', help: 'share of essays held out for validation, 0.01–0.5 (default 0.1)' },
    'max-share': { kind: 'number', value: 'S', help: 'largest share of training pairs one essay may supply, 0.01–1 (default 0.2)' },
    'short-note-words': { kind: 'int', help: 'pieces shorter than N words become topic → note pairs (default 250)' },
    'no-git': { kind: 'flag', help: 'do not look for earlier versions of the essays in git history' },
    json: { kind: 'flag', help: 'print manifest.json instead of the summary table' },
  },
});

export async function dataCommand(args: string[]): Promise<number> {
  const line = readCommandLine(DATA_COMMAND, args);
  if (typeof line === 'number') return line;
  const { values, positionals } = line;
  // The ranges are the dataset's own (options.ts): a value out of range is its RangeError, exit 2.
  const settings: Partial<DatasetSettings> = {};
  if (values['val-ratio'] !== undefined) settings.validationRatio = values['val-ratio'];
  if (values['max-share'] !== undefined) settings.maxDocumentShare = values['max-share'];
  if (values['short-note-words'] !== undefined) settings.shortNoteWords = values['short-note-words'];
  if (values['no-git']) settings.useGitHistory = false;

  const folder = path.resolve(positionals[0]!);
  const out = path.resolve(values.out ?? 'dataset');
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const progress = process.stderr.isTTY ? progressLine() : undefined;
  try {
    const build = await buildDataset({ folder, ...settings, signal: abort.signal, ...(progress ? { onProgress: progress.update } : {}) });
    progress?.clear();
    const files = await writeDataset(out, build);
    process.stdout.write(values.json ? `${JSON.stringify(build.manifest, null, 2)}\n` : formatDatasetSummary(build.manifest, { writtenTo: files.folder }));
    return 0;
  } catch (e) {
    progress?.clear();
    if (e instanceof DatasetError) {
      process.stderr.write(`voice-draft data: ${e.message}\n`);
      return 1;
    }
    if (e instanceof RangeError) {
      process.stderr.write(`voice-draft data: ${e.message}\n`);
      return 2;
    }
    if (abort.signal.aborted) {
      process.stderr.write('voice-draft data: cancelled; nothing was written\n');
      return 130;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** One line on a terminal's stderr, rewritten in place. */
function progressLine(): { update: (p: BuildProgress) => void; clear: () => void } {
  let shown = false;
  return {
    update: (p) => {
      process.stderr.write(`\r\x1b[K${p.message}`);
      shown = true;
    },
    clear: () => {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
