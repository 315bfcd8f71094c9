// The launcher settings become the engine's `launcher`/`processes` config fields only when a launcher is chosen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchOverrides } from '../../../src/core/dataset/prepareRun';

test('no launcher writes nothing; a launcher writes itself and a process count when one is set', () => {
  assert.deepEqual(launchOverrides('none', 4), {});
  assert.deepEqual(launchOverrides('torchrun', 0), { launcher: 'torchrun' });
  assert.deepEqual(launchOverrides('accelerate', 2), { launcher: 'accelerate', processes: 2 });
});
