import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { draftLinksFromFrontMatter, earlierVersionsFromGit, fileHistories, isInDraftsFolder, matchDraftTwins, slugOf } from '../../../src/core/corpus/drafts';
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
