// The lifecycle the extension and the CLI share (trainingBackend.ts), on this machine:
// start a detached engine, follow it to its end, cancel it, export; and a run whose engine
// is gone is read once and reported, not followed forever. A stand-in engine (a Python
// script in place of the interpreter) writes the events the real one would.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { EngineEvent } from '../../../src/core/runs/protocol';
import { choosePython } from '../../../src/engine/locate';
import { backendToStart, localBackend, ownerOf } from '../../../src/engine/trainingBackend';

const python = choosePython(process.env.VOICE_DRAFT_PYTHON).python;

// Called as `<python> -s -c <bootstrap> train --run DIR` or `... export --run DIR`.
const standIn = String.raw`#!PYTHON
import json, os, signal, sys, time
args = sys.argv[next(i for i, a in enumerate(sys.argv) if a in ("train", "export")):]
run = args[args.index("--run") + 1]
def emit(to_file=True, **e):
    line = json.dumps(e) + "\n"
    sys.stdout.write(line); sys.stdout.flush()
    if to_file:
        with open(os.path.join(run, "events.jsonl"), "a") as f:
            f.write(line)
if args[0] == "export":
    open(os.path.join(run, "exported"), "w").close()
    emit(False, event="export.done", onnx=os.path.join(run, "onnx"), onnx_base=None, gguf=None, seconds=0.1)
    sys.exit(0)
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
emit(event="train.started", config={}, dataset={"train_pairs": 1, "val_pairs": 1})
steps = int(os.environ.get("STEPS", "3"))
for step in range(1, steps + 1):
    if stopping:
        emit(event="train.cancelled", step=step - 1, checkpoint=None); sys.exit(0)
    emit(event="train.progress", step=step, epoch=step / steps, loss=2.0, lr=1e-4, total_steps=steps)
    time.sleep(0.05)
emit(event="train.done", adapter="adapter", best_step=steps, best_val_loss=1.5)
`;

async function setUp(): Promise<{ root: string; run: string; engine: string }> {
  const root = await mkdtemp(join(tmpdir(), 'backend-'));
  const run = join(root, '20261123-141502-essays');
  await mkdir(run);
  const engine = join(root, 'python');
  await writeFile(engine, standIn.replace('PYTHON', python));
  await chmod(engine, 0o755);
  return { root, run, engine };
}

test('this machine: start, follow to train.done, export into the run folder; nothing to release', async () => {
  const { root, run, engine } = await setUp();
  const backend = localBackend({ python: () => engine, runsRoot: () => root });
  const pid = await backend.start(run);
  assert.ok(pid > 0);
  const events: EngineEvent[] = [];
  const result = await backend.follow(run, (e) => events.push(e));
  assert.deepEqual(result, { terminal: events.at(-1), dropped: false, complete: true });
  assert.equal(result.terminal?.event, 'train.done');
  assert.deepEqual(events.map((e) => e.event), ['train.started', 'train.progress', 'train.progress', 'train.progress', 'train.done']);
  assert.equal((await backend.exportVoice(run)).event, 'export.done');
  assert.equal(await readFile(join(run, 'exported'), 'utf8'), '');
  assert.equal(await backend.release(run), undefined);
  assert.equal(await backend.cancel(run), false, 'no engine runs it any more');
});

test('this machine: a cancel while it trains ends the follow with train.cancelled', async () => {
  const { root, run, engine } = await setUp();
  const backend = localBackend({ python: () => engine, runsRoot: () => root, env: { ...process.env, STEPS: '400' } });
  await backend.start(run);
  let asked = false;
  const result = await backend.follow(run, (e) => {
    if (e.event === 'train.progress' && e.step === 2 && !asked) { asked = true; void backend.cancel(run); }
  });
  assert.equal(result.terminal?.event, 'train.cancelled');
});

test('a run whose engine is gone is read once: its events are replayed and the follow ends', async () => {
  const { root, run } = await setUp();
  await writeFile(join(run, 'events.jsonl'), `${JSON.stringify({ event: 'train.started', config: {}, dataset: { train_pairs: 1, val_pairs: 1 } })}\n`);
  const events: EngineEvent[] = [];
  const result = await localBackend({ python: () => python, runsRoot: () => root }).follow(run, (e) => events.push(e));
  assert.equal(result.terminal, undefined, 'no terminal event: the engine died');
  assert.deepEqual(events.map((e) => e.event), ['train.started']);
});

test('the backend a run goes to: its host once it was sent there, the configured host for a new start, else this machine', async () => {
  const { root, run } = await setUp();
  const choice = { local: { python: () => python, runsRoot: () => root }, remote: { keepCopy: () => false }, remoteHost: '' };
  assert.equal((await backendToStart(run, false, choice)).host, undefined);
  assert.equal((await backendToStart(run, false, { ...choice, remoteHost: 'gpu-box' })).host, 'gpu-box');
  assert.equal((await ownerOf(run, choice)).host, undefined);
  await writeFile(join(run, 'remote.json'), JSON.stringify({ format: 1, host: 'trained-here', remoteDir: '/r/x', offset: 0, rsync: false }));
  assert.equal((await ownerOf(run, choice)).host, 'trained-here');
  assert.equal((await backendToStart(run, true, { ...choice, remoteHost: 'gpu-box' })).host, 'trained-here', 'a resume goes back to its host');
  await assert.rejects(backendToStart(run, false, { ...choice, remoteHost: '-oProxyCommand=x' }));
});
