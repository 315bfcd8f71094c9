// A zip bomb (many entries over one block of data) is read up to a total, the rest named and
// left out; a .docx that claims to unpack to more than a document holds is refused before mammoth.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { zipSync } from 'fflate';
import { claimedUnpackedSize, openZip } from '../../../src/core/import/exportSource';
import { importWriting } from '../../../src/core/import/importWriting';
import { folderWith } from '../corpus/fixtures';

/** A zip whose central directory lists `copies` markdown entries, all pointing at one compressed block of `entryBytes` spaces. */
function overlappingEntries(copies: number, entryBytes: number): Uint8Array {
  const one = zipSync({ 'x.md': new Uint8Array(entryBytes).fill(32) }, { level: 9 });
  const view = new DataView(one.buffer, one.byteOffset, one.byteLength);
  const eocd = one.length - 22;
  const cdOffset = view.getUint32(eocd + 16, true);
  const entries: Uint8Array[] = [];
  for (let i = 0; i < copies; i++) {
    const name = new TextEncoder().encode(`p${String(i).padStart(4, '0')}.md`);
    const entry = new Uint8Array(46 + name.length);
    entry.set(one.subarray(cdOffset, cdOffset + 46));
    const ev = new DataView(entry.buffer);
    ev.setUint16(28, name.length, true);
    ev.setUint16(30, 0, true); // no extra field
    ev.setUint16(32, 0, true); // no comment
    entry.set(name, 46);
    entries.push(entry);
  }
  const directory = Buffer.concat(entries);
  const end = Uint8Array.from(one.subarray(eocd, eocd + 22));
  const endView = new DataView(end.buffer);
  endView.setUint16(8, copies, true);
  endView.setUint16(10, copies, true);
  endView.setUint32(12, directory.length, true);
  endView.setUint32(16, cdOffset, true);
  return Buffer.concat([one.subarray(0, cdOffset), directory, end]);
}

test('a zip bomb is read only up to the total, and the entries past it are named', async () => {
  const bomb = overlappingEntries(40, 1 << 20);
  assert.ok(bomb.length < 64 * 1024, `${bomb.length} bytes on disk`);
  assert.equal(claimedUnpackedSize(bomb), 40 << 20);
  const source = openZip('bomb.zip', bomb, 8 << 20);
  assert.equal(source.entries.length, 40);
  const refused = source.problems.filter((p) => /the most one import reads/.test(p.message));
  assert.equal(refused.length, 32);
  assert.equal((await source.read('p0000.md')).length, 1 << 20);
  await assert.rejects(source.read('p0039.md'), /could not be read from the zip/);
});

test('a .docx that claims to unpack to more than a document holds is left out before it is unpacked', async () => {
  const { dir, cleanup } = await folderWith({ 'essays/bomb.docx': Buffer.from(overlappingEntries(300, 1 << 20)) });
  try {
    const report = await importWriting({ input: path.join(dir, 'essays'), out: path.join(dir, 'out') });
    const problems = Object.fromEntries(report.problems.map((p) => [p.origin, p.message]));
    assert.match(problems['bomb.docx'] ?? '', /unpacks to 300 MB, more than a Word document holds; left out/);
  } finally {
    await cleanup();
  }
});
