// writeDataset encodes lines straight into a reused buffer: the bytes must be exactly
// JSON.stringify's, a line per record, whatever the characters and wherever a line
// falls against the buffer's edge (or is larger than the buffer).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { DatasetBuild, DocumentRecord } from '../../../src/core/dataset/build';
import type { DatasetManifest } from '../../../src/core/dataset/manifest';
import type { TrainingExample } from '../../../src/core/dataset/types';
import { exampleRecord, writeDataset } from '../../../src/core/dataset/write';

const NASTY = 'é — “quoted” don’t 𝒜 😀 \ud800 lone \udc00 "q" back\\slash\ttab\nline\u0000\u001f\u2028 ';

test('written lines are JSON.stringify of each record, byte for byte, across the buffer edge and beyond it', async () => {
  const train: TrainingExample[] = Array.from({ length: 3000 }, (_, i) => ({ id: `a.md#raw-${i}`, doc: 'a.md', tier: 'raw', text: `${NASTY.repeat(1 + (i % 37))}${i}` }));
  const val: TrainingExample[] = [
    { id: 'b.md#T2-0', doc: 'b.md', tier: 'T2', messages: [{ role: 'user', content: 'Write the essay.' }, { role: 'assistant', content: NASTY.repeat(40_000) }] },
  ];
  const documents: DocumentRecord[] = [
    { doc: 'a.md', path: 'a.md', title: 'A “title”', split: 'train', words: 12, text: 'x'.repeat((1 << 20) - 60) },
    { doc: 'b.md', path: 'b.md', title: '', split: 'val', words: 3, text: '😀'.repeat(200_000) },
    { doc: 'c.md', path: 'c.md', title: 'c', split: 'train', words: 1, text: NASTY },
  ];
  const manifest = { format: 1, source: '/essays', warnings: [NASTY] } as unknown as DatasetManifest;
  const build: DatasetBuild = { manifest, train, val, documents, timings: {} };
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voice-draft-write-'));
  try {
    const files = await writeDataset(dir, build);
    const lines = (records: object[]) => Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
    assert.ok((await fs.readFile(files.train)).equals(lines(train.map(exampleRecord))), 'train.jsonl');
    assert.ok((await fs.readFile(files.val)).equals(lines(val.map(exampleRecord))), 'val.jsonl');
    const docRecords = documents.map((d) => ({ doc: d.doc, path: d.path, title: d.title, split: d.split, words: d.words, text: d.text }));
    assert.ok((await fs.readFile(files.documents)).equals(lines(docRecords)), 'documents.jsonl');
    assert.equal(await fs.readFile(files.manifest, 'utf8'), `${JSON.stringify(manifest, null, 2)}\n`);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['documents.jsonl', 'manifest.json', 'train.jsonl', 'val.jsonl']);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
