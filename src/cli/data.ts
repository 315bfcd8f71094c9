// `voice-draft data <folder>`: builds the training dataset from a folder of essays,
// writes it, and prints what went in (the same summary the editor shows before training).

import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildDataset, DatasetError, type BuildProgress } from '../core/dataset/build';
import type { DatasetSettings } from '../core/dataset/options';
import { formatDatasetSummary } from '../core/dataset/summary';
import { writeDataset } from '../core/dataset/write';

export const DATA_USAGE = `usage: voice-draft data <folder> [--out DIR] [--val-ratio R] [--max-share S] [--short-note-words N] [--no-git] [--json]

Builds the training dataset from the markdown essays in <folder> (honouring .gitignore
and .voiceignore) and writes train.jsonl, val.jsonl, documents.jsonl and manifest.json.

  --out DIR              where to write the dataset (default: ./dataset, from where you run it)
  --val-ratio R          share of essays held out for validation, 0.01–0.5 (default 0.1)
  --max-share S          largest share of training pairs one essay may supply, 0.01–1 (default 0.2)
  --short-note-words N   pieces shorter than N words become topic → note pairs (default 250)
  --no-git               do not look for earlier versions of the essays in git history
  --json                 print manifest.json instead of the summary table
`;

export async function dataCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        'val-ratio': { type: 'string' },
        'max-share': { type: 'string' },
        'short-note-words': { type: 'string' },
        'no-git': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`voice-draft data: ${(e as Error).message}\n\n${DATA_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(DATA_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || !positionals[0]) {
    process.stderr.write(`voice-draft data: name one folder of essays\n\n${DATA_USAGE}`);
    return 2;
  }

  const settings: Partial<DatasetSettings> = {};
  try {
    if (values['val-ratio'] !== undefined) settings.validationRatio = numberArg('--val-ratio', values['val-ratio']);
    if (values['max-share'] !== undefined) settings.maxDocumentShare = numberArg('--max-share', values['max-share']);
    if (values['short-note-words'] !== undefined) settings.shortNoteWords = numberArg('--short-note-words', values['short-note-words']);
  } catch (e) {
    process.stderr.write(`voice-draft data: ${(e as Error).message}\n`);
    return 2;
  }
  if (values['no-git']) settings.useGitHistory = false;

  const folder = path.resolve(positionals[0]);
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

function numberArg(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new RangeError(`${name} needs a number (got "${value}")`);
  return n;
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
