// The dashboard's view of a real recorded training run (test/fixtures/runs/tiny-bierce),
// rebuilt from the folder the way the panel does. Expected numbers are counted from
// events.jsonl and canaries.json directly, not through the code under test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRunSnapshot } from '../../../src/core/runs/snapshot';
import { canaryGroups, wordDiff } from '../../../src/webviews/canaryModel';
import { dataReport, formatNumber } from '../../../src/webviews/reports';
import { chartData, pointCount } from '../../../src/webviews/chartModel';
import { modelFromEvents } from '../../../src/core/runs/runModel';
import { bestStepText, summarize } from '../../../src/webviews/viewModel';

const run = join(__dirname, '..', '..', 'fixtures', 'runs', 'tiny-bierce');
const raw = readFileSync(join(run, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const count = (name: string) => raw.filter((e) => e.event === name).length;

test('the recorded run rebuilds into curves with a point per logged step and evaluation', async () => {
  const snap = await readRunSnapshot(run);
  assert.equal(snap.malformedLines, 0);
  assert.equal(snap.events.length, raw.length);
  const m = modelFromEvents(snap.events);
  const [loss, voice, ppl, lr, speed] = chartData(m);
  const points = Object.fromEntries(loss!.series.map((s) => [s.id, pointCount(s.values)]));
  assert.deepEqual(points, { 'train-loss': count('train.progress'), 'train-loss-smoothed': count('train.progress'), 'val-loss': count('train.eval') });
  assert.equal(pointCount(ppl!.series[0]!.values), count('train.eval'));
  assert.equal(pointCount(lr!.series[0]!.values), count('train.progress'));
  assert.equal(pointCount(speed!.series[0]!.values), count('train.progress'));
  // An old run: no train.voice, so no voice points, and the chart says why.
  assert.equal(count('train.voice'), 0);
  assert.deepEqual(voice!.series.map((s) => pointCount(s.values)), [0, 0]);
  assert.match(voice!.emptyText ?? '', /voice check was off/);

  const done = raw.find((e) => e.event === 'train.done')!;
  const sum = summarize(m, snap, snap.files.config, Date.now());
  assert.equal(sum.state, 'done');
  assert.equal(sum.bestStep, done.best_step);
  // Its train.done predates the checkpoint choice: read as chosen by loss at its best step.
  assert.equal('chosen_by' in done, false);
  assert.deepEqual([sum.chosenBy, sum.chosenStep, sum.bestVoiceScore], ['loss', done.best_step, null]);
  assert.equal(bestStepText(sum), `${String(done.best_step)} (validation loss ${formatNumber(done.best_val_loss as number)})`);
  assert.equal(sum.durationMs, (done.seconds as number) * 1000);
  assert.equal(sum.baseModel, 'tiny:llama');
});

test("the recorded canaries: events and the engine's canaries.json agree, and the diff marks changes", async () => {
  const snap = await readRunSnapshot(run);
  const fromEvents = canaryGroups(modelFromEvents(snap.events).canaries, null);
  const fromFile = canaryGroups(new Map(), snap.files.canaries);
  const shape = (gs: typeof fromEvents) => gs.map((g) => [g.promptId, g.epochs.map((e) => [e.epoch, e.base, e.tuned])]);
  assert.deepEqual(shape(fromFile), shape(fromEvents));
  const canaries = raw.filter((e) => e.event === 'train.canary');
  assert.equal(fromEvents.length, new Set(canaries.map((c) => c.prompt_id)).size);
  assert.equal(fromEvents.reduce((n, g) => n + g.epochs.length, 0), canaries.length);
  const last = fromEvents[0]!.epochs.at(-1)!;
  const parts = wordDiff(last.base[0]!, last.tuned[0]!);
  assert.ok(parts.some((p) => p.kind === 'ins') && parts.some((p) => p.kind === 'del'));
});

test('the recorded dataset manifest becomes the data report', async () => {
  const snap = await readRunSnapshot(run);
  const manifest = JSON.parse(readFileSync(join(run, 'dataset', 'manifest.json'), 'utf8')) as { pairs: { train: number }; perDocumentShare: unknown[] };
  const r = dataReport(snap.files.manifest)!;
  assert.equal(r.pairs.train, manifest.pairs.train);
  assert.equal(r.shares.length, manifest.perDocumentShare.length);
  assert.ok(r.tiers.length > 0);
});

// A run whose checkpoint the voice score chose (test/fixtures/runs/voice-chosen, written by
// hand to the contract): the lowest validation loss is at step 12, the best voice at step 8.
const voiceRun = join(__dirname, '..', '..', 'fixtures', 'runs', 'voice-chosen');

test('a run chosen by voice: a voice point per train.voice, and the header names the voice step beside the lowest loss', async () => {
  const lines = readFileSync(join(voiceRun, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const voiceEvents = lines.filter((e) => e.event === 'train.voice');
  const done = lines.find((e) => e.event === 'train.done')!;
  const snap = await readRunSnapshot(voiceRun);
  assert.equal(snap.malformedLines, 0);
  const m = modelFromEvents(snap.events);
  assert.deepEqual(m.voice.step, voiceEvents.map((e) => e.step));
  assert.deepEqual(m.voice.delta, voiceEvents.map((e) => e.delta));
  const chart = chartData(m).find((c) => c.id === 'voice')!;
  assert.deepEqual(chart.series.map((s) => s.values), [
    voiceEvents.map((e) => (e.score as number) * 100), voiceEvents.map((e) => (e.attributed as number) * 100),
  ]);
  const sum = summarize(m, snap, snap.files.config, Date.now());
  assert.deepEqual([sum.chosenBy, sum.chosenStep, sum.bestVoiceScore, sum.bestStep], ['voice', done.chosen_step, done.best_voice_score, done.best_step]);
  assert.equal(bestStepText(sum), 'voice: step 8 (best voice score 62%; lowest val loss at step 12)');
  // Compared with the old recorded run: its (absent) voice curve adds no points.
  const old = modelFromEvents((await readRunSnapshot(run)).events);
  const compared = chartData(m, { model: old, name: 'tiny-bierce' }).find((c) => c.id === 'voice')!;
  assert.deepEqual(compared.series.map((s) => pointCount(s.values)), [voiceEvents.length, voiceEvents.length, 0, 0]);
});
