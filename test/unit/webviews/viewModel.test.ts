import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvent, type EngineEvent } from '../../../src/core/runs/protocol';
import { align, chartData, pointCount } from '../../../src/webviews/chartModel';
import { checkpointRows } from '../../../src/webviews/checkpointModel';
import { applyEvents, ema, emptyModel, modelFromEvents } from '../../../src/core/runs/runModel';
import { bestStepText, summarize } from '../../../src/webviews/viewModel';

const ev = (o: Record<string, unknown>): EngineEvent => parseEvent(o);
const progress = (step: number, loss: number | null, extra: Record<string, unknown> = {}) =>
  ev({ event: 'train.progress', step, epoch: step / 10, loss, lr: 1e-4 * (1 - step / 100), tokens_per_s: 1000 + step, ...extra });
const started = ev({ event: 'train.started', config: { base_model: 'offline:smollm2-135m-instruct' }, dataset: { train_pairs: 10, val_pairs: 2 } });

test('progress and eval events become train and validation series of the right length', () => {
  const m = modelFromEvents([
    started,
    progress(1, 3.0), progress(2, 2.5), progress(3, null), progress(4, 2.0),
    ev({ event: 'train.eval', step: 2, val_loss: 2.6, val_ppl: 13.5 }),
    ev({ event: 'train.eval', step: 4, val_loss: 2.2, val_ppl: null }),
  ]);
  assert.deepEqual(m.train.step, [1, 2, 3, 4]);
  assert.deepEqual(m.train.loss, [3.0, 2.5, null, 2.0]);
  assert.equal(m.train.lr.length, 4);
  assert.deepEqual(m.train.tokensPerS, [1001, 1002, 1003, 1004]);
  assert.deepEqual(m.val.step, [2, 4]);
  // A missing perplexity is exp(val loss), the same quantity the engine reports.
  assert.equal(m.val.ppl[0], 13.5);
  assert.ok(Math.abs(m.val.ppl[1]! - Math.exp(2.2)) < 1e-12);
  assert.equal(m.state, 'running');
});

test('smoothing is a debiased EMA: first value unchanged, gaps stay gaps, live appends match a batch', () => {
  assert.deepEqual(ema([], 0.6), []);
  const s = ema([2, null, 4], 0.5);
  assert.equal(s[0], 2);
  assert.equal(s[1], null);
  // raw = 0.5*(0.5*2) + 0.5*4 = 2.5; debias 1 - 0.25 = 0.75 → 3.333…
  assert.ok(Math.abs(s[2]! - 2.5 / 0.75) < 1e-12);
  assert.deepEqual(ema([1, 5, 9], 0), [1, 5, 9]);
  const losses = [3, 2.8, 2.9, 2.1, null, 1.7, 1.9];
  const batch = modelFromEvents(losses.map((l, i) => progress(i + 1, l)));
  const live = emptyModel();
  for (let i = 0; i < losses.length; i++) applyEvents(live, [progress(i + 1, losses[i]!)]);
  assert.deepEqual(live.train.smoothed, batch.train.smoothed);
  assert.deepEqual(batch.train.smoothed, ema(losses, 0.6));
  // Smoothing reduces the step-to-step variation of a noisy curve.
  const noisy = Array.from({ length: 50 }, (_, i) => 3 - i * 0.02 + (i % 2 ? 0.3 : -0.3));
  const tv = (xs: (number | null)[]) => xs.slice(1).reduce<number>((a, x, i) => a + Math.abs(x! - xs[i]!), 0);
  assert.ok(tv(ema(noisy, 0.6)) < tv(noisy) / 3);
});

test('a resumed run replaces the steps it replays, and its curve stays increasing', () => {
  const m = modelFromEvents([
    started, progress(1, 3), progress(2, 2.8), progress(3, 2.7), progress(4, 2.6),
    ev({ event: 'train.eval', step: 4, val_loss: 2.5, val_ppl: 12.2 }),
    ev({ event: 'train.cancelled', step: 4, checkpoint: 'checkpoints/step-000002' }),
  ]);
  assert.equal(m.state, 'cancelled');
  applyEvents(m, [started, progress(3, 2.75), progress(4, 2.65), ev({ event: 'train.eval', step: 4, val_loss: 2.4, val_ppl: 11 })]);
  assert.equal(m.state, 'running');
  assert.deepEqual(m.train.step, [1, 2, 3, 4]);
  assert.deepEqual(m.train.loss, [3, 2.8, 2.75, 2.65]);
  assert.deepEqual(m.train.smoothed, ema([3, 2.8, 2.75, 2.65], m.smoothing));
  assert.deepEqual(m.val.loss, [2.4]);
  assert.deepEqual(m.resumedAt, [3]);
});

