import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { draftLinksFromFrontMatter, earlierVersionsFromGit, fileHistories, gitProgram, isInDraftsFolder, matchDraftTwins, slugOf } from '../../../src/core/corpus/drafts';
import { folderWith, gitMissing, gitRepository } from './fixtures';

test('a drafts/ twin is matched by slug, preferring the essay beside the drafts folder', () => {
  assert.equal(isInDraftsFolder('essays/drafts/walking.md'), true);
  assert.equal(isInDraftsFolder('_drafts/walking.md'), true);
  assert.equal(isInDraftsFolder('essays/walking-drafts.md'), false);
  assert.equal(slugOf('2024-01-02-on-walking.md'), 'on-walking');
  assert.equal(slugOf('drafts/on-walking-draft.md'), 'on-walking');

  const { twins, unmatched } = matchDraftTwins(
    ['essays/drafts/walking.md', 'drafts/orphan.md', 'drafts/common.md'],
    ['essays/walking.md', 'other/walking.md', 'a/common.md', 'b/common.md'],
  );
  assert.deepEqual([...twins], [['essays/drafts/walking.md', 'essays/walking.md']]);
  assert.deepEqual(unmatched.map((u) => u.path), ['drafts/orphan.md', 'drafts/common.md']);
  assert.match(unmatched[1]?.reason ?? '', /several essays/);
});

test('front matter links drafts both ways, and says when a link leads nowhere', () => {
  const { links, warnings } = draftLinksFromFrontMatter(
    new Map<string, Record<string, unknown>>([
      ['essays/walk.md', { draft: 'old/walk-v1.md' }],
      ['essays/old/walk-v1.md', {}],
      ['notes/rough.md', { draft_of: '../essays/tea.md' }],
      ['essays/tea.md', { drafts: ['missing.md'] }],
    ]),
  );
  assert.deepEqual([...links].sort(), [
    ['essays/old/walk-v1.md', 'essays/walk.md'],
    ['notes/rough.md', 'essays/tea.md'],
  ]);
  assert.deepEqual(warnings, ['essays/tea.md: front matter names the draft "missing.md", which is not among the essays found']);
});

test('git log output is followed back through renames', () => {
  const a = 'a'.repeat(40);
  const b = 'b'.repeat(40);
  const c = 'c'.repeat(40);
  // newest first: c renamed old.md → new.md, b modified old.md, a added old.md
  const log = `\0${c}\0\nR090\0essays/old.md\0essays/new.md\0\0${b}\0\nM\0essays/old.md\0M\0other.md\0\0${a}\0\nA\0essays/old.md\0`;
  const histories = fileHistories(log, new Map([['essays/new.md', 'new.md']]));
  assert.deepEqual(histories.get('new.md'), [
    { commit: c, file: 'essays/new.md' },
    { commit: b, file: 'essays/old.md' },
    { commit: a, file: 'essays/old.md' },
  ]);
});

test('earlier versions come from the essay\'s own git history (renames included)', { skip: gitMissing }, async () => {
  const body = 'Walking is thinking with the feet. '.repeat(20);
  const { dir, cleanup } = await folderWith({ 'essays/walk.md': `# Walk\n\n${body}\n\nA rough first go.\n` });
  try {
    const git = gitRepository(dir, 'first draft');
    await fs.writeFile(path.join(dir, 'essays/walk.md'), `# Walk\n\n${body}\n\nA second, better go.\n`);
    git('commit', '-q', '-am', 'second draft');
    git('mv', 'essays/walk.md', 'essays/on-walking.md');
    await fs.writeFile(path.join(dir, 'essays/on-walking.md'), `# On Walking\n\n${body}\n\nThe finished ending.\n`);
    git('add', '.');
    git('commit', '-q', '-m', 'finished, renamed');

    const history = await earlierVersionsFromGit(path.join(dir, 'essays'), ['on-walking.md'], { maxPerDoc: 2 });
    const versions = history.versions.get('on-walking.md') ?? [];
    assert.deepEqual(versions.map((v) => v.markdown), [`# Walk\n\n${body}\n\nA rough first go.\n`, `# Walk\n\n${body}\n\nA second, better go.\n`]);
    assert.match(versions[0]?.label ?? '', /^[0-9a-f]{10}:essays\/walk\.md$/);
    assert.equal(history.note, undefined);
  } finally {
    await cleanup();
  }
});

