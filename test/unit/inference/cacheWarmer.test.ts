import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CacheWarmer, type WarmPlace } from '../../../src/inference/cacheWarmer';

/** Timers the test fires by hand. */
function manualTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  return {
    setTimer: (fn: () => void, ms: number) => { pending.set(next, { fn, ms }); return next++; },
    clearTimer: (h: unknown) => { pending.delete(h as number); },
    fireAll: () => { const all = [...pending.values()]; pending.clear(); for (const t of all) t.fn(); },
    delays: () => [...pending.values()].map((t) => t.ms),
  };
}

function setup() {
  const timers = manualTimers();
  const warmed: WarmPlace[] = [];
  let cancels = 0;
  const warmer = new CacheWarmer({ warm: async (p) => { warmed.push(p); }, cancel: () => { cancels++; }, setTimer: timers.setTimer, clearTimer: timers.clearTimer });
  return { timers, warmed, cancels: () => cancels, warmer };
}

test('a place is warmed once the cursor has rested there, read when the rest is over', () => {
  const { timers, warmed, warmer } = setup();
  let text = 'It was late';
  warmer.restAt(() => ({ before: text, after: '' }), 600);
  assert.deepEqual(timers.delays(), [600]);
  assert.deepEqual(warmed, [], 'nothing before the rest is over');
  text = 'It was late.';
  timers.fireAll();
  assert.deepEqual(warmed, [{ before: 'It was late.', after: '' }]);
});

test('a newer rest replaces the pending one; a place with nothing to suggest is not warmed', () => {
  const { timers, warmed, warmer } = setup();
  warmer.restAt(() => ({ before: 'first', after: '' }), 150);
  warmer.restAt(() => ({ before: 'second', after: '' }), 600);
  assert.deepEqual(timers.delays(), [600]);
  timers.fireAll();
  assert.deepEqual(warmed.map((p) => p.before), ['second']);
  warmer.restAt(() => undefined, 600);
  timers.fireAll();
  assert.equal(warmed.length, 1);
});

test('typing cancels the pending warm-up and stops the one in flight', () => {
  const { timers, warmed, cancels, warmer } = setup();
  warmer.restAt(() => ({ before: 'x', after: '' }), 600);
  warmer.typed();
  assert.deepEqual(timers.delays(), []);
  assert.equal(cancels(), 1);
  timers.fireAll();
  assert.deepEqual(warmed, []);
  warmer.restAt(() => ({ before: 'x', after: '' }), 600);
  warmer.dispose();
  assert.deepEqual(timers.delays(), []);
  assert.equal(cancels(), 2);
});

test('a warm-up that fails is swallowed: it only costs the head start', async () => {
  const timers = manualTimers();
  const warmer = new CacheWarmer({ warm: () => Promise.reject(new Error('no model')), cancel: () => undefined, setTimer: timers.setTimer, clearTimer: timers.clearTimer });
  warmer.restAt(() => ({ before: 'x', after: '' }), 1);
  timers.fireAll();
  await new Promise((r) => setImmediate(r)); // an unhandled rejection would fail the test run
});
