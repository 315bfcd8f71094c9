// Writes the dataset folder (docs/contracts.md). Same build → byte-identical files:
// fixed key order, fixed line order, no timestamps. Each file is written beside its
// final name and renamed into place, so a reader never sees half a file.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DatasetBuild, DocumentRecord } from './build';
import type { TrainingExample } from './types';

export interface DatasetFiles {
  folder: string;
  train: string;
  val: string;
  documents: string;
  manifest: string;
}

export async function writeDataset(folder: string, build: DatasetBuild): Promise<DatasetFiles> {
  const dir = path.resolve(folder);
  await fs.mkdir(dir, { recursive: true });
  const files: DatasetFiles = {
    folder: dir,
    train: path.join(dir, 'train.jsonl'),
    val: path.join(dir, 'val.jsonl'),
    documents: path.join(dir, 'documents.jsonl'),
    manifest: path.join(dir, 'manifest.json'),
  };
  await Promise.all([
    writeAtomically(files.train, jsonLines(build.train.map(exampleRecord))),
    writeAtomically(files.val, jsonLines(build.val.map(exampleRecord))),
    writeAtomically(files.documents, jsonLines(build.documents.map(documentRecord))),
  ]);
  // The manifest last: its presence says the folder is complete.
  await writeAtomically(files.manifest, `${JSON.stringify(build.manifest, null, 2)}\n`);
  return files;
}

/** The contract's key order, whatever order the object was built in. */
export function exampleRecord(e: TrainingExample): object {
  if (e.tier === 'raw') return { id: e.id, doc: e.doc, tier: e.tier, text: e.text };
  return { id: e.id, doc: e.doc, tier: e.tier, messages: e.messages.map((m) => ({ role: m.role, content: m.content })) };
}

function documentRecord(d: DocumentRecord): object {
  return { doc: d.doc, path: d.path, title: d.title, split: d.split, words: d.words, text: d.text };
}

function jsonLines(records: object[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, content, 'utf8');
  await fs.rename(temporary, file);
}
