import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostMessage, parseWebviewMessage } from '../../../src/webviews/protocol';

const controls = { engineAlive: true, active: false, cancel: true, resume: false, activate: false, export: false, choose: false };
const files = { config: { base_model: 'm' }, canaries: null, manifest: null, evaluation: null, hasWeights: false, hasVoice: false, checkpoints: ['step-000002'] };

test('webview messages: known shapes pass, anything else is rejected', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'webview/ready' }), { type: 'webview/ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'run/select', dir: '/r/1' }), { type: 'run/select', dir: '/r/1' });
  assert.deepEqual(parseWebviewMessage({ type: 'compare/select', dir: null }), { type: 'compare/select', dir: null });
  assert.deepEqual(parseWebviewMessage({ type: 'action/cancel', dir: '/r/1', extra: 1 }), { type: 'action/cancel', dir: '/r/1' });
  assert.deepEqual(parseWebviewMessage({ type: 'action/copy', text: 'hi' }), { type: 'action/copy', text: 'hi' });
  assert.deepEqual(parseWebviewMessage({ type: 'action/choose', dir: '/r/1', step: 40 }), { type: 'action/choose', dir: '/r/1', step: 40 });
  for (const bad of [null, 'webview/ready', [], { type: 'run/select' }, { type: 'action/cancel', dir: 3 }, { type: 'action/rm', dir: '/' }, { type: 'compare/select' }, { type: 'action/copy' },
    { type: 'action/choose', dir: '/r/1' }, { type: 'action/choose', dir: '/r/1', step: -1 }, { type: 'action/choose', dir: '/r/1', step: 1.5 }, { type: 'action/choose', dir: '/r/1', step: '40' }]) {
    assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('host snapshots are validated, their malformed events dropped one by one', () => {
  const msg = parseHostMessage({
    type: 'run/snapshot', role: 'primary', controls,
    snapshot: {
      dir: '/r/1', id: '1', name: 'one', eventsOffset: 120, malformedLines: 1, startedMs: 5, lastEventMs: 'x', files,
      events: [{ event: 'train.progress', step: 1, epoch: 0, loss: 2, lr: 1e-4 }, { event: 'train.progress', step: 'bad' }, 7],
    },
  });
  assert.ok(msg?.type === 'run/snapshot');
  assert.equal(msg.snapshot.events.length, 1);
  assert.equal(msg.snapshot.lastEventMs, null);
  assert.deepEqual(msg.snapshot.files.checkpoints, ['step-000002']);
  assert.equal(parseHostMessage({ type: 'run/snapshot', role: 'other', controls, snapshot: {} }), undefined);
  assert.equal(parseHostMessage({ type: 'run/snapshot', role: 'primary', controls: { ...controls, active: 'yes' }, snapshot: msg.snapshot }), undefined);
});

test('run lists keep only well-formed runs; unknown host messages are rejected', () => {
  const list = parseHostMessage({
    type: 'run/list', runsRoot: '/r', selected: '/r/1', compare: 5,
    runs: [{ dir: '/r/1', id: '1', name: 'one', state: 'done' }, { dir: '/r/2', id: '2', name: 'two', state: 'exploded' }],
  });
  assert.ok(list?.type === 'run/list');
  assert.deepEqual(list.runs.map((r) => r.id), ['1']);
  assert.equal(list.compare, null);
  assert.equal(parseHostMessage({ type: 'run/events', role: 'primary', dir: '/r/1', events: [], lastEventMs: 1 })?.type, 'run/events');
  assert.equal(parseHostMessage({ type: 'run/files', role: 'compare', dir: '/r/1', files })?.type, 'run/files');
  assert.deepEqual(parseHostMessage({ type: 'run/controls', dir: '/r/1', controls: { ...controls, extra: 1 } }), { type: 'run/controls', dir: '/r/1', controls });
  assert.equal(parseHostMessage({ type: 'host/notice', level: 'warn', text: 'x' }), undefined);
  assert.equal(parseHostMessage({ type: 'run/explode' }), undefined);
});
