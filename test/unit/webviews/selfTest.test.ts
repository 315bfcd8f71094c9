import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunSnapshot } from '../../../src/core/runs/snapshot';
import { SELF_TEST_FILE } from '../../../src/core/eval/selfTest';
import type { SelfTestPair, SelfTestPairs } from '../../../src/core/eval/selfTestPairs';
import { resultSentence } from '../../../src/webviews/app/selfTestModel';
import { DashboardState } from '../../../src/webviews/app/state';
import { type HostMessage, parseHostMessage, parseWebviewMessage, type RunControls, type Side } from '../../../src/webviews/protocol';
import { SelfTestHost } from '../../../src/webviews/selfTestHost';

const history = { sessions: [{ k: 5, n: 10, share: 0.5, low: 0.2366, high: 0.7634, date: '2026-11-23T10:00:00.000Z', evalCreated: null }], overall: { k: 5, n: 10, share: 0.5, low: 0.2366, high: 0.7634 } };

test('self-test messages from the webview: A/B picks for a named session, nothing else', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'selftest/start', dir: '/r/1' }), { type: 'selftest/start', dir: '/r/1' });
  assert.deepEqual(parseWebviewMessage({ type: 'selftest/finish', dir: '/r/1', session: 's', picks: ['A', 'B'], extra: 1 }),
    { type: 'selftest/finish', dir: '/r/1', session: 's', picks: ['A', 'B'] });
  for (const bad of [
    { type: 'selftest/start' },
    { type: 'selftest/finish', dir: '/r/1', session: 's', picks: [] },
    { type: 'selftest/finish', dir: '/r/1', session: 's', picks: ['A', 'writer'] },
    { type: 'selftest/finish', dir: '/r/1', picks: ['A'] },
    { type: 'selftest/finish', dir: '/r/1', session: 's', picks: 'AB' },
    { type: 'selftest/finish', dir: '/r/1', session: 's', picks: Array(101).fill('A') },
    { type: 'selftest/write', dir: '/r/1', text: '{}' },
  ]) assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad).slice(0, 80));
});

test('self-test messages from the host are validated; a session with one malformed pair is refused whole', () => {
  const status = parseHostMessage({ type: 'selftest/status', dir: '/r/1', available: 12, sessionSize: 10, reason: 5, history });
  assert.deepEqual(status, { type: 'selftest/status', dir: '/r/1', available: 12, sessionSize: 10, reason: null, history });
  // a malformed session in the history is dropped, an impossible overall score is none
  const lenient = parseHostMessage({ type: 'selftest/status', dir: '/r/1', available: 0, sessionSize: 0, reason: 'why', history: {
    sessions: [...history.sessions, { k: 3, n: 2, share: 1.5, low: 0, high: 1, date: 'd' }, { k: 1, n: 2, share: 0.5, low: 0.1, high: 0.9 }],
    overall: { k: 1, n: 0, share: 0, low: 0, high: 0 } } });
  assert.ok(lenient?.type === 'selftest/status');
  assert.equal(lenient.history.sessions.length, 1);
  assert.equal(lenient.history.overall, null);
  assert.equal(parseHostMessage({ type: 'selftest/status', dir: '/r/1', available: -1, sessionSize: 0, reason: null, history }), undefined);
  const trials = [{ opening: 'o', a: 'x', b: 'y' }, { a: 'p', b: 'q' }];
  const session = parseHostMessage({ type: 'selftest/session', dir: '/r/1', session: 's', trials });
  assert.ok(session?.type === 'selftest/session');
  assert.deepEqual(session.trials, [{ opening: 'o', a: 'x', b: 'y' }, { opening: null, a: 'p', b: 'q' }]);
  assert.equal(parseHostMessage({ type: 'selftest/session', dir: '/r/1', session: 's', trials: [...trials, { a: 'only a' }] }), undefined);
  assert.equal(parseHostMessage({ type: 'selftest/session', dir: '/r/1', session: 's', trials: [] }), undefined);
  // the writer's side never travels to the webview
  assert.ok(!('writerSide' in session.trials[0]!));
  const score = { k: 2, n: 3, share: 2 / 3, low: 0.2, high: 0.94 };
  assert.equal(parseHostMessage({ type: 'selftest/result', dir: '/r/1', session: 's', score, history })?.type, 'selftest/result');
  assert.equal(parseHostMessage({ type: 'selftest/result', dir: '/r/1', session: 's', score: { ...score, low: 0.99 }, history }), undefined);
});

