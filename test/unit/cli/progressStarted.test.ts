// The terminal's line when training starts: what it trains on, and on what precision.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEvent } from '../../../src/cli/progress';
import { parseEvent } from '../../../src/core/runs/protocol';

const started = { event: 'train.started', config: { base_model: 'offline:smollm2-135m-instruct' }, dataset: { train_pairs: 313, val_pairs: 66 } };

test('training starts: pairs, base model, device, the weights\' dtype and the autocast one where there is one', () => {
  assert.equal(describeEvent(parseEvent({ ...started, device: 'cpu', dtype: 'float32', autocast: 'bfloat16' })),
    'training on 313 pairs (66 held out), base model offline:smollm2-135m-instruct on cpu (float32, bfloat16 autocast)');
  assert.equal(describeEvent(parseEvent({ ...started, device: 'cuda', dtype: 'bfloat16', autocast: null, resumed_from: 'checkpoints/step-000020' })),
    'training on 313 pairs (66 held out), base model offline:smollm2-135m-instruct on cuda (bfloat16), resumed from checkpoints/step-000020');
  // An engine from before the device was reported.
  assert.equal(describeEvent(parseEvent(started)), 'training on 313 pairs (66 held out), base model offline:smollm2-135m-instruct');
});
