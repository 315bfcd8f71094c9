// Fill-in-the-middle from the writer's own essays (issue #21 item 3), through both sides of
// the dataset contract: the TypeScript builder cuts MacDowell's essays into prefix + suffix
// → middle pairs (tier `fim`), and a real (tiny) training reads, masks and trains them.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIM_AFTER_CLOSE, FIM_AFTER_OPEN } from '../../../src/core/dataset/fim';
import { buildRunDataset, createRun } from '../../../src/core/dataset/prepareRun';
import { choosePython } from '../../../src/engine/locate';
import type { EngineEvent } from '../../../src/core/runs/protocol';
import { followTraining, startTraining } from '../../../src/engine/training';
import { MACDOWELL, corporaMissing } from '../corpus/fixtures';

const python = choosePython(process.env.VOICE_DRAFT_PYTHON).python;

test('the writer\'s essays give fill-in-the-middle pairs, and a tiny voice trains on them to train.done', { skip: corporaMissing || (!existsSync(python) && `no engine Python at ${python}`), timeout: 600_000 }, async () => {
  const essays = mkdtempSync(join(tmpdir(), 'fim-essays-'));
  mkdirSync(essays, { recursive: true });
  for (const name of readdirSync(MACDOWELL).filter((f) => f.endsWith('.md')).sort().slice(0, 8)) copyFileSync(join(MACDOWELL, name), join(essays, name));

  const build = await buildRunDataset({ folder: essays });
  const fim = [...build.train, ...build.val].filter((e) => e.tier === 'fim');
  assert.ok(build.manifest.tiers.fim >= 8, `${build.manifest.tiers.fim} fill-in-the-middle pairs from 8 essays`);
  const documents = new Map(build.documents.map((d) => [d.doc, d.text]));
  for (const e of fim) {
    assert.ok(e.prompt.startsWith(FIM_AFTER_OPEN));
    const [after, before] = e.prompt.slice(FIM_AFTER_OPEN.length).split(FIM_AFTER_CLOSE) as [string, string];
    // The writer's own text, in order: before, the middle, then (after whitespace) the text after.
    const text = documents.get(e.doc)!;
    const at = text.indexOf(before + e.completion);
    assert.ok(at >= 0, `${e.id}: the prompt's text before runs into the middle in ${e.doc}`);
    assert.ok(text.slice(at + before.length + e.completion.length).trimStart().startsWith(after), `${e.id}: the text after follows the middle`);
  }

  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  const runDir = await createRun(root, essays, build, { base_model: 'tiny:llama', max_steps: 2, max_seq_len: 512, canary_samples: 1, canary_max_new_tokens: 8, fim_pairs: true });
  const trainRows = readFileSync(join(runDir, 'dataset', 'train.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { tier: string });
  assert.ok(trainRows.some((r) => r.tier === 'fim'), 'the written dataset carries them');
  // fim_pairs: a CPU leaves them out by default (hardware.training_defaults); this run asks for them.
  const engine = await startTraining(runDir, { python, runsRoot: root });
  const events: EngineEvent[] = [];
  const result = await followTraining(runDir, engine.pid, (e) => events.push(e));
  assert.equal(result.terminal?.event, 'train.done', JSON.stringify(events.at(-1)));
  const started = events.find((e) => e.event === 'train.started') as { dataset: { tiers: Record<string, number>; dropped_too_long: number } } | undefined;
  assert.ok(started, 'train.started');
  assert.equal(started.dataset.tiers.fim, build.manifest.tiersBySplit.train.fim, 'the engine read every fill-in-the-middle pair');
});