const controls: RunControls = { engineAlive: false, active: false, cancel: false, resume: false, activate: false, export: false, choose: false };
const files = { config: null, canaries: null, manifest: null, evaluation: null, hasWeights: false, hasVoice: false, checkpoints: [] };
const snapshot = (dir: string): RunSnapshot => ({ dir, id: dir, name: dir, events: [], malformedLines: 0, eventsOffset: 0, startedMs: 0, lastEventMs: 0, files });

test('the webview walks a session pair by pair and reports A/B picks; another run drops it', () => {
  const s = new DashboardState();
  s.apply({ type: 'run/snapshot', role: 'primary', snapshot: snapshot('/a'), controls });
  assert.equal(s.apply({ type: 'selftest/status', dir: '/b', available: 3, sessionSize: 3, reason: null, history }).size, 0, 'another run\'s status');
  assert.deepEqual([...s.apply({ type: 'selftest/status', dir: '/a', available: 3, sessionSize: 3, reason: null, history })], ['selftest']);
  const m = s.selfTest;
  assert.deepEqual(m.start(), { type: 'selftest/start', dir: '/a' });
  assert.equal(m.start(), undefined, 'one start at a time');
  const trials = [{ opening: null, a: '1a', b: '1b' }, { opening: null, a: '2a', b: '2b' }, { opening: 'o', a: '3a', b: '3b' }];
  s.apply({ type: 'selftest/session', dir: '/a', session: 's1', trials });
  assert.equal(m.phase, 'running');
  assert.equal(m.current, 0);
  assert.equal(m.pick('B'), undefined);
  assert.equal(m.current, 1);
  assert.equal(m.pick('A'), undefined);
  assert.deepEqual(m.pick('A'), { type: 'selftest/finish', dir: '/a', session: 's1', picks: ['B', 'A', 'A'] });
  assert.equal(m.phase, 'saving');
  assert.equal(m.pick('A'), undefined, 'no picks while saving');
  const score = { k: 1, n: 3, share: 1 / 3, low: 0.06, high: 0.79 };
  assert.equal(s.apply({ type: 'selftest/result', dir: '/a', session: 'old', score, history }).size, 0, 'another session\'s result');
  s.apply({ type: 'selftest/result', dir: '/a', session: 's1', score, history });
  assert.equal(m.phase, 'done');
  assert.equal(resultSentence(m.result!), 'The voice was taken for you in 1 of 3 pairs (33%, 95% CI 6\u201379%).');
  // stopping early records the answered pairs; stopping before any answer records nothing
  m.start();
  s.apply({ type: 'selftest/session', dir: '/a', session: 's2', trials });
  assert.equal(m.stop(), undefined);
  assert.equal(m.phase, 'idle');
  m.start();
  s.apply({ type: 'selftest/session', dir: '/a', session: 's3', trials });
  m.pick('A');
  assert.deepEqual(m.stop(), { type: 'selftest/finish', dir: '/a', session: 's3', picks: ['A'] });
  // a failed save does not leave the section waiting
  assert.ok(s.apply({ type: 'host/notice', level: 'error', text: 'disk full' }).has('selftest'));
  assert.equal(m.phase, 'idle');
  // another run: the section starts over
  m.start();
  s.apply({ type: 'selftest/session', dir: '/a', session: 's4', trials });
  s.apply({ type: 'run/snapshot', role: 'primary', snapshot: snapshot('/b'), controls });
  assert.deepEqual([m.dir, m.phase, m.session, m.history], ['/b', 'idle', null, null]);
});

test('5 of 10 reads "50%, 95% CI 24–76%"', () => {
  assert.equal(resultSentence({ k: 5, n: 10, share: 0.5, low: 0.2366, high: 0.7634 }), 'The voice was taken for you in 5 of 10 pairs (50%, 95% CI 24\u201376%).');
});

