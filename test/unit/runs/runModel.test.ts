// The one reducer of engine events (src/core/runs/runModel.ts): how the latest segment
// ended, for the followers, and the checkpoint chosen, for the run list and the dashboard alike.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineEvent } from '../../../src/core/runs/protocol';
import { stateFromEvents } from '../../../src/core/runs/runFolder';
import { modelFromEvents, recordedEvent } from '../../../src/core/runs/runModel';
import { summarize } from '../../../src/webviews/viewModel';

const started = { event: 'train.started', config: {}, dataset: { train_pairs: 4, val_pairs: 1 } } as unknown as EngineEvent;
const done = { event: 'train.done', adapter: 'adapter', best_step: 6, best_val_loss: 2, chosen_step: 4, chosen_by: 'voice', best_voice_score: 0.7 } as unknown as EngineEvent;
const cancelled = { event: 'train.cancelled', step: 3, checkpoint: 'checkpoints/step-000003' } as unknown as EngineEvent;
const chosen = { event: 'voice.chosen', step: 6, by: 'writer', output: 'adapter' } as unknown as EngineEvent;

test('ended: the event that ended the latest segment; a resume clears it', () => {
  assert.equal(modelFromEvents([started]).ended, null);
  assert.equal(modelFromEvents([started, cancelled]).ended, cancelled);
  assert.equal(modelFromEvents([started, cancelled, started]).ended, null);
  assert.equal(modelFromEvents([started, cancelled, started, done]).ended, done);
});

test('the run list and the dashboard name the same chosen checkpoint, the writer\'s pick included', () => {
  const events = [started, done, chosen];
  const listed = stateFromEvents(events.map((e) => JSON.stringify(e)));
  const shown = summarize(modelFromEvents(events), { startedMs: null, lastEventMs: null }, null, 0);
  assert.deepEqual([listed.chosenStep, listed.chosenBy, listed.bestVoiceScore], [6, 'writer', 0.7]);
  assert.deepEqual([shown.chosenStep, shown.chosenBy, shown.bestVoiceScore], [6, 'writer', 0.7]);
  assert.equal(stateFromEvents([...events, started].map((e) => JSON.stringify(e))).chosenBy, undefined, 'a resume chooses again');
});

test('recordedEvent passes over what is not a JSON event, and keeps an event that lacks a field', () => {
  assert.equal(recordedEvent('{"event":"trai'), undefined);
  assert.equal(recordedEvent('[1, 2]'), undefined);
  assert.deepEqual(recordedEvent('{"event":"train.done"}'), { event: 'train.done' });
});
