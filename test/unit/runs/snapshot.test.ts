import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tailEvents } from '../../../src/core/runs/eventsTail';
import { readRunSummary } from '../../../src/core/runs/runFolder';
import { readRunFiles, readRunSnapshot } from '../../../src/core/runs/snapshot';
import { watchRun } from '../../../src/core/runs/watchRun';
import { parseEventLine } from '../../../src/core/runs/protocol';

const line = (o: object) => `${JSON.stringify(o)}\n`;
const progress = (step: number) => line({ event: 'train.progress', step, epoch: 0, loss: 3 - step / 10, lr: 1e-4 });

async function runFolder(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'snap-')), '20261123-141502-essays');
  await mkdir(join(dir, 'dataset'), { recursive: true });
  return dir;
}

test('a snapshot rebuilds the run from its folder; a half-written last line is left for the tail', async () => {
  const dir = await runFolder();
  const whole = line({ event: 'train.started', config: { base_model: 'tiny:llama' }, dataset: { train_pairs: 4, val_pairs: 1 } }) + progress(1) + progress(2);
  await writeFile(join(dir, 'events.jsonl'), `${whole}not json at all\n{"event":"train.progress","step":3,"ep`);
  await writeFile(join(dir, 'config.json'), '{"base_model":"tiny:llama","lora_rank":8}');
  await writeFile(join(dir, 'canaries.json'), '[{"epoch":0,"prompt_id":"p","base":["a"],"tuned":["b"]}]');
  await writeFile(join(dir, 'dataset', 'manifest.json'), '{"format":1,"pairs":{"train":4,"val":1}}');
  await writeFile(join(dir, 'run.json'), '{"name":"My essays"}');
  await mkdir(join(dir, 'checkpoints', 'step-000002'), { recursive: true });

  const snap = await readRunSnapshot(dir);
  assert.equal(snap.id, '20261123-141502-essays');
  assert.equal(snap.name, 'My essays');
  assert.deepEqual(snap.events.map((e) => e.event), ['train.started', 'train.progress', 'train.progress']);
  assert.equal(snap.malformedLines, 1);
  assert.equal(snap.eventsOffset, Buffer.byteLength(`${whole}not json at all\n`));
  assert.deepEqual(snap.files.config, { base_model: 'tiny:llama', lora_rank: 8 });
  assert.deepEqual(snap.files.manifest, { format: 1, pairs: { train: 4, val: 1 } });
  assert.ok(Array.isArray(snap.files.canaries));
  assert.equal(snap.files.evaluation, null, 'eval.json is absent until the voice is evaluated');
  assert.deepEqual(snap.files.checkpoints, ['step-000002']);
  assert.equal(snap.files.hasWeights, false);
  assert.ok(snap.startedMs !== null && snap.lastEventMs !== null);
});

test('a full fine-tune leaves model/, not adapter/: the run has trained weights all the same (the Export button is on)', async () => {
  const dir = await runFolder();
  assert.equal((await readRunSnapshot(dir)).files.hasWeights, false);
  assert.equal((await readRunSummary(dir)).hasWeights, false);
  await mkdir(join(dir, 'model'));
  await writeFile(join(dir, 'model', 'config.json'), '{"model_type":"llama"}');
  assert.equal((await readRunSnapshot(dir)).files.hasWeights, true);
  assert.equal((await readRunSummary(dir)).hasWeights, true);
  await mkdir(join(dir, 'adapter'));
  await writeFile(join(dir, 'adapter', 'adapter_config.json'), '{}');
  assert.equal((await readRunFiles(dir)).hasWeights, true);
});

test('a complete last event without its newline is kept, and the tail does not repeat it', async () => {
  const dir = await runFolder();
  await writeFile(join(dir, 'events.jsonl'), progress(1) + progress(2).trimEnd());
  const snap = await readRunSnapshot(dir);
  assert.equal(snap.events.length, 2);
  const seen = await tailUntil(dir, snap.eventsOffset, async () => appendFile(join(dir, 'events.jsonl'), `\n${progress(3)}`), 1);
  assert.deepEqual(seen, [3]);
});

test('the live tail, started at the snapshot offset, delivers every later event exactly once', async () => {
  const dir = await runFolder();
  await writeFile(join(dir, 'events.jsonl'), `${progress(1)}${progress(2)}{"event":"train.progress","st`);
  const snap = await readRunSnapshot(dir);
  assert.deepEqual(snap.events.map((e) => (e.event === 'train.progress' ? e.step : -1)), [1, 2]);
  const seen = await tailUntil(dir, snap.eventsOffset, async () => {
    // The engine finishes the half-written line, then writes two more in pieces.
    await appendFile(join(dir, 'events.jsonl'), 'ep":3,"epoch":0,"loss":2.7,"lr":0.0001}\n');
    await appendFile(join(dir, 'events.jsonl'), progress(4).slice(0, 10));
    await new Promise((r) => setTimeout(r, 60));
    await appendFile(join(dir, 'events.jsonl'), progress(4).slice(10) + progress(5));
  }, 3);
  assert.deepEqual(seen, [3, 4, 5]);
});

async function tailUntil(dir: string, from: number, write: () => Promise<unknown>, want: number): Promise<number[]> {
  const steps: number[] = [];
  const stop = new AbortController();
  const done = tailEvents(dir, (lines) => {
    for (const l of lines) {
      const e = parseEventLine(l);
      if (e?.event === 'train.progress') steps.push(e.step);
    }
    if (steps.length >= want) stop.abort();
  }, { from, signal: stop.signal, pollMs: 20 });
  await write();
  const timer = setTimeout(() => stop.abort(), 5000);
  await done;
  clearTimeout(timer);
  return steps;
}

test('watchRun: snapshot, then appended events, then eval.json appearing later', async () => {
  const dir = await runFolder();
  await writeFile(join(dir, 'events.jsonl'), progress(1));
  const got: { snapshot?: number; events: number[]; evaluation?: unknown } = { events: [] };
  const stop = new AbortController();
  const watching = watchRun(dir, {
    onSnapshot: (s) => { got.snapshot = s.events.length; },
    onEvents: (events) => got.events.push(...events.map((e) => (e.event === 'train.progress' ? e.step : -1))),
    onFiles: (f) => { got.evaluation = f.evaluation; },
  }, stop.signal, 40);
  await waitFor(() => got.snapshot !== undefined);
  await appendFile(join(dir, 'events.jsonl'), progress(2) + progress(3));
  await writeFile(join(dir, 'eval.json'), '{"perplexity":{"base":20,"tuned":12}}');
  await waitFor(() => got.events.length === 2 && got.evaluation !== undefined);
  stop.abort();
  await watching;
  assert.equal(got.snapshot, 1);
  assert.deepEqual(got.events, [2, 3]);
  assert.deepEqual(got.evaluation, { perplexity: { base: 20, tuned: 12 } });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