const pair = (i: number): SelfTestPair => ({ sample: i, promptId: `doc#T3-${i}`, seed: 100 + i, tier: 'T3', source: 'val', opening: `opening ${i}`, writer: `writer ${i}`, voice: `voice ${i}` });

test('host: a session built from the run\'s pairs, the picks scored and appended to self-test.json', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'selftest-host-'));
  try {
    let found: SelfTestPairs = { pairs: [], skipped: [{ sample: 0, promptId: 'doc#T2-0', reason: 'a title prompt' }], evalCreated: 'e1' };
    let clock = Date.UTC(2026, 10, 23, 14, 15, 2);
    const host = new SelfTestHost({ sessionSize: 4, newSeed: () => 7, now: () => new Date(clock), readPairs: async () => found });
    const none = await host.status(dir);
    assert.ok(none.type === 'selftest/status');
    assert.deepEqual([none.available, none.sessionSize, none.history.sessions], [0, 0, []]);
    assert.match(none.reason!, /None of the 1 evaluation samples.*title prompt/);
    assert.equal((await host.start(dir)).type, 'selftest/status', 'nothing to start: the status says why');

    found = { pairs: [0, 1, 2, 3, 4, 5].map(pair), skipped: [], evalCreated: 'e1' };
    const status = await host.status(dir);
    assert.ok(status.type === 'selftest/status');
    assert.deepEqual([status.available, status.sessionSize, status.reason], [6, 4, null]);

    const started = await host.start(dir);
    assert.ok(started.type === 'selftest/session');
    assert.equal(started.trials.length, 4);
    // the webview sees texts only; pick the writer's text in the first two pairs, the voice's in the others
    const picks: Side[] = started.trials.map((t, i) => (t.a.startsWith(i < 2 ? 'writer' : 'voice') ? 'A' : 'B'));
    assert.equal(await host.finish(dir, 'another', picks), undefined, 'picks for a session that is not open');
    assert.equal(await host.finish('/elsewhere', started.session, picks), undefined);
    assert.equal(await host.finish(dir, started.session, [...picks, 'A']), undefined, 'more picks than pairs');
    const result = await host.finish(dir, started.session, picks) as Extract<HostMessage, { type: 'selftest/result' }>;
    assert.equal(result.type, 'selftest/result');
    assert.deepEqual([result.score.k, result.score.n], [2, 4]);
    assert.equal(await host.finish(dir, started.session, picks), undefined, 'a session is recorded once');

    const file = JSON.parse(await readFile(join(dir, SELF_TEST_FILE), 'utf8')) as { sessions: { date: string; n: number; picked_voice: number; seed: number; eval_created: string; pairs: { prompt_id: string; seed: number; sample: number; chose: string }[] }[] };
    assert.equal(file.sessions.length, 1);
    const saved = file.sessions[0]!;
    assert.deepEqual([saved.date, saved.n, saved.picked_voice, saved.seed, saved.eval_created], ['2026-11-23T14:15:02.000Z', 4, 2, 7, 'e1']);
    assert.deepEqual(saved.pairs.map((p) => p.chose), ['writer', 'writer', 'voice', 'voice']);
    assert.deepEqual(saved.pairs.map((p) => p.prompt_id), started.trials.map((t) => `doc#T3-${/\d+/.exec(t.a)![0]}`));

    // a second session, stopped after one pair, shows the pairs not judged yet and joins the history
    clock += 86_400_000;
    const again = await host.start(dir);
    assert.ok(again.type === 'selftest/session');
    assert.equal(again.trials.length, 4);
    const judged = new Set(saved.pairs.map((p) => p.sample));
    const shown = new Set(again.trials.map((t) => Number(/\d+/.exec(t.a)![0])));
    assert.ok([0, 1, 2, 3, 4, 5].filter((i) => !judged.has(i)).every((i) => shown.has(i)), 'both pairs not judged yet are in it');
    const second = await host.finish(dir, again.session, ['A']);
    assert.ok(second?.type === 'selftest/result');
    assert.deepEqual(second.history.sessions.map((s) => s.n), [4, 1]);
    assert.equal(second.history.overall?.n, 5);
    const after = await host.status(dir);
    assert.ok(after.type === 'selftest/status');
    assert.deepEqual(after.history, second.history);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
