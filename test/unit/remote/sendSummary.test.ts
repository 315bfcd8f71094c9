// What the writer is asked before a run goes to a remote host (issue #25, finding 8): the
// count must include the earlier drafts that travel with the essays, also those taken from
// git history (no file of the workspace, but the writer's text all the same).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildDataset } from '../../../src/core/dataset/build';
import { createRun } from '../../../src/core/dataset/prepareRun';
import { describeSend, sendSummary } from '../../../src/engine/remoteTraining';
import { essay, folderWith, gitMissing, gitRepository, prose } from '../corpus/fixtures';

test('the consent count names the drafts from git history that go with the essays', { skip: gitMissing }, async () => {
  const { dir, cleanup } = await folderWith({ 'essays/walk.md': essay('On walking', 21, 6), 'essays/tide.md': essay('The tide', 22, 6) });
  const runs = await fs.mkdtemp(path.join(os.tmpdir(), 'voice-draft-send-'));
  try {
    const git = gitRepository(dir, 'first drafts');
    await fs.writeFile(path.join(dir, 'essays/walk.md'), essay('On walking', 21, 6, `\n\n${prose(50)}\n\n${prose(51)}\n`));
    git('commit', '-q', '-am', 'finished');
    const build = await buildDataset({ folder: dir });
    assert.ok(build.manifest.drafts.used['git history'] >= 1, 'the build took a draft from git history');
    const run = await createRun(runs, dir, build, {});
    const summary = await sendSummary(run);
    assert.equal(summary.files, 2);
    assert.equal(summary.drafts.fromGit, build.manifest.drafts.used['git history']);
    assert.ok((summary.drafts.words ?? 0) > 0);
    const text = describeSend(summary);
    assert.match(text, /^2 files, [\d,]+ words, and \d+ earlier drafts? of them \(\d+ from git history, [\d,]+ words\)$/);
    // Without drafts, the count is the essays alone.
    assert.equal(describeSend({ files: 1, words: 900, drafts: { total: 0, fromGit: 0, words: 0 } }), '1 file, 900 words');
  } finally {
    await cleanup();
    await fs.rm(runs, { recursive: true, force: true });
  }
});
