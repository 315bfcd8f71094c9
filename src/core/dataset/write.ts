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
    writeAtomically(files.train, jsonLines(build.train, exampleRecord)),
    writeAtomically(files.val, jsonLines(build.val, exampleRecord)),
    writeAtomically(files.documents, jsonLines(build.documents, documentRecord)),
  ]);
  // The manifest last: its presence says the folder is complete.
  await writeAtomically(files.manifest, [`${JSON.stringify(build.manifest, null, 2)}\n`]);
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

/** About a megabyte of lines at a time: no file-sized string (copied by every young-generation GC while it lives), few writes. */
const CHUNK_CHARS = 1 << 20;

function* jsonLines<T>(items: readonly T[], record: (item: T) => object): Generator<string> {
  let lines: string[] = [];
  let size = 0;
  for (const item of items) {
    const line = `${JSON.stringify(record(item))}\n`;
    lines.push(line);
    size += line.length;
    if (size >= CHUNK_CHARS) {
      yield lines.join('');
      lines = [];
      size = 0;
    }
  }
  if (lines.length > 0) yield lines.join('');
}

async function writeAtomically(file: string, chunks: Iterable<string>): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(temporary, 'w');
  try {
    for (const chunk of chunks) {
      const bytes = Buffer.from(chunk, 'utf8');
      for (let at = 0; at < bytes.length; ) at += (await handle.write(bytes, at)).bytesWritten;
    }
  } catch (error) {
    await handle.close();
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await fs.rename(temporary, file);
}
