// The training orchestration against the real engine on the tiny model: essays →
// run folder → detached engine followed through events.jsonl → train.done, and a
// second training refused while the first runs.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildRunDataset, createRun } from '../../../src/core/dataset/prepareRun';
import { readRunSummary } from '../../../src/core/runs/runFolder';
import { choosePython } from '../../../src/engine/locate';
import type { EngineEvent } from '../../../src/core/runs/protocol';
import { EngineReportedError } from '../../../src/engine/client';
import { chooseCheckpoint, followTraining, startTraining, TrainingBusyError } from '../../../src/engine/training';
import { checkpointStep } from '../../../src/core/runs/voiceChoice';

const corpus = join(__dirname, '..', '..', '..', '..', 'shared', 'corpora', 'bierce-notes', 'notes');
const python = choosePython(process.env.VOICE_DRAFT_PYTHON).python;

test('a run trains to train.done through the detached engine, and a second training is refused meanwhile', { skip: !existsSync(corpus) && 'no shared corpus', timeout: 600_000 }, async () => {
  const essays = mkdtempSync(join(tmpdir(), 'essays-'));
  for (const name of readdirSync(corpus).sort().slice(0, 12)) cpSync(join(corpus, name), join(essays, name));
  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  const build = await buildRunDataset({ folder: essays });
  const tiny = { base_model: 'tiny:llama', max_steps: 3, max_seq_len: 128, canary_samples: 1, canary_max_new_tokens: 8 };
  const runDir = await createRun(root, essays, build, tiny);
  assert.ok(existsSync(join(runDir, 'dataset', 'manifest.json')));

  const engine = await startTraining(runDir, { python, runsRoot: root });
  const second = await createRun(root, essays, build, tiny);
  await assert.rejects(startTraining(second, { python, runsRoot: root }), TrainingBusyError);

  const events: EngineEvent[] = [];
  const result = await followTraining(runDir, engine.pid, (e) => events.push(e));
  assert.equal(result.terminal?.event, 'train.done', JSON.stringify(events.at(-1)));
  // A machine that has not built the tiny model yet builds it first (model.progress), the
  // synthetic drafts for the rewrite are made (train.drafts); training then starts.
  const before = events.slice(0, events.findIndex((e) => e.event === 'train.started'));
  assert.ok(events.some((e) => e.event === 'train.started'));
  assert.ok(before.every((e) => e.event === 'model.progress' || e.event === 'train.drafts'), before.map((e) => e.event).join());
  assert.ok(events.some((e) => e.event === 'train.progress' && e.total_steps === 3));
  assert.ok(existsSync(join(runDir, 'adapter', 'adapter_config.json')));
  assert.equal((await readRunSummary(runDir)).state, 'done');

  // The writer makes a kept checkpoint the voice (the dashboard's "Make this the voice").
  const kept = readdirSync(join(runDir, 'checkpoints')).map(checkpointStep).filter((s): s is number => s !== null);
  assert.ok(kept.length > 0, 'training keeps at least one checkpoint');
  const chosen = await chooseCheckpoint(runDir, kept[0]!, python);
  assert.deepEqual(chosen.event === 'voice.chosen' && [chosen.step, chosen.by], [kept[0], 'writer']);
  await assert.rejects(chooseCheckpoint(runDir, 999, python), (e: unknown) => e instanceof EngineReportedError && /no checkpoint at step 999/.test(e.message));
});
