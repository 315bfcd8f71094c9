// Obsidian vaults (links, embeds, callouts, tags, comments; daily notes and templates)
// and Word documents (styles, properties; a .docx that is not a zip, an old .doc).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { convertObsidianNote } from '../../../src/core/import/formats/obsidianText';
import { importWriting } from '../../../src/core/import/importWriting';
import { folderWith } from '../corpus/fixtures';
import { NATURE, NATURE_2, OBSIDIAN_NOTE, WALKING, WALKING_2, docx, obsidianVaultFiles, zip } from './exports';

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');

test('an Obsidian note becomes plain markdown: links read as their text, embeds and comments go, callouts unwrap, tags move to the front matter, code stays', () => {
  const note = convertObsidianNote(OBSIDIAN_NOTE);
  assert.deepEqual(note.tags, ['essay', 'nature', 'draft', 'walking']);
  assert.equal(note.frontMatter.date, '2023-02-03');
  assert.equal(
    note.markdown,
    [
      '# Walking',
      '',
      `${WALKING} See my note on solitude and Concord.`,
      '',
      '**Why it matters**',
      '',
      WALKING_2,
      '',
      '> Emerson',
      `> ${NATURE}`,
      '',
      'This is the point of the whole essay.',
      '',
      '```',
      'code with [[not a link]] and #not-a-tag',
      '```',
    ].join('\n'),
  );
  assert.deepEqual(note.removed, [{ kind: 'private comment', text: 'fix this later' }, { kind: 'embed', text: 'woods.png' }]);
});

test('Obsidian: a comment over several lines goes whole; a tag inside a sentence keeps its word; a heading link reads as the heading', () => {
  const note = convertObsidianNote('Before %%a private\nthought over lines%% after.\n\nI walk for #health/body every day, see [[#Walking]] and [[notes/Solitude.md]].\n');
  assert.equal(note.markdown, 'Before\nafter.\n\nI walk for body every day, see Walking and Solitude.');
  assert.deepEqual(note.tags, ['health/body']);
});

test('Obsidian vault: notes keep their folders; daily notes and templates (from the vault settings and by name) are left out unless asked for', async () => {
  const { dir, cleanup } = await folderWith(obsidianVaultFiles());
  try {
    const out = path.join(dir, 'imported');
    const report = await importWriting({ input: dir, out });
    assert.equal(report.format, 'obsidian');
    assert.deepEqual(report.changes.map((c) => c.file).sort(), ['Essays/Solitude.md', 'Essays/Walking.md']);
    assert.match(read(out, 'Essays/Walking.md'), /^---\ntitle: Walking\ndate: 2023-02-03\ntags:\n {2}- essay\n {2}- nature\n {2}- draft\n {2}- walking\nsource: obsidian\n/);
    assert.ok(read(out, 'Essays/Solitude.md').endsWith(`---\n\n${NATURE}\n\n${NATURE_2}\n`));
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.origin, s.reason]));
    assert.match(reasons['Journal/Days/2024-01-05.md'] ?? '', /daily note/);
    assert.match(reasons['Inbox/2024-02-01 Thursday.md'] ?? '', /daily note/);
    assert.match(reasons['Meta/Templates/Essay template.md'] ?? '', /template/);
    assert.ok(report.skipped.some((s) => /1 attachment/.test(s.reason)));

    // The folder written to lies inside the vault: a second import does not read its own output back.
    const again = await importWriting({ input: dir, out, includeDailyNotes: true });
    assert.deepEqual(again.changes.map((c) => `${c.file} ${c.change}`).sort(), [
      'Essays/Solitude.md unchanged',
      'Essays/Walking.md unchanged',
      'Inbox/2024-02-01 Thursday.md added',
      'Journal/Days/2024-01-05.md added',
      'Meta/Templates/Essay template.md added',
    ]);
  } finally {
    await cleanup();
  }
});

test('Word: the Title and Subtitle styles and the document properties make the front matter; quotes stay quotes', async () => {
  const bytes = docx({ title: 'Walking', subtitle: 'A word for Nature', paragraphs: [WALKING, WALKING_2], quote: NATURE, created: '2020-01-02T09:00:00Z' });
  const { dir, cleanup } = await folderWith({ 'Walking draft.docx': Buffer.from(bytes) });
  try {
    const out = path.join(dir, 'out');
    const report = await importWriting({ input: path.join(dir, 'Walking draft.docx'), out });
    assert.equal(report.format, 'word');
    assert.equal(read(out, 'Walking draft.md'), `---\ntitle: Walking\nsubtitle: A word for Nature\ndate: 2020-01-02\ntags:\n  - walking\n  - nature\nsource: word\nsource_file: Walking draft.docx\n---\n\n${WALKING}\n\n${WALKING_2}\n\n> ${NATURE}\n`);
  } finally {
    await cleanup();
  }
});

test('Word: a folder of documents where one is not a zip, one is an old .doc and one is a lock file: each named, the rest imported', async () => {
  const { dir, cleanup } = await folderWith({
    'essays/walking.docx': Buffer.from(docx({ paragraphs: [WALKING], coreTitle: 'On Walking' })),
    'essays/nature.docx': Buffer.from(docx({ paragraphs: [NATURE] })),
    'essays/broken.docx': 'PK but not really a zip',
    'essays/old.doc': Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
    'essays/~$walking.docx': Buffer.from([1, 2, 3]),
  });
  try {
    const out = path.join(dir, 'out');
    const report = await importWriting({ input: path.join(dir, 'essays'), out });
    assert.equal(report.format, 'word');
    assert.deepEqual(report.changes.map((c) => `${c.file} ${c.title}`).sort(), ['nature.md nature', 'walking.md On Walking']);
    const problems = Object.fromEntries(report.problems.map((p) => [p.origin, p.message]));
    assert.match(problems['broken.docx'] ?? '', /not a Word document that can be read.*save it as \.docx again/);
    assert.match(problems['old.doc'] ?? '', /Word 97–2003 \.doc.*save it as \.docx/);
    assert.match(report.skipped.find((s) => s.origin === '~$walking.docx')?.reason ?? '', /lock file/);
  } finally {
    await cleanup();
  }
});

test('a zip of a vault is read like the folder', async () => {
  const files = obsidianVaultFiles();
  const { dir, cleanup } = await folderWith({ 'vault.zip': Buffer.from(zip(files)) });
  try {
    const report = await importWriting({ input: path.join(dir, 'vault.zip'), out: path.join(dir, 'out') });
    assert.equal(report.format, 'obsidian');
    assert.deepEqual(report.changes.map((c) => c.file).sort(), ['Essays/Solitude.md', 'Essays/Walking.md']);
  } finally {
    await cleanup();
  }
});
