import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  appendSession, parseHistory, planSession, readHistory, recordSession, SELF_TEST_FILE, type SelfTestSession, summarize, wilson,
} from '../../../src/core/eval/selfTest';
import type { SelfTestPair } from '../../../src/core/eval/selfTestPairs';

const close = (a: number, b: number, eps = 5e-4) => assert.ok(Math.abs(a - b) < eps, `${a} is not ~${b}`);

test('Wilson score interval: known values', () => {
  for (const [picked, n, low, high] of [[5, 10, 0.2366, 0.7634], [0, 10, 0, 0.2775], [10, 10, 0.7225, 1], [81, 100, 0.7222, 0.8749]] as const) {
    const interval = wilson(picked, n)!;
    close(interval.low, low);
    close(interval.high, high);
  }
  assert.equal(wilson(0, 0), null);
  assert.equal(wilson(3, 2), null);
});

const pair = (promptId: string, sample: number): SelfTestPair => ({
  sample, promptId, seed: sample, tier: 'T3', source: 'val', opening: null, writer: `writer ${sample}`, voice: `voice ${sample}`,
});
const pairs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => pair(`p${i % 6}`, i)); // six openings, two samples each

test('planSession is seeded: the same seed gives the same pairs, order and sides; another seed differs', () => {
  const a = planSession(pairs, [], { n: 10, seed: 42 });
  const b = planSession(pairs, [], { n: 10, seed: 42 });
  const c = planSession(pairs, [], { n: 10, seed: 43 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((t) => [t.pair.sample, t.writerSide]), c.map((t) => [t.pair.sample, t.writerSide]));
  assert.equal(a.length, 10);
  assert.equal(new Set(a.map((t) => t.pair.sample)).size, 10, 'no pair twice');
  // every opening once before any opening twice
  const first6 = planSession(pairs, [], { n: 6, seed: 7 });
  assert.equal(new Set(first6.map((t) => t.pair.promptId)).size, 6);
  // fewer pairs than asked for: all of them
  assert.equal(planSession(pairs.slice(0, 3), [], { n: 10, seed: 1 }).length, 3);
  // sides are drawn, not fixed: over many seeds about half the writer's texts are on A
  let onA = 0;
  let total = 0;
  for (let seed = 0; seed < 200; seed++) for (const t of planSession(pairs, [], { n: 10, seed })) { total++; if (t.writerSide === 'A') onA++; }
  assert.ok(onA / total > 0.45 && onA / total < 0.55, `${onA} of ${total} on A`);
});

test('planSession shows pairs the writer has not judged yet first (for the same evaluation)', () => {
  const first = planSession(pairs, [], { n: 6, seed: 3, evalCreated: 'e1' });
  const session = recordSession(first, first.map(() => 'A'), { seed: 3, date: new Date('2026-01-01T00:00:00Z'), evalCreated: 'e1' });
  const second = planSession(pairs, [session], { n: 6, seed: 4, evalCreated: 'e1' });
  const seen = new Set(first.map((t) => t.pair.sample));
  assert.ok(second.every((t) => !seen.has(t.pair.sample)), 'the six not yet seen');
  // a new evaluation: old judgements do not count
  const fresh = planSession(pairs, [session], { n: 6, seed: 3, evalCreated: 'e2' });
  assert.deepEqual(fresh.map((t) => t.pair.sample), first.map((t) => t.pair.sample));
});

test('recordSession: a pick of the writer\'s side is "writer", of the other "voice"; a session may stop early', () => {
  const trials = planSession(pairs, [], { n: 4, seed: 9 });
  const picks = trials.map((t, i) => (i % 2 === 0 ? t.writerSide : t.writerSide === 'A' ? 'B' : 'A'));
  const s = recordSession(trials, picks, { seed: 9, date: new Date('2026-11-23T14:15:02Z'), evalCreated: 'e' });
  assert.deepEqual(s.pairs.map((p) => p.chose), ['writer', 'voice', 'writer', 'voice']);
  assert.deepEqual([s.n, s.picked_voice, s.date, s.seed, s.eval_created], [4, 2, '2026-11-23T14:15:02.000Z', 9, 'e']);
  assert.deepEqual(s.pairs[0], { prompt_id: trials[0]!.pair.promptId, seed: trials[0]!.pair.seed, sample: trials[0]!.pair.sample, chose: 'writer' });
  assert.equal(recordSession(trials, picks.slice(0, 1), { seed: 9, date: new Date(), evalCreated: null }).n, 1);
  assert.throws(() => recordSession(trials, [], { seed: 9, date: new Date(), evalCreated: null }));
  assert.throws(() => recordSession(trials, [...picks, 'A'], { seed: 9, date: new Date(), evalCreated: null }));
});

const session = (date: string, chose: ('writer' | 'voice')[]): SelfTestSession => ({
  date, n: chose.length, picked_voice: chose.filter((c) => c === 'voice').length, seed: 1, eval_created: 'e',
  pairs: chose.map((c, i) => ({ prompt_id: `p${i}`, seed: i, sample: i, chose: c })),
});

test('history persists per run folder: appended atomically, read back the same, concurrent appends both kept', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'selftest-history-'));
  try {
    assert.deepEqual(await readHistory(dir), []);
    const one = session('2026-11-23T10:00:00.000Z', ['voice', 'writer', 'writer', 'voice', 'voice', 'writer', 'writer', 'writer', 'voice', 'writer']);
    const two = session('2026-11-24T10:00:00.000Z', ['voice', 'voice']);
    const three = session('2026-11-25T10:00:00.000Z', ['writer']);
    assert.deepEqual(await appendSession(dir, one), [one]);
    await Promise.all([appendSession(dir, two), appendSession(dir, three)]);
    assert.deepEqual(await readHistory(dir), [one, two, three]);
    const file = JSON.parse(await readFile(join(dir, SELF_TEST_FILE), 'utf8')) as { format: number; sessions: unknown[] };
    assert.equal(file.format, 1);
    assert.equal(file.sessions.length, 3);
    assert.deepEqual((await readdir(dir)).sort(), [SELF_TEST_FILE], 'no temp file left behind');
    const h = summarize(await readHistory(dir));
    assert.deepEqual(h.sessions.map((s) => [s.k, s.n]), [[4, 10], [2, 2], [0, 1]]);
    assert.deepEqual([h.overall!.k, h.overall!.n], [6, 13]);
    close(h.sessions[0]!.low, wilson(4, 10)!.low);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an unreadable self-test.json is kept aside, not overwritten; hand-edited counts follow the pairs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'selftest-history-'));
  try {
    await writeFile(join(dir, SELF_TEST_FILE), '{"sessions": [');
    const s = session('2026-11-23T10:00:00.000Z', ['voice']);
    assert.deepEqual(await appendSession(dir, s), [s]);
    const names = await readdir(dir);
    assert.equal(names.length, 2);
    assert.ok(names.some((n) => /^self-test\.unreadable-\d+\.json$/.test(n)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // a bare list is read too; counts come from the pairs; broken entries are dropped; oldest first
  const parsed = parseHistory([
    { ...session('2026-11-24T00:00:00Z', ['voice', 'writer']), n: 9, picked_voice: 9 },
    session('2026-11-23T00:00:00Z', ['writer']),
    { date: 5, pairs: [] },
    { date: '2026-11-25T00:00:00Z', pairs: [{ prompt_id: 'p', chose: 'maybe' }] },
  ]);
  assert.deepEqual(parsed.map((p) => [p.date, p.n, p.picked_voice]), [['2026-11-23T00:00:00Z', 1, 0], ['2026-11-24T00:00:00Z', 2, 1]]);
});
