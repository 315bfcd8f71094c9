import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tailEvents } from '../../../src/core/runs/eventsTail';
import { createRunFolder, listRuns, newRunId, renameRun, stateFromEvents } from '../../../src/core/runs/runFolder';
import { bestVoice, checkpointChoice, voiceChoiceSoFar } from '../../../src/core/runs/voiceChoice';

test('run ids are UTC timestamp + slug and never collide', async () => {
  assert.equal(newRunId('My Essays!', new Date(Date.UTC(2026, 10, 23, 14, 15, 2))), '20261123-141502-my-essays');
  const root = await mkdtemp(join(tmpdir(), 'runs-'));
  const when = new Date(Date.UTC(2026, 0, 1));
  const a = await createRunFolder(root, 'notes', { base_model: 'tiny:llama' }, when);
  const b = await createRunFolder(root, 'notes', {}, when);
  assert.notEqual(a, b);
  assert.deepEqual(JSON.parse(await readFile(join(a, 'config.json'), 'utf8')), { base_model: 'tiny:llama' });
});

test('state follows the last terminal event; a resumed run is running again', () => {
  const ev = (o: object) => JSON.stringify(o);
  assert.equal(stateFromEvents([]).state, 'new');
  assert.equal(stateFromEvents([ev({ event: 'train.started' })]).state, 'running');
  assert.equal(stateFromEvents([ev({ event: 'train.started' }), ev({ event: 'train.cancelled' })]).state, 'cancelled');
  assert.equal(stateFromEvents([ev({ event: 'train.started' }), ev({ event: 'train.cancelled' }), ev({ event: 'train.started' })]).state, 'running');
  const failed = stateFromEvents([ev({ event: 'train.started' }), ev({ event: 'error', code: 'cuda_oom', message: 'oom', hint: 'smaller batch' }), '{"event":"trai']);
  assert.equal(failed.state, 'failed');
  assert.equal(failed.lastError?.code, 'cuda_oom');
  assert.equal(stateFromEvents([ev({ event: 'train.started' }), ev({ event: 'train.done', best_val_loss: 2.5 })]).bestValLoss, 2.5);
});

test("a finished run's exported checkpoint: by voice when train.done says so, an old run by loss at its best step", () => {
  const ev = (o: object) => JSON.stringify(o);
  const started = ev({ event: 'train.started' });
  const voice = stateFromEvents([started, ev({ event: 'train.voice', step: 40, score: 0.62, attributed: 0.75, delta: 1.21, samples: 8 }),
    ev({ event: 'train.done', adapter: 'adapter', best_step: 60, best_val_loss: 2.1, chosen_step: 40, chosen_by: 'voice', best_voice_score: 0.62 })]);
  assert.deepEqual([voice.state, voice.chosenStep, voice.chosenBy, voice.bestVoiceScore, voice.bestValLoss], ['done', 40, 'voice', 0.62, 2.1]);
  const old = stateFromEvents([started, ev({ event: 'train.done', adapter: 'adapter', best_step: 60, best_val_loss: 2.1 })]);
  assert.deepEqual([old.chosenStep, old.chosenBy, old.bestVoiceScore], [60, 'loss', null]);
  const running = stateFromEvents([started]);
  assert.equal(running.chosenBy, undefined, 'nothing is chosen before train.done');
});

test('checkpointChoice reads train.done leniently; bestVoice keeps the earliest of equal scores, as the engine does', () => {
  const done = { event: 'train.done', adapter: 'adapter', best_step: 60, best_val_loss: 2.1 };
  assert.deepEqual(checkpointChoice({ ...done, chosen_step: 40, chosen_by: 'voice', best_voice_score: 0.62 }), { chosenStep: 40, chosenBy: 'voice', bestVoiceScore: 0.62 });
  assert.deepEqual(checkpointChoice(done), { chosenStep: 60, chosenBy: 'loss', bestVoiceScore: null });
  // The check off in a new engine: chosen by loss, said explicitly; no val set: the last weights (null).
  assert.deepEqual(checkpointChoice({ ...done, chosen_step: 60, chosen_by: 'loss', best_voice_score: null }), { chosenStep: 60, chosenBy: 'loss', bestVoiceScore: null });
  assert.deepEqual(checkpointChoice({ ...done, best_step: null, chosen_step: null, chosen_by: 'loss' }), { chosenStep: null, chosenBy: 'loss', bestVoiceScore: null });
  // Nonsense is not believed: "voice" without a step, an unknown chooser, a score outside 0..1.
  assert.deepEqual(checkpointChoice({ ...done, chosen_by: 'voice', chosen_step: null, best_voice_score: 62 }), { chosenStep: null, chosenBy: 'loss', bestVoiceScore: null });
  assert.deepEqual(checkpointChoice({ ...done, chosen_by: 'writer', chosen_step: 'x' }), { chosenStep: 60, chosenBy: 'loss', bestVoiceScore: null });
  assert.equal(bestVoice([]), null);
  assert.deepEqual(bestVoice([{ step: 10, score: 0.4 }, { step: 20, score: 0.6 }, { step: 30, score: 0.6 }, { step: 40, score: 0.5 }]), { step: 20, score: 0.6 });
});

