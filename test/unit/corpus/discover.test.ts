import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { findEssays, textProblem } from '../../../src/core/corpus/discover';
import { folderWith } from './fixtures';

const options = { include: ['**/*.md', '**/*.markdown'], exclude: ['**/node_modules/**', '**/.git/**'], maxFileBytes: 2 * 1024 * 1024 };

test('finds markdown essays, honouring include/exclude globs, .gitignore (with negation), nested .gitignore and .voiceignore', async () => {
  const { dir, cleanup } = await folderWith({
    'a.md': 'A',
    'b.markdown': 'B',
    'notes.txt': 'not markdown',
    'Upper.MD': 'upper-case extension',
    'node_modules/pkg/readme.md': 'dependency',
    '.hidden/secret.md': 'tooling folder',
    '.gitignore': 'private/\n*.tmp.md\n!keep.tmp.md\n',
    'private/diary.md': 'ignored by .gitignore',
    'x.tmp.md': 'ignored by pattern',
    'keep.tmp.md': 're-included by negation',
    'sub/.gitignore': 'local.md\n',
    'sub/local.md': 'ignored by nested .gitignore',
    'sub/kept.md': 'kept',
    '.voiceignore': 'sub/kept-out.md\n',
    'sub/kept-out.md': 'ignored by .voiceignore',
  });
  try {
    const found = await findEssays(dir, options);
    assert.deepEqual(found.files.map((f) => f.path), ['Upper.MD', 'a.md', 'b.markdown', 'keep.tmp.md', 'sub/kept.md']);
    assert.equal(found.files[1]?.text, 'A');
    assert.deepEqual(found.skipped, []);
    const excluded = await findEssays(dir, { ...options, exclude: [...options.exclude, 'sub/**'] });
    assert.ok(!excluded.files.some((f) => f.path.startsWith('sub/')));
    const mdx = await findEssays(dir, { ...options, include: ['**/*.mdx'] });
    assert.deepEqual(mdx.files, []);
  } finally {
    await cleanup();
  }
});

test('a .gitignore above the folder, up to the git root, still applies', async () => {
  const { dir, cleanup } = await folderWith({
    '.gitignore': 'essays/private/\n',
    'essays/public.md': 'kept',
    'essays/private/secret.md': 'ignored from the repository root',
  });
  try {
    await fs.mkdir(path.join(dir, '.git'));
    const found = await findEssays(path.join(dir, 'essays'), options);
    assert.deepEqual(found.files.map((f) => f.path), ['public.md']);
  } finally {
    await cleanup();
  }
});

test('skips with a named reason: binary, non-UTF-8, UTF-16, too large, symlink loops and twins, broken links', async () => {
  const { dir, cleanup } = await folderWith({
    'good.md': 'Fine text with emoji 🙂 and accents é.',
    'binary.md': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]),
    'latin1.md': Buffer.from('caf\xe9 au lait', 'latin1'),
    'utf16.md': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hello', 'utf16le')]),
    'loop/inner.md': 'inside the loop folder',
  });
  try {
    // 50 MB, written sparse: the size check must reject it before anything reads it.
    const big = await fs.open(path.join(dir, 'huge.md'), 'w');
    await big.truncate(50 * 1024 * 1024);
    await big.close();
    await fs.symlink(path.join(dir, 'loop'), path.join(dir, 'loop', 'again'));
    await fs.symlink(path.join(dir, 'good.md'), path.join(dir, 'alias.md'));
    await fs.symlink(path.join(dir, 'missing.md'), path.join(dir, 'dangling.md'));

    const found = await findEssays(dir, options);
    assert.deepEqual(found.files.map((f) => f.path), ['good.md', 'loop/inner.md']);
    const reasons = Object.fromEntries(found.skipped.map((s) => [s.path, s.reason]));
    assert.match(reasons['binary.md'] ?? '', /binary/);
    assert.match(reasons['latin1.md'] ?? '', /not UTF-8/);
    assert.match(reasons['utf16.md'] ?? '', /UTF-16/);
    assert.match(reasons['huge.md'] ?? '', /too large \(50\.0 MB; the cap is 2\.0 MB\)/);
    assert.match(reasons['loop/again'] ?? '', /symbolic link loop \(points back to loop\)/);
    assert.match(reasons['good.md'] ?? reasons['alias.md'] ?? '', /same file as/);
    assert.match(reasons['dangling.md'] ?? '', /broken symbolic link/);
  } finally {
    await cleanup();
  }
});

test('an unreadable file is skipped, not fatal', async (t) => {
  if (process.getuid?.() === 0) {
    t.skip('running as root: permissions do not stop root from reading');
    return;
  }
  const { dir, cleanup } = await folderWith({ 'open.md': 'readable', 'closed.md': 'unreadable' });
  try {
    await fs.chmod(path.join(dir, 'closed.md'), 0o000);
    const found = await findEssays(dir, options);
    assert.deepEqual(found.files.map((f) => f.path), ['open.md']);
    assert.deepEqual(found.skipped, [{ path: 'closed.md', reason: 'unreadable (permission denied)' }]);
  } finally {
    await fs.chmod(path.join(dir, 'closed.md'), 0o644);
    await cleanup();
  }
});

test('textProblem accepts UTF-8 with a BOM and rejects a lone invalid byte', () => {
  assert.equal(textProblem(Buffer.from('\ufeffhello', 'utf8')), undefined);
  assert.match(textProblem(Buffer.from([0x68, 0xc3, 0x28])) ?? '', /not UTF-8/);
});
