// Importing the same export again: in place, reporting what changed; the writer's
// edits and deletions win; the originals are never touched; nothing lands elsewhere.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { importWriting } from '../../../src/core/import/importWriting';
import { formatImportSummary } from '../../../src/core/import/summary';
import { ImportError } from '../../../src/core/import/types';
import { safeRelative } from '../../../src/core/import/writePieces';
import { folderWith } from '../corpus/fixtures';
import { BIERCE, NATURE, WALKING, obsidianVaultFiles, wxr, wxrItem } from './exports';

/** Every file under a folder with its sha256 and mtime: what "untouched" means. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${statSync(p).mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

const changes = (r: { changes: Array<{ file: string; change: string }> }) => r.changes.map((c) => `${c.file}: ${c.change}`).sort();

test('a second import of a changed export updates in place, keeps what the writer edited or deleted, and names what the export no longer has', async () => {
  const v1 = wxr([
    wxrItem({ id: 1, title: 'Walking', content: `<p>${WALKING}</p>` }),
    wxrItem({ id: 2, title: 'Nature', content: `<p>${NATURE}</p>` }),
    wxrItem({ id: 3, title: 'Cynic', content: `<p>${BIERCE}</p>` }),
    wxrItem({ id: 4, title: 'Fourth', content: `<p>${BIERCE} Again.</p>` }),
  ]);
  const { dir, cleanup } = await folderWith({ 'export.xml': v1 });
  try {
    const input = path.join(dir, 'export.xml');
    const out = path.join(dir, 'essays');
    const first = await importWriting({ input, out });
    assert.equal(first.changes.length, 4);
    assert.ok(first.changes.every((c) => c.change === 'added'));

    const same = await importWriting({ input, out });
    assert.ok(same.changes.every((c) => c.change === 'unchanged'), changes(same).join());

    // The writer edits one file and deletes another; the export changes one post, drops one.
    await fs.appendFile(path.join(out, '2018-01-01-nature.md'), '\nA line of my own.\n');
    await fs.rm(path.join(out, '2018-01-01-cynic.md'));
    await fs.writeFile(input, wxr([
      wxrItem({ id: 1, title: 'Walking', content: `<p>${WALKING} Revised.</p>` }),
      wxrItem({ id: 2, title: 'Nature', content: `<p>${NATURE} Revised.</p>` }),
      wxrItem({ id: 3, title: 'Cynic', content: `<p>${BIERCE}</p>` }),
    ]));
    const again = await importWriting({ input, out });
    assert.deepEqual(changes(again), ['2018-01-01-cynic.md: deleted by you', '2018-01-01-nature.md: kept your edits', '2018-01-01-walking.md: updated']);
    assert.deepEqual(again.removedInSource, [{ key: 'wordpress:saunterer.example.com:4', file: '2018-01-01-fourth.md' }]);
    assert.ok(readFileSync(path.join(out, '2018-01-01-walking.md'), 'utf8').includes(`${WALKING} Revised.`));
    assert.ok(readFileSync(path.join(out, '2018-01-01-nature.md'), 'utf8').endsWith('A line of my own.\n'), 'the edit is still there');
    assert.ok(readFileSync(path.join(out, '2018-01-01-fourth.md'), 'utf8').includes(BIERCE), 'a piece gone from the source keeps its file');
    const summary = formatImportSummary(again);
    assert.match(summary, /3 pieces: 1 updated, 1 kept your edits, 1 deleted by you/);
    assert.match(summary, /Left as you have them[\s\S]*2018-01-01-nature\.md \(edited\)[\s\S]*2018-01-01-cynic\.md \(deleted\)/);
    assert.match(summary, /Not in this export \(the files were kept; delete them if they should go\): 1\n {2}2018-01-01-fourth\.md/);
  } finally {
    await cleanup();
  }
});

test('a file of the writer already at a piece\'s name is never overwritten: the piece takes the next free name', async () => {
  const { dir, cleanup } = await folderWith({ 'export.xml': wxr([wxrItem({ id: 1, title: 'Walking', content: `<p>${WALKING}</p>` })]), 'essays/2018-01-01-walking.md': 'My own essay, not imported.\n' });
  try {
    const report = await importWriting({ input: path.join(dir, 'export.xml'), out: path.join(dir, 'essays') });
    assert.deepEqual(changes(report), ['2018-01-01-walking-2.md: added']);
    assert.equal(readFileSync(path.join(dir, 'essays', '2018-01-01-walking.md'), 'utf8'), 'My own essay, not imported.\n');
  } finally {
    await cleanup();
  }
});

test('importing never changes the export: a vault imported into a folder beside it stays byte for byte and time for time', async () => {
  const { dir, cleanup } = await folderWith(Object.fromEntries(Object.entries(obsidianVaultFiles()).map(([k, v]) => [`vault/${k}`, v])));
  try {
    const before = snapshot(path.join(dir, 'vault'));
    await importWriting({ input: path.join(dir, 'vault'), out: path.join(dir, 'essays') });
    await importWriting({ input: path.join(dir, 'vault'), out: path.join(dir, 'essays'), includeDailyNotes: true });
    assert.deepEqual(snapshot(path.join(dir, 'vault')), before);
    assert.deepEqual(readdirSync(dir).sort(), ['essays', 'vault']);
  } finally {
    await cleanup();
  }
});

test('importing into the export\'s own folder is refused, with what to do instead', async () => {
  const { dir, cleanup } = await folderWith(obsidianVaultFiles());
  try {
    const before = snapshot(dir);
    await assert.rejects(importWriting({ input: dir, out: dir }), (e: unknown) => e instanceof ImportError && /Choose another folder to import into/.test(e.message));
    assert.deepEqual(snapshot(dir), before);
  } finally {
    await cleanup();
  }
});

test('file names stay inside the folder on every system', () => {
  assert.equal(safeRelative('../../etc/passwd'), 'etc/passwd');
  assert.equal(safeRelative('a/../b'), 'a/b');
  assert.equal(safeRelative('.hidden/con'), 'hidden/_con');
  assert.equal(safeRelative('What? A "title": yes*'), 'What A title yes');
  assert.equal(safeRelative('///'), 'untitled');
  assert.equal(safeRelative('notes/aux.draft'), 'notes/_aux.draft', 'reserved on Windows whatever follows the dot');
  assert.equal(safeRelative('auxiliary'), 'auxiliary');
  const cjk = safeRelative('2024-05-01 ' + '散歩について考える'.repeat(12));
  assert.ok(Buffer.byteLength(cjk, 'utf8') <= 200, `${Buffer.byteLength(cjk, 'utf8')} bytes`);
  assert.ok(cjk.startsWith('2024-05-01 散歩'));
  const emoji = safeRelative('🚶'.repeat(80));
  assert.ok(Buffer.byteLength(emoji, 'utf8') <= 200);
  assert.equal(emoji, '🚶'.repeat(50), 'cut between characters, never inside one');
});

test('something that is no export at all is named, with the formats Voice Draft reads', async () => {
  const { dir, cleanup } = await folderWith({ 'notes.txt': 'just some text' });
  try {
    await assert.rejects(importWriting({ input: dir, out: path.join(dir, 'out') }), (e: unknown) => e instanceof ImportError && /Substack export zip[\s\S]*Medium[\s\S]*WordPress[\s\S]*Ghost[\s\S]*\.docx[\s\S]*Obsidian vault/.test(e.message));
    await assert.rejects(importWriting({ input: path.join(dir, 'missing.zip'), out: path.join(dir, 'out') }), (e: unknown) => e instanceof ImportError && /does not exist/.test(e.message));
  } finally {
    await cleanup();
  }
});
