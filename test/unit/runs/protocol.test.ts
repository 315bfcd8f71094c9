import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LineSplitter } from '../../../src/core/runs/jsonLines';
import { isTerminal, parseEventLine, ProtocolError } from '../../../src/core/runs/protocol';

test('LineSplitter joins lines split across chunks, including a split UTF-8 character', () => {
  const s = new LineSplitter();
  const bytes = Buffer.from('{"a":"é"}\n{"b":1}\r\n{"c"', 'utf8');
  const cut = bytes.indexOf(0xc3) + 1; // inside the two-byte "é"
  assert.deepEqual(s.push(bytes.subarray(0, cut)), []);
  assert.deepEqual(s.push(bytes.subarray(cut)), ['{"a":"é"}', '{"b":1}']);
  assert.deepEqual(s.push(':2}'), []);
  assert.deepEqual(s.end(), ['{"c":2}']);
  assert.deepEqual(s.end(), []);
});

test('blank lines are skipped, unknown events kept as unknown, malformed ones rejected', () => {
  assert.equal(parseEventLine('   '), undefined);
  const unknown = parseEventLine('{"event":"train.future","x":1}');
  assert.deepEqual(unknown, { event: 'unknown', name: 'train.future', raw: { event: 'train.future', x: 1 } });
  assert.throws(() => parseEventLine('not json'), ProtocolError);
  assert.throws(() => parseEventLine('[1,2]'), ProtocolError);
  assert.throws(() => parseEventLine('{"event":"train.progress","step":"3"}'), ProtocolError);
  const p = parseEventLine('{"event":"train.progress","step":3,"epoch":0.1,"loss":null,"lr":1e-4}');
  assert.equal(p?.event, 'train.progress');
});

test('exactly the run-ending events are terminal', () => {
  const ended = ['{"event":"train.done","adapter":"adapter","best_step":3,"best_val_loss":2}', '{"event":"error","code":"x","message":"m"}', '{"event":"train.cancelled"}'];
  for (const line of ended) assert.ok(isTerminal(parseEventLine(line)!), line);
  assert.ok(!isTerminal(parseEventLine('{"event":"train.eval","step":1,"val_loss":2.0,"val_ppl":7.4}')!));
});

const recorded = join(__dirname, '..', '..', 'fixtures', 'runs', 'tiny-bierce', 'events.jsonl');
test('a recorded real training run parses event by event and ends with one terminal event', { skip: !existsSync(recorded) && 'no recorded run yet' }, () => {
  const events = readFileSync(recorded, 'utf8').split('\n').map((l) => parseEventLine(l)).filter((e) => e !== undefined);
  assert.ok(events.length > 3);
  assert.equal(events.filter((e) => e.event === 'unknown').length, 0, 'every recorded event is known to the client');
  const terminals = events.filter(isTerminal);
  assert.equal(terminals.length, 1);
  assert.equal(events.at(-1), terminals[0]);
  assert.equal(events[0]?.event, 'train.started');
});

test('train.voice: the voice score after an evaluation, validated field by field; not terminal', () => {
  const ok = { event: 'train.voice', step: 40, score: 0.62, attributed: 0.75, delta: 1.21, samples: 8 };
  const line = (o: object) => JSON.stringify(o);
  const e = parseEventLine(line(ok));
  assert.deepEqual(e, ok);
  assert.ok(!isTerminal(e!));
  // Delta is null when it could not be computed; 0 and 1 are valid shares.
  assert.equal(parseEventLine(line({ ...ok, delta: null, score: 0, attributed: 1 }))?.event, 'train.voice');
  const bad: Record<string, unknown>[] = [
    { step: undefined }, { step: '40' }, { score: undefined }, { score: '0.62' }, { score: 1.5 }, { score: -0.1 },
    { attributed: undefined }, { attributed: 2 }, { delta: undefined }, { delta: 'close' }, { samples: 0 }, { samples: undefined },
  ];
  for (const change of bad) assert.throws(() => parseEventLine(line({ ...ok, ...change })), ProtocolError, JSON.stringify(change));
});

test("train.done's checkpoint choice is optional and read leniently: a terminal event is never dropped for it", () => {
  const done = { event: 'train.done', adapter: 'adapter', best_step: 60, best_val_loss: 2.1 };
  const chosen = parseEventLine(JSON.stringify({ ...done, chosen_step: 40, chosen_by: 'voice', best_voice_score: 0.62 }));
  assert.equal(chosen?.event === 'train.done' && chosen.chosen_step, 40);
  assert.ok(isTerminal(chosen!));
  assert.ok(isTerminal(parseEventLine(JSON.stringify(done))!), 'an old run without the fields');
  assert.ok(isTerminal(parseEventLine(JSON.stringify({ ...done, chosen_by: 'writer', chosen_step: 'x' }))!));
});

const voiceRun = join(__dirname, '..', '..', 'fixtures', 'runs', 'voice-chosen', 'events.jsonl');
test('the voice-chosen fixture parses: a train.voice after every train.eval, one terminal event', () => {
  const events = readFileSync(voiceRun, 'utf8').split('\n').map((l) => parseEventLine(l)).filter((e) => e !== undefined);
  assert.equal(events.filter((e) => e.event === 'unknown').length, 0);
  const names = events.map((e) => e.event);
  assert.equal(names.filter((n) => n === 'train.voice').length, names.filter((n) => n === 'train.eval').length);
  names.forEach((n, i) => { if (n === 'train.voice') assert.equal(names[i - 1], 'train.eval'); });
  assert.deepEqual(events.filter(isTerminal), [events.at(-1)]);
});
