// A run folder that cannot be written whole is not left behind, and the writer is told why
// and what to do; an engine that died silently on a full disk is told apart from a crash.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildRunDataset, createRun } from '../../../src/core/dataset/prepareRun';
import { freeBytes, lowDiskSpace } from '../../../src/core/runs/diskSpace';
import { runFolderWriteProblem } from '../../../src/features/training/runFolderWriteProblem';

test('a dataset that fails part way leaves no run folder behind', async () => {
  const essays = await mkdtemp(join(tmpdir(), 'essays-'));
  await writeFile(join(essays, 'walk.md'), `# Walk\n\n${'Walking is thinking with the feet, slowly and on purpose. '.repeat(60)}\n`);
  const build = await buildRunDataset({ folder: essays });
  // The manifest is written last, after the example files: a manifest that cannot be written
  // stands for the disk filling up there, with a half-written dataset already on disk.
  const manifest: Record<string, unknown> = { ...build.manifest };
  manifest.self = manifest;
  const root = await mkdtemp(join(tmpdir(), 'runs-'));
  await assert.rejects(createRun(root, essays, { ...build, manifest: manifest as unknown as typeof build.manifest }, {}), /circular/i);
  assert.deepEqual(await readdir(root), []);
  const whole = await createRun(root, essays, build, {});
  assert.deepEqual(await readdir(root), [whole.split(/[\\/]/).pop()]);
});

test('a full or read-only runs folder is said with what to do next', () => {
  const full = runFolderWriteProblem(Object.assign(new Error('no space'), { code: 'ENOSPC' }), '/runs');
  assert.match(full, /^The disk holding \/runs is full, .*nothing of it was kept.*Free some space.*voiceDraft\.runsFolder/);
  assert.match(runFolderWriteProblem(Object.assign(new Error('denied'), { code: 'EACCES' }), '/runs'), /cannot be written to \(EACCES\).*voiceDraft\.runsFolder/);
  assert.equal(runFolderWriteProblem(new Error('odd'), '/runs'), 'The run folder could not be written in /runs: odd');
});

test('low disk space is reported under the threshold only, and never for a path that is gone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'disk-'));
  const free = await freeBytes(dir);
  assert.ok(free !== undefined && free > 0);
  assert.equal(await lowDiskSpace(dir, 0), undefined);
  assert.match((await lowDiskSpace(dir, Number.MAX_SAFE_INTEGER)) ?? '', /^the disk holding .+ has only \d+ MB free$/);
  assert.equal(await lowDiskSpace(join(dir, 'gone', 'run'), Number.MAX_SAFE_INTEGER), undefined);
});
