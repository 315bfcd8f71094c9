import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEvent } from '../../../src/cli/progress';
import type { EngineEvent } from '../../../src/core/runs/protocol';

test('the terminal shows each voice score and which checkpoint became the voice', () => {
  const voice = { event: 'train.voice', step: 40, score: 0.624, attributed: 0.75, delta: 1.2, samples: 8 } as EngineEvent;
  assert.equal(describeEvent(voice), 'voice at step 40: 62% like the writer (75% of 8 continuations attributed)');
  const done = { event: 'train.done', adapter: 'adapter', best_step: 60, best_val_loss: 3.1234, chosen_step: 40, chosen_by: 'voice', best_voice_score: 0.624 } as EngineEvent;
  assert.equal(describeEvent(done), 'done: the voice is step 40 (best voice score 62%); lowest val loss 3.1234 at step 60');
  const within = { event: 'train.done', adapter: 'adapter', best_step: 60, best_val_loss: 3.1234, chosen_step: 60, chosen_by: 'loss', best_voice_score: 0.624 } as EngineEvent;
  assert.equal(describeEvent(within), "done: the voice is step 60, the lowest val loss 3.1234 (the best voice score, 62%, did not lead it by more than the check's noise)");
  const old = { event: 'train.done', adapter: 'adapter', best_step: 60, best_val_loss: 3.1234 } as EngineEvent;
  assert.equal(describeEvent(old), 'done: best step 60, best val loss 3.1234');
});
