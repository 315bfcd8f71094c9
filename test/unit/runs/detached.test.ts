// A detached engine outlives its parent's interest in it: followed through
// events.jsonl, cancelled through its process group, and a crash is noticed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cancelEngine, followRun, liveEngine, startDetached } from '../../../src/engine/detached';
import { EngineStartError } from '../../../src/engine/client';
import { choosePython } from '../../../src/engine/locate';
import type { EngineEvent } from '../../../src/core/runs/protocol';

const python = choosePython(process.env.VOICE_DRAFT_PYTHON).python;

// A stand-in engine that writes events to the run folder like the real one does.
const fakeTrainer = String.raw`
import json, signal, sys, time, os
run = sys.argv[1]
f = open(os.path.join(run, "events.jsonl"), "a")
def emit(**e):
    f.write(json.dumps(e) + "\n"); f.flush()
# Like the real engine, the handler only asks for a stop: writing from inside it could
# land in the middle of another write to the same file (a reentrant-call error).
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
emit(event="train.started", config={}, dataset={"train_pairs": 1, "val_pairs": 1})
for step in range(1, 1000):
    if stopping:
        emit(event="train.cancelled", step=step - 1); sys.exit(0)
    emit(event="train.progress", step=step, epoch=0.1, loss=2.0, lr=1e-4)
    sys.stderr.write("step %d\n" % step); sys.stderr.flush()
    if os.environ.get("CRASH_AT") == str(step):
        os._exit(9)
    time.sleep(0.05)
`;

test('follows a detached run to its cancellation, with the log in the run folder', async () => {
  const run = await mkdtemp(join(tmpdir(), 'run-'));
  const engine = await startDetached({ command: python, args: ['-c', fakeTrainer, run] }, run);
  assert.equal((await liveEngine(run))?.pid, engine.pid);
  const events: EngineEvent[] = [];
  const result = await followRun(run, engine.pid, (e) => {
    events.push(e);
    if (e.event === 'train.progress' && e.step === 3) cancelEngine(engine.pid);
  }, { pollMs: 50 });
  assert.equal(result.terminal?.event, 'train.cancelled');
  assert.equal(events[0]?.event, 'train.started');
  assert.equal(await engine.exited, 0);
  assert.equal(await liveEngine(run), undefined);
  assert.match(await readFile(join(run, 'engine.log'), 'utf8'), /step 1\n/);
});

test('a crashed engine ends the follow with no terminal event', async () => {
  const run = await mkdtemp(join(tmpdir(), 'run-'));
  const engine = await startDetached({ command: python, args: ['-c', fakeTrainer, run], env: { ...process.env, CRASH_AT: '2' } }, run);
  const result = await followRun(run, engine.pid, () => {}, { pollMs: 50 });
  assert.equal(result.terminal, undefined);
  assert.ok(result.events >= 2);
  assert.equal(await engine.exited, 9);
});

test('a finished run replays from the file without a process', async () => {
  const run = await mkdtemp(join(tmpdir(), 'run-'));
  const engine = await startDetached({ command: python, args: ['-c', fakeTrainer, run], env: { ...process.env, CRASH_AT: '1' } }, run);
  await followRun(run, engine.pid, () => {}, { pollMs: 20 }); // until the process is gone
  const { appendFile } = await import('node:fs/promises');
  await appendFile(join(run, 'events.jsonl'), '{"event":"train.done","adapter":"adapter","best_step":1,"best_val_loss":2.0}\n');
  const result = await followRun(run, undefined, () => {}, { pollMs: 20 });
  assert.equal(result.terminal?.event, 'train.done');
});

test('a missing Python says what to do next, not spawn ENOENT', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'run-'));
  const missing = join(dir, 'no-such-python');
  await assert.rejects(startDetached({ command: missing, args: ['-V'] }, dir), (e: unknown) =>
    e instanceof EngineStartError && e.message.includes(`"${missing}" was not found`) && /Set Up Training Engine|pythonPath/.test(e.hint));
});

test('an engine whose pid file cannot be written is stopped before the start fails: nothing runs unrecorded', { skip: process.platform === 'win32' && 'ps' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'run-'));
  await mkdir(join(dir, 'engine.pid')); // the write fails (EISDIR), as it would on a full disk
  const marker = `unrecorded-engine-${process.pid}-${Date.now()}`;
  await assert.rejects(startDetached({ command: python, args: ['-c', 'import time; time.sleep(60)', marker] }, dir), /EISDIR|illegal operation on a directory/);
  const running = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(marker));
  assert.deepEqual(running, [], 'the engine was stopped');
});
