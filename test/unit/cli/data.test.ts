import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { dataCommand } from '../../../src/cli/data';
import { essay, folderWith } from '../corpus/fixtures';
import { captureOutput } from '../helpers/captureOutput';

const run = (args: string[]) => captureOutput(() => dataCommand(args));

test('voice-draft data writes the dataset folder and prints a summary table', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 5; i++) files[`essays/e${i}.md`] = essay(`Essay ${i}`, i + 1, 8);
  const { dir, cleanup } = await folderWith(files);
  try {
    const out = path.join(dir, 'out');
    const result = await run([path.join(dir, 'essays'), '--out', out, '--val-ratio', '0.2', '--max-share', '0.5']);
    assert.equal(result.code, 0, result.stderr);
    for (const name of ['train.jsonl', 'val.jsonl', 'documents.jsonl', 'manifest.json']) assert.ok(existsSync(path.join(out, name)), name);
    assert.match(result.stdout, /essays\s+\d+\s+\d+\s+5/);
    assert.match(result.stdout, /T3 opening → continuation/);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { settings: { validationRatio: number; maxDocumentShare: number } };
    assert.equal(manifest.settings.validationRatio, 0.2);
    assert.equal(manifest.settings.maxDocumentShare, 0.5);

    const json = await run([path.join(dir, 'essays'), '--out', out, '--json']);
    assert.equal((JSON.parse(json.stdout) as { format: number }).format, 1);
  } finally {
    await cleanup();
  }
});

test('voice-draft data: usage errors exit 2, nothing to learn from exits 1 with the reason', async () => {
  assert.equal((await run([])).code, 2);
  assert.equal((await run(['a', 'b'])).code, 2);
  const bad = await run(['.', '--val-ratio', 'lots']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--val-ratio needs a number/);
  const outOfRange = await run(['.', '--max-share', '7']);
  assert.equal(outOfRange.code, 2);
  assert.match(outOfRange.stderr, /maxDocumentShare must be a number from 0.01 to 1/);
  const { dir, cleanup } = await folderWith({ 'readme.txt': 'no essays here' });
  try {
    const empty = await run([dir, '--out', path.join(dir, 'out')]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /No markdown essays found in/);
    assert.ok(!existsSync(path.join(dir, 'out')), 'nothing is written');
  } finally {
    await cleanup();
  }
  const missing = await run([path.join(path.sep, 'no', 'such', 'essays')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no[\\/]such[\\/]essays does not exist: name the folder that holds your markdown essays/);
  assert.match((await run(['--help'])).stdout, /usage: voice-draft data <folder>/);
});