test('voiceChoiceSoFar follows the engine: the best voice score only when it leads the lowest-loss step by more than the noise', () => {
  // Bierce's 100 steps: step 20 scored 0.76, the lowest loss (step 80) 0.70; errors of 0.1 each.
  const points = [{ step: 20, score: 0.76, stderr: 0.1 }, { step: 50, score: 0.55, stderr: 0.05 }, { step: 80, score: 0.7, stderr: 0.1 }];
  assert.deepEqual(voiceChoiceSoFar(points, 80), { chosenStep: 80, chosenBy: 'loss', bestVoiceScore: 0.76 });
  // A lead of 0.21 is more than √(0.1² + 0.05²) ≈ 0.112: the voice wins.
  assert.deepEqual(voiceChoiceSoFar(points, 50), { chosenStep: 20, chosenBy: 'voice', bestVoiceScore: 0.76 });
  // Both the same step; no score at the lowest-loss step; no check at all.
  assert.deepEqual(voiceChoiceSoFar(points, 20), { chosenStep: 20, chosenBy: 'voice', bestVoiceScore: 0.76 });
  assert.deepEqual(voiceChoiceSoFar(points, 90), { chosenStep: 20, chosenBy: 'voice', bestVoiceScore: 0.76 });
  assert.deepEqual(voiceChoiceSoFar([], 80), { chosenStep: 80, chosenBy: 'loss', bestVoiceScore: null });
  // Runs from before stderr was sent: any strict lead wins, as it did then; a tie goes to the loss.
  assert.equal(voiceChoiceSoFar([{ step: 20, score: 0.71 }, { step: 80, score: 0.7 }], 80).chosenStep, 20);
  assert.equal(voiceChoiceSoFar([{ step: 20, score: 0.7 }, { step: 80, score: 0.7 }], 80).chosenStep, 80);
});

test('listRuns returns runs newest first, with names and states', async () => {
  const root = await mkdtemp(join(tmpdir(), 'runs-'));
  const old = await createRunFolder(root, 'a', {}, new Date(Date.UTC(2025, 0, 1)));
  const recent = await createRunFolder(root, 'b', { base_model: 'offline:smollm2-135m-instruct' }, new Date(Date.UTC(2026, 0, 1)));
  await writeFile(join(old, 'events.jsonl'), '{"event":"train.started","config":{},"dataset":{}}\n{"event":"train.done","adapter":"adapter","best_step":4,"best_val_loss":1.5}\n');
  await renameRun(old, 'First voice');
  const runs = await listRuns(root);
  assert.deepEqual(runs.map((r) => r.dir), [recent, old]);
  assert.equal(runs[1]?.name, 'First voice');
  assert.equal(runs[1]?.state, 'done');
  assert.equal(runs[0]?.baseModel, 'offline:smollm2-135m-instruct');
  assert.deepEqual(await listRuns(join(root, 'missing')), []);
});

test('tailEvents delivers appended lines once, and waits for a half-written line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tail-'));
  const seen: string[] = [];
  const stop = new AbortController();
  const done = tailEvents(dir, (lines) => seen.push(...lines), { signal: stop.signal, pollMs: 20 });
  await appendFile(join(dir, 'events.jsonl'), '{"event":"a"}\n{"event":"b"');
  await waitFor(() => seen.length === 1);
  await appendFile(join(dir, 'events.jsonl'), '}\n');
  await waitFor(() => seen.length === 2);
  stop.abort();
  await done;
  assert.deepEqual(seen, ['{"event":"a"}', '{"event":"b"}']);
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("voice.chosen: the run's summary names the writer's pick", () => {
  const lines = [
    { event: 'train.started', config: {}, dataset: {} },
    { event: 'train.done', adapter: 'adapter', best_step: 60, best_val_loss: 2, chosen_step: 40, chosen_by: 'voice', best_voice_score: 0.6 },
    { event: 'voice.chosen', step: 60, by: 'writer', output: 'adapter' },
  ].map((e) => JSON.stringify(e));
  const s = stateFromEvents(lines);
  assert.deepEqual([s.state, s.chosenStep, s.chosenBy, s.bestVoiceScore], ['done', 60, 'writer', 0.6]);
});
