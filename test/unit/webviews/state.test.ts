import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunSnapshot } from '../../../src/core/runs/snapshot';
import { parseEvent } from '../../../src/core/runs/protocol';
import { DashboardState } from '../../../src/webviews/app/state';
import type { RunControls } from '../../../src/webviews/protocol';

const controls: RunControls = { engineAlive: true, active: false, cancel: true, resume: false, activate: false, export: false, choose: false };
const files = { config: null, canaries: null, manifest: null, evaluation: null, hasWeights: false, hasVoice: false, checkpoints: [] };
const progress = (step: number) => parseEvent({ event: 'train.progress', step, epoch: 0, loss: 2, lr: 1e-4 });
const snapshot = (dir: string, steps: number[]): RunSnapshot => ({
  dir, id: dir, name: dir, events: steps.map(progress), malformedLines: 0, eventsOffset: 0, startedMs: 0, lastEventMs: 0, files,
});

test('live events extend the shown run; events of a run no longer shown are dropped', () => {
  const s = new DashboardState();
  assert.deepEqual([...s.apply({ type: 'run/snapshot', role: 'primary', snapshot: snapshot('/a', [1, 2]), controls })].sort(),
    ['canaries', 'curves', 'data', 'header', 'notice', 'scores', 'selftest']);
  assert.deepEqual([...s.apply({ type: 'run/events', role: 'primary', dir: '/a', events: [progress(3)], lastEventMs: 9 })].sort(), ['curves', 'header']);
  assert.deepEqual(s.primary?.model.train.step, [1, 2, 3]);
  assert.equal(s.primary?.lastEventMs, 9);
  assert.equal(s.apply({ type: 'run/events', role: 'primary', dir: '/old', events: [progress(4)], lastEventMs: 10 }).size, 0);
  assert.equal(s.apply({ type: 'run/events', role: 'compare', dir: '/a', events: [progress(4)], lastEventMs: 10 }).size, 0);
  assert.deepEqual(s.primary?.model.train.step, [1, 2, 3]);
  const canary = parseEvent({ event: 'train.canary', epoch: 1, prompt_id: 'p', base: ['a'], tuned: ['b'] });
  assert.ok(s.apply({ type: 'run/events', role: 'primary', dir: '/a', events: [canary], lastEventMs: 11 }).has('canaries'));
});

test('eval.json arriving redraws the scores; a cleared comparison drops the second run', () => {
  const s = new DashboardState();
  s.apply({ type: 'run/snapshot', role: 'primary', snapshot: snapshot('/a', [1]), controls });
  s.apply({ type: 'run/snapshot', role: 'compare', snapshot: snapshot('/b', [1, 2]), controls });
  assert.equal(s.compareName(), '/b');
  const parts = s.apply({ type: 'run/files', role: 'primary', dir: '/a', files: { ...files, evaluation: { perplexity: { base: 2, tuned: 1 } } } });
  assert.ok(parts.has('scores'));
  assert.deepEqual(s.primary?.files.evaluation, { perplexity: { base: 2, tuned: 1 } });
  s.apply({ type: 'compare/cleared' });
  assert.equal(s.compare, null);
  assert.equal(s.apply({ type: 'run/controls', dir: '/b', controls: { ...controls, cancel: false } }).size, 0, 'controls of another run are ignored');
  s.apply({ type: 'run/controls', dir: '/a', controls: { ...controls, cancel: false } });
  assert.equal(s.controls?.cancel, false);
});