test('outside a git repository there is simply no history', async () => {
  const { dir, cleanup } = await folderWith({ 'a.md': 'text' });
  try {
    const history = await earlierVersionsFromGit(dir, ['a.md'], { maxPerDoc: 2 });
    assert.equal(history.versions.size, 0);
  } finally {
    await cleanup();
  }
});

test('without git on the PATH, history is skipped with a note, not an error', async () => {
  const { dir, cleanup } = await folderWith({ 'a.md': 'text' });
  const saved = process.env.PATH;
  try {
    process.env.PATH = path.join(dir, 'no-such-bin');
    const history = await earlierVersionsFromGit(dir, ['a.md'], { maxPerDoc: 2 });
    assert.equal(history.versions.size, 0);
    assert.match(history.note ?? '', /git was not found/);
  } finally {
    process.env.PATH = saved;
    await cleanup();
  }
});

test('reading history runs no program the repository configures (a signature check here)', { skip: gitMissing || process.platform === 'win32' }, async () => {
  const body = 'Walking is thinking with the feet. '.repeat(20);
  const { dir, cleanup } = await folderWith({ 'essays/walk.md': `# Walk\n\n${body}\n\nA rough first go.\n` });
  try {
    const git = gitRepository(dir, 'first draft');
    // A "gpg" that leaves a mark when run, and a commit carrying a signature for it to check.
    const marker = path.join(dir, 'gpg-ran');
    const fakeGpg = path.join(dir, 'fake-gpg.sh');
    await fs.writeFile(fakeGpg, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, { mode: 0o755 });
    git('config', 'log.showSignature', 'true');
    git('config', 'gpg.program', fakeGpg);
    await fs.writeFile(path.join(dir, 'essays/walk.md'), `# Walk\n\n${body}\n\nThe finished ending.\n`);
    git('add', 'essays/walk.md');
    const tree = git('write-tree').toString().trim();
    const parent = git('rev-parse', 'HEAD').toString().trim();
    const signed = [`tree ${tree}`, `parent ${parent}`, 'author Test <t@example.com> 1700000000 +0000',
      'committer Test <t@example.com> 1700000000 +0000',
      'gpgsig -----BEGIN PGP SIGNATURE-----', ' ', ' iQEzBAABCAAdFiEE', ' -----END PGP SIGNATURE-----', '', 'finished', ''].join('\n');
    const commit = execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: dir, input: signed }).toString().trim();
    git('update-ref', 'HEAD', commit);
    // The check can fail: a plain `git log` here does run the configured program.
    execFileSync('git', ['log', '--format=%H'], { cwd: dir, stdio: 'pipe' });
    await fs.access(marker);
    await fs.rm(marker);

    const history = await earlierVersionsFromGit(path.join(dir, 'essays'), ['walk.md'], { maxPerDoc: 2 });
    assert.equal(history.versions.get('walk.md')?.length, 1);
    await assert.rejects(fs.access(marker), 'git ran the repository\'s gpg.program while reading history');
  } finally {
    await cleanup();
  }
});

test('git is taken from an absolute folder of the PATH, never from the essays folder', async () => {
  const { dir, cleanup } = await folderWith({ 'bin/git': '#!/bin/sh\n', 'bin/git.exe': 'MZ' });
  try {
    const bin = path.join(dir, 'bin');
    assert.equal(gitProgram({ PATH: ['', '.', 'bin', bin].join(path.posix.delimiter) }, 'linux'), path.posix.join(bin, 'git'));
    assert.equal(gitProgram({ PATH: ['', '.', 'relative'].join(path.posix.delimiter) }, 'linux'), undefined);
    if (process.platform === 'win32') {
      assert.equal(gitProgram({ Path: `.;${bin}` }, 'win32'), path.win32.join(bin, 'git.exe'));
      assert.equal(gitProgram({ Path: `"${bin}"` }, 'win32'), path.win32.join(bin, 'git.exe'));
    }
  } finally {
    await cleanup();
  }
});
