import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { importCommand } from '../../../src/cli/import';
import { folderWith } from '../corpus/fixtures';
import { captureOutput } from '../helpers/captureOutput';
import { ghostJson, substackZip } from '../import/exports';

const run = (args: string[]) => captureOutput(() => importCommand(args));

test('voice-draft import writes the markdown into --out and prints the summary (or the report as JSON)', async () => {
  const { dir, cleanup } = await folderWith({ 'export.zip': Buffer.from(substackZip()) });
  try {
    const out = path.join(dir, 'essays');
    const result = await run([path.join(dir, 'export.zip'), '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Imported the Substack export at .*export\.zip\ninto .*essays\n\n3 pieces: 3 added/);
    assert.match(result.stdout, /Cut as platform furniture, not your prose: \d+/);
    assert.equal(readdirSync(out).filter((f) => f.endsWith('.md')).length, 3);

    const json = await run([path.join(dir, 'export.zip'), '--out', out, '--json']);
    const report = JSON.parse(json.stdout) as { format: string; changes: Array<{ change: string }> };
    assert.equal(report.format, 'substack');
    assert.ok(report.changes.every((c) => c.change === 'unchanged'));
  } finally {
    await cleanup();
  }
});

test('voice-draft import refuses unknown flags, a missing --out or a wrong --format, with the usage, before touching anything', async () => {
  const { dir, cleanup } = await folderWith({ 'export.zip': Buffer.from(substackZip()) });
  try {
    const input = path.join(dir, 'export.zip');
    for (const args of [[input, '--out', path.join(dir, 'o'), '--outt', 'x'], [input], [input, '--out'], [input, '--out', path.join(dir, 'o'), '--format', 'tumblr'], [input, input, '--out', path.join(dir, 'o')]]) {
      const result = await run(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /voice-draft import: /);
    }
    assert.ok(!existsSync(path.join(dir, 'o')));
  } finally {
    await cleanup();
  }
});

test('voice-draft import exits 1 with the reason when nothing could be imported', async () => {
  const json = ghostJson();
  const { dir, cleanup } = await folderWith({ 'ghost.json': json.slice(0, 200), 'bad.zip': 'not a zip' });
  try {
    const broken = await run([path.join(dir, 'ghost.json'), '--out', path.join(dir, 'out')]);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /Could not import \(1\)[\s\S]*not valid JSON/);
    const notZip = await run([path.join(dir, 'bad.zip'), '--out', path.join(dir, 'out')]);
    assert.equal(notZip.code, 1);
    assert.match(notZip.stderr, /not a readable zip file/);
  } finally {
    await cleanup();
  }
});
