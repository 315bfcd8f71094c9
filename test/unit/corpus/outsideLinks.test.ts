// The essay scan never reads outside the workspace folder (issue #25, finding 2):
// symbolic links to /etc/passwd, /proc/self/status or a private folder elsewhere are
// refused and named in the report; links that stay inside keep working; drafts (a
// drafts/ twin, a front-matter `draft:`) obey the same rule.
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { findEssays } from '../../../src/core/corpus/discover';
import { draftLinksFromFrontMatter } from '../../../src/core/corpus/drafts';
import { buildDataset } from '../../../src/core/dataset/build';
import { essay, prose } from './fixtures';

const OPTIONS = { include: ['**/*.md'], exclude: [], maxFileBytes: 1_000_000 };
const SECRET = 'PRIVATE-DIARY-ENTRY never meant for training';

async function tempTree(): Promise<{ top: string; ws: string; outside: string; cleanup: () => Promise<void> }> {
  const top = await fs.mkdtemp(path.join(os.tmpdir(), 'vd-outside-'));
  const ws = path.join(top, 'workspace');
  const outside = path.join(top, 'private');
  await fs.mkdir(path.join(ws, 'sub'), { recursive: true });
  await fs.mkdir(path.join(outside, 'more'), { recursive: true });
  await fs.writeFile(path.join(outside, 'secret.md'), `# Diary\n\n${SECRET}\n`);
  await fs.writeFile(path.join(outside, 'more', 'secret2.md'), `# Diary 2\n\n${SECRET}\n`);
  return { top, ws, outside, cleanup: () => fs.rm(top, { recursive: true, force: true }) };
}

test('links that leave the workspace folder are refused and named; links inside it still work', async () => {
  const { top, ws, outside, cleanup } = await tempTree();
  try {
    await fs.writeFile(path.join(ws, 'essay.md'), essay('Essay', 1));
    await fs.writeFile(path.join(ws, 'sub', 'real.md'), essay('Real', 2));
    // Out of the folder: system files, a private folder, a relative climb, the parent itself.
    await fs.symlink('/etc/passwd', path.join(ws, 'passwd.md'));
    await fs.symlink('/proc/self/status', path.join(ws, 'status.md'));
    await fs.symlink(outside, path.join(ws, 'private'));
    await fs.symlink(path.join('..', '..', 'private', 'secret.md'), path.join(ws, 'sub', 'climb.md'));
    await fs.symlink('..', path.join(ws, 'up'));
    // A link to a link that leaves: resolved all the way.
    await fs.symlink(path.join(ws, 'passwd.md'), path.join(ws, 'sub', 'again.md'));
    // Inside the folder: a file link and a folder link.
    await fs.symlink(path.join('sub', 'real.md'), path.join(ws, 'alias.md'));
    await fs.symlink('sub', path.join(ws, 'mirror'));

    for (const root of [ws, path.join(top, 'ws-link')]) {
      if (root !== ws) await fs.symlink(ws, root); // the workspace opened through a link of its own
      const found = await findEssays(root, OPTIONS);
      assert.deepEqual(found.files.map((f) => f.path), ['essay.md', 'sub/real.md']);
      for (const f of found.files) {
        assert.ok(!f.text.includes(SECRET) && !f.text.includes('root:') && !/VmRSS|TracerPid/.test(f.text), f.path);
      }
      const reasons = Object.fromEntries(found.skipped.map((s) => [s.path, s.reason]));
      for (const p of ['passwd.md', 'status.md', 'private', 'sub/climb.md', 'up', 'sub/again.md']) {
        assert.match(reasons[p] ?? '', /outside the folder; not read/, `${p}: ${reasons[p]}`);
      }
      assert.match(reasons['alias.md'] ?? '', /same file as sub\/real\.md/, 'an inside link is followed (and known for a twin)');
      assert.match(reasons['mirror/real.md'] ?? '', /same file as sub\/real\.md/);
    }
  } finally {
    await cleanup();
  }
});

test('an inside folder link is read when it is the only way to a file', async () => {
  const { top, ws, cleanup } = await tempTree();
  try {
    const shelf = path.join(ws, '.shelf'); // hidden: not walked itself
    await fs.mkdir(shelf);
    await fs.writeFile(path.join(shelf, 'kept.md'), essay('Kept', 3));
    await fs.symlink(shelf, path.join(ws, 'kept'));
    const found = await findEssays(ws, OPTIONS);
    assert.deepEqual(found.files.map((f) => f.path), ['kept/kept.md']);
    assert.deepEqual(found.skipped, []);
    assert.ok(existsSync(top));
  } finally {
    await cleanup();
  }
});

test('drafts from outside the folder are never used: a drafts/ link, a front-matter path', async () => {
  const { ws, outside, cleanup } = await tempTree();
  try {
    for (let i = 0; i < 4; i++) await fs.writeFile(path.join(ws, `e${i}.md`), essay(`Essay ${i}`, 10 + i, 8));
    await fs.writeFile(path.join(ws, 'walk.md'), `---\ntitle: "Walk"\ndraft: ../private/walk-notes.md\n---\n\n${prose(77)}\n\n${prose(78)}\n\n${prose(79)}\n`);
    // The writer's "drafts" live elsewhere; one would be the twin of walk.md.
    await fs.mkdir(path.join(outside, 'drafts'));
    await fs.writeFile(path.join(outside, 'drafts', 'walk.md'), `# Walk\n\n${SECRET} ${prose(80)}\n`);
    await fs.writeFile(path.join(outside, 'walk-notes.md'), `# Walk notes\n\n${SECRET} ${prose(81)}\n`);
    await fs.symlink(path.join(outside, 'drafts'), path.join(ws, 'drafts'));

    const build = await buildDataset({ folder: ws, parseWorkers: 1, useGitHistory: false });
    const { manifest } = build;
    const skipped = Object.fromEntries(manifest.skipped.map((s) => [s.path, s.reason]));
    assert.match(skipped.drafts ?? '', /outside the folder; not read/);
    assert.equal(manifest.drafts.used['drafts folder'], 0);
    assert.equal(manifest.drafts.used['front matter'], 0);
    assert.ok(manifest.warnings.some((w) => /walk\.md: front matter names the draft "\.\.\/private\/walk-notes\.md", which lies outside the folder/.test(w)), manifest.warnings.join('\n'));
    assert.ok(!JSON.stringify(build).includes(SECRET), 'no text from outside the folder is anywhere in the dataset');

    // The front-matter rule on its own: a path that climbs out is named as such.
    const { links, warnings } = draftLinksFromFrontMatter(new Map([['a/walk.md', { draft: '../../x/walk.md', draft_of: '../../../etc/passwd' }], ['x/walk.md', {}]]));
    assert.equal(links.size, 0);
    assert.equal(warnings.filter((w) => /lies outside the folder/.test(w)).length, 2, warnings.join('\n'));
  } finally {
    await cleanup();
  }
});
