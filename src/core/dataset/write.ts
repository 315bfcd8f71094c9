// Writes the dataset folder (docs/contracts.md). Same build → byte-identical files:
// fixed key order, fixed line order, no timestamps. Each file is written beside its
// final name and renamed into place, so a reader never sees half a file.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../runs/runFolder';
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
  await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
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
  await writeAtomically(files.manifest, [JSON.stringify(build.manifest, null, 2)]);
  return files;
}

/** The contract's key order, whatever order the object was built in. */
export function exampleRecord(e: TrainingExample): object {
  if (e.tier === 'raw') return { id: e.id, doc: e.doc, tier: e.tier, text: e.text };
  if (e.tier === 'fim') return { id: e.id, doc: e.doc, tier: e.tier, prompt: e.prompt, completion: e.completion };
  return { id: e.id, doc: e.doc, tier: e.tier, messages: e.messages.map((m) => ({ role: m.role, content: m.content })) };
}

function documentRecord(d: DocumentRecord): object {
  return { doc: d.doc, path: d.path, title: d.title, split: d.split, words: d.words, text: d.text };
}

function* jsonLines<T>(items: readonly T[], record: (item: T) => object): Generator<string> {
  for (const item of items) yield JSON.stringify(record(item));
}

/**
 * Lines are encoded straight into one reused buffer of a megabyte, written out as it
 * fills: no file-sized string, no joined chunk to copy and encode again (a third less
 * time than joining a megabyte of lines and encoding it with Buffer.from), few writes.
 */
const BUFFER_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/** Writes each line followed by "\n". */
async function writeAtomically(file: string, lines: Iterable<string>): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(temporary, 'w', PRIVATE_FILE_MODE); // the writer's essays: theirs alone to read
  const writeOut = async (bytes: Buffer, length: number) => {
    for (let at = 0; at < length; ) at += (await handle.write(bytes, at, length - at)).bytesWritten;
  };
  try {
    const buffer = Buffer.allocUnsafe(BUFFER_BYTES);
    let used = 0;
    for (const line of lines) {
      const most = 3 * line.length + 1; // UTF-8 takes at most 3 bytes per UTF-16 code unit, plus the newline
      if (used + most > buffer.length) {
        await writeOut(buffer, used);
        used = 0;
      }
      if (most > buffer.length) {
        const bytes = Buffer.from(`${line}\n`, 'utf8');
        await writeOut(bytes, bytes.length);
        continue;
      }
      used += buffer.write(line, used, 'utf8');
      buffer[used++] = NEWLINE;
    }
    await writeOut(buffer, used);
  } catch (error) {
    await handle.close();
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await fs.rename(temporary, file);
}