test('status follows the last terminal event; an error after done keeps the adapter done', () => {
  assert.equal(modelFromEvents([]).state, 'new');
  assert.equal(modelFromEvents([started, ev({ event: 'error', code: 'cuda_oom', message: 'out of memory', hint: 'QLoRA' })]).state, 'failed');
  const done = modelFromEvents([started, ev({ event: 'train.done', adapter: 'adapter', best_step: 4, best_val_loss: 2.1 }), ev({ event: 'error', code: 'x', message: 'late' })]);
  assert.equal(done.state, 'done');
});

test('summary: duration, best step (engine choice, else lowest eval), base model and device', () => {
  const events = [
    ev({ event: 'engine.ready', protocol: 1, python: '3.12', torch: '2.13', device: 'cuda', gpu: 'NVIDIA H100' }),
    started, progress(10, 2.5, { total_steps: 40, eta_s: 30 }),
    ev({ event: 'train.eval', step: 10, val_loss: 2.4, val_ppl: 11 }),
    ev({ event: 'train.eval', step: 20, val_loss: 2.2, val_ppl: 9 }),
    ev({ event: 'train.eval', step: 30, val_loss: 2.3, val_ppl: 10 }),
  ];
  const m = modelFromEvents(events);
  const times = { startedMs: 1_000, lastEventMs: 61_000 };
  const live = summarize(m, times, null, 91_000);
  assert.equal(live.durationMs, 90_000, 'a running run lasts until now');
  assert.equal(live.bestStep, 20);
  assert.equal(live.bestValLoss, 2.2);
  assert.equal(live.totalSteps, 40);
  assert.equal(live.etaS, 30);
  assert.equal(live.baseModel, 'offline:smollm2-135m-instruct');
  assert.equal(live.device, 'cuda (NVIDIA H100)');
  const cancelled = summarize(modelFromEvents([...events, ev({ event: 'train.cancelled', step: 30 })]), times, null, 500_000);
  assert.equal(cancelled.durationMs, 60_000, 'a stopped run lasts until its last event');
  applyEvents(m, [ev({ event: 'train.done', adapter: 'adapter', best_step: 30, best_val_loss: 2.3, seconds: 42.5 })]);
  const done = summarize(m, times, null, 500_000);
  assert.equal(done.durationMs, 42_500, "a finished run says how long it trained");
  assert.equal(done.bestStep, 30, "the engine's own best step wins");
  assert.equal(done.etaS, null);
});

test('align puts two runs on one x axis with nulls where a run has no point', () => {
  const { x, ys } = align([{ x: [1, 2, 4], y: [1, 2, 4] }, { x: [2, 3], y: [20, 30] }]);
  assert.deepEqual(x, [1, 2, 3, 4]);
  assert.deepEqual(ys, [[1, 2, null, 4], [null, 20, 30, null]]);
});

test('chart data: point counts per series, a compared run overlays smoothed and validation curves', () => {
  const a = modelFromEvents([started, progress(1, 3), progress(2, 2.5), progress(3, 2.2), ev({ event: 'train.eval', step: 3, val_loss: 2.3, val_ppl: 10 })]);
  const b = modelFromEvents([started, progress(2, 3.1), progress(4, 2.9), ev({ event: 'train.eval', step: 4, val_loss: 2.8, val_ppl: 16 })]);
  const charts = chartData(a);
  assert.deepEqual(charts.map((c) => c.id), ['loss', 'voice', 'ppl', 'lr', 'speed'], 'the voice score sits beside the loss');
  const [loss, , ppl, lr, speed] = charts;
  assert.deepEqual(loss!.series.map((s) => [s.id, pointCount(s.values)]), [['train-loss', 3], ['train-loss-smoothed', 3], ['val-loss', 1]]);
  assert.equal(pointCount(ppl!.series[0]!.values), 1);
  assert.equal(pointCount(lr!.series[0]!.values), 3);
  assert.equal(pointCount(speed!.series[0]!.values), 3);
  const compared = chartData(a, { model: b, name: 'other' })[0]!;
  assert.deepEqual(compared.x, [1, 2, 3, 4]);
  assert.deepEqual(compared.series.map((s) => s.id), ['train-loss', 'train-loss-smoothed', 'val-loss', 'compare-train-loss-smoothed', 'compare-val-loss']);
  assert.deepEqual(compared.series[3]!.values, [null, 3.1, null, ema([3.1, 2.9], 0.6)[1]]);
  assert.equal(compared.series[3]!.run, 'compare');
});

const evaluation = (step: number, valLoss: number) => ev({ event: 'train.eval', step, val_loss: valLoss, val_ppl: Math.exp(valLoss) });
const voice = (step: number, score: number, attributed: number, delta: number | null = 1.2, stderr?: number) =>
  ev({ event: 'train.voice', step, score, attributed, delta, samples: 8, ...(stderr === undefined ? {} : { stderr }) });
const times = { startedMs: 0, lastEventMs: 1000 };

test('train.voice events become the voice series; a resumed run replaces the scores it replays', () => {
  const m = modelFromEvents([
    started, progress(20, 2.5), evaluation(20, 2.4), voice(20, 0.31, 0.25, null),
    progress(40, 2.3), evaluation(40, 2.2), voice(40, 0.62, 0.75, 1.21),
    ev({ event: 'train.cancelled', step: 40, checkpoint: 'checkpoints/step-000020' }),
  ]);
  assert.deepEqual(m.voice, { step: [20, 40], score: [0.31, 0.62], attributed: [0.25, 0.75], delta: [null, 1.21], samples: [8, 8], stderr: [0, 0] });
  applyEvents(m, [started, progress(40, 2.25), evaluation(40, 2.1), voice(40, 0.58, 0.625), progress(60, 2.0), evaluation(60, 2.0), voice(60, 0.5, 0.5)]);
  assert.deepEqual(m.voice.step, [20, 40, 60]);
  assert.deepEqual(m.voice.score, [0.31, 0.58, 0.5]);
  assert.deepEqual(modelFromEvents([started, progress(1, 3)]).voice.step, [], 'a run without the check has no voice series');
});

test("summary: the checkpoint chosen by voice (engine's choice once done, the best score so far before), else by loss", () => {
  const events = [
    started, progress(20, 2.5), evaluation(20, 2.4), voice(20, 0.31, 0.25),
    progress(40, 2.3), evaluation(40, 2.2), voice(40, 0.62, 0.75),
    progress(60, 2.1), evaluation(60, 2.0), voice(60, 0.5, 0.875),
  ];
  const live = summarize(modelFromEvents(events), times, null, 2000);
  assert.deepEqual([live.chosenBy, live.chosenStep, live.bestVoiceScore, live.bestStep], ['voice', 40, 0.62, 60], 'a lead over the lowest-loss step');
  assert.equal(bestStepText(live), 'voice: step 40 (best voice score 62%; lowest val loss at step 60)');
  // The same lead within the check's noise (standard errors 0.1 each): the lowest loss stays the choice.
  const noisy = [...events.slice(0, 6), voice(40, 0.62, 0.75, 1.2, 0.1), progress(60, 2.1), evaluation(60, 2.0), voice(60, 0.5, 0.875, 1.2, 0.1)];
  const within = summarize(modelFromEvents(noisy), times, null, 2000);
  assert.deepEqual([within.chosenBy, within.chosenStep, within.bestVoiceScore], ['loss', 60, 0.62]);
  assert.equal(bestStepText(within), "60 (validation loss 2; no voice score led it by more than the check's noise; best 62%)");

  const done = summarize(modelFromEvents([...events, ev({
    event: 'train.done', adapter: 'adapter', best_step: 60, best_val_loss: 2.0, chosen_step: 40, chosen_by: 'voice', best_voice_score: 0.6234,
  })]), times, null, 2000);
  assert.deepEqual([done.chosenBy, done.chosenStep, done.bestVoiceScore, done.bestStep, done.bestValLoss], ['voice', 40, 0.6234, 60, 2.0]);
  assert.equal(bestStepText(done), 'voice: step 40 (best voice score 62%; lowest val loss at step 60)');
  const same = summarize(modelFromEvents([started, progress(20, 2), evaluation(20, 2), voice(20, 0.7, 0.75)]), times, null, 2000);
  assert.equal(bestStepText(same), 'voice: step 20 (best voice score 70%; also the lowest val loss)');

  // An old run (or the check off): no voice points, train.done without the fields = chosen by loss.
  const oldEvents = [started, progress(20, 2.5), evaluation(20, 2.4), progress(40, 2.3), evaluation(40, 2.2)];
  const oldLive = summarize(modelFromEvents(oldEvents), times, null, 2000);
  assert.deepEqual([oldLive.chosenBy, oldLive.chosenStep, oldLive.bestVoiceScore], ['loss', 40, null]);
  const old = summarize(modelFromEvents([...oldEvents, ev({ event: 'train.done', adapter: 'adapter', best_step: 40, best_val_loss: 2.2 })]), times, null, 2000);
  assert.deepEqual([old.chosenBy, old.chosenStep, old.bestVoiceScore, old.bestStep], ['loss', 40, null, 40]);
  assert.equal(bestStepText(old), '40 (validation loss 2.2)');
  assert.equal(bestStepText(summarize(modelFromEvents([started, progress(1, 3)]), times, null, 2000)), null, 'nothing before the first evaluation');
});

test('the voice chart: score and attributed share in percent per step, a compared run overlaid, and why it is empty', () => {
  const a = modelFromEvents([started, progress(20, 2.5), evaluation(20, 2.4), voice(20, 0.31, 0.25), progress(40, 2.3), evaluation(40, 2.2), voice(40, 0.62, 0.75)]);
  const b = modelFromEvents([started, progress(30, 2.6), evaluation(30, 2.5), voice(30, 0.5, 0.5)]);
  const chart = chartData(a).find((c) => c.id === 'voice')!;
  assert.equal(chart.title, 'Voice score');
  assert.deepEqual([chart.yRange, chart.unit, chart.emptyText], [[0, 100], '%', undefined]);
  assert.deepEqual(chart.x, [20, 40]);
  assert.deepEqual(chart.series.map((s) => [s.id, s.role, s.values]), [['voice-score', 'val', [31, 62]], ['voice-attributed', 'val', [25, 75]]]);
  const compared = chartData(a, { model: b, name: 'other' }).find((c) => c.id === 'voice')!;
  assert.deepEqual(compared.x, [20, 30, 40]);
  assert.deepEqual(compared.series.map((s) => [s.id, s.run, s.values]), [
    ['voice-score', 'primary', [31, null, 62]], ['voice-attributed', 'primary', [25, null, 75]],
    ['compare-voice-score', 'compare', [null, 50, null]], ['compare-voice-attributed', 'compare', [null, 50, null]],
  ]);
  assert.match(compared.series[2]!.label, /— other$/);

  const noVoice = (events: EngineEvent[]) => chartData(modelFromEvents(events)).find((c) => c.id === 'voice')!;
  // Evaluations without a score: the check is off (or an old engine); the chart says so.
  const old = noVoice([started, progress(20, 2.5), evaluation(20, 2.4), ev({ event: 'train.done', adapter: 'adapter', best_step: 20, best_val_loss: 2.4 })]);
  assert.deepEqual([old.x, old.series.map((s) => pointCount(s.values))], [[], [0, 0]]);
  assert.match(old.emptyText ?? '', /voice check was off/);
  assert.equal(noVoice([started, progress(1, 3)]).emptyText, undefined, 'no evaluation yet');
  assert.equal(noVoice([started, progress(20, 2.5), evaluation(20, 2.4)]).emptyText, undefined, "a live run's first score comes seconds after its evaluation");
  assert.match(noVoice([started, progress(20, 2.5), evaluation(20, 2.4), progress(40, 2.3), evaluation(40, 2.2)]).emptyText ?? '', /off/);
});

test("the writer's pick (voice.chosen after train.done) replaces training's choice; a new training forgets it", () => {
  const times = { startedMs: 0, lastEventMs: 1000 };
  const done = ev({ event: 'train.done', adapter: 'adapter', best_step: 60, best_val_loss: 2.0, chosen_step: 40, chosen_by: 'voice', best_voice_score: 0.62 });
  const picked = ev({ event: 'voice.chosen', step: 60, by: 'writer', output: 'adapter' });
  assert.equal(picked.event, 'voice.chosen');
  const sum = summarize(modelFromEvents([started, progress(60, 2), done, picked]), times, null, 2000);
  assert.deepEqual([sum.state, sum.chosenBy, sum.chosenStep, sum.bestVoiceScore], ['done', 'writer', 60, 0.62]);
  assert.equal(bestStepText(sum), 'voice: step 60 (your pick)');
  const again = summarize(modelFromEvents([started, progress(60, 2), done, picked, started, progress(61, 2), done]), times, null, 2000);
  assert.equal(again.chosenBy, 'voice');
});

test('kept checkpoints: the scores measured at each step, which one is the voice, other files ignored', () => {
  const events = [
    started, progress(20, 2.5), evaluation(20, 2.4), voice(20, 0.31, 0.25),
    progress(40, 2.3), evaluation(40, 2.2), voice(40, 0.62, 0.75),
    progress(56, 2.1),
    ev({ event: 'train.done', adapter: 'adapter', best_step: 40, best_val_loss: 2.2, chosen_step: 40, chosen_by: 'voice', best_voice_score: 0.62 }),
  ];
  const m = modelFromEvents(events);
  const kept = ['step-000056', 'step-000040', '.step-000060.tmp', 'notes.txt'];
  const rows = checkpointRows(m, kept, summarize(m, times, null, 2000));
  assert.deepEqual(rows, [
    { step: 40, voiceScore: 0.62, valLoss: 2.2, isVoice: true },
    { step: 56, voiceScore: null, valLoss: null, isVoice: false },
  ]);
  // After the writer's pick (voice.chosen), the picked step is the voice.
  applyEvents(m, [ev({ event: 'voice.chosen', step: 56, by: 'writer', output: 'adapter' })]);
  assert.deepEqual(checkpointRows(m, kept, summarize(m, times, null, 2000)).map((r) => r.isVoice), [false, true]);
});
