// Which engine owns a run folder (issue #25, finding 6): a second engine on a run that is
// still training is refused with what to do, by its engine.pid and by the engine's own
// engine.lock; an engine.pid whose process is gone, or whose pid now names another
// process, is not trusted and is removed (the CLI used to say "already training" forever).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { trainCommand } from '../../../src/cli/train';
import { RUN_FILES } from '../../../src/core/runs/runFolder';
import { liveEngine, lockHolder, processStart, startDetached } from '../../../src/engine/detached';
import { choosePython } from '../../../src/engine/locate';
import { followTraining, startTraining, TrainingBusyError } from '../../../src/engine/training';
import { captureOutput } from '../helpers/captureOutput';

const python = choosePython(process.env.VOICE_DRAFT_PYTHON).python;
let work: string;
const sleepers: ChildProcess[] = [];

before(async () => { work = await mkdtemp(join(tmpdir(), 'vd-owner-')); });
after(async () => {
  for (const p of sleepers) if (p.exitCode === null) p.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

/** A live process standing in for an engine that trains. */
async function sleeper(): Promise<number> {
  const p = spawn(python, ['-c', 'import time; time.sleep(120)'], { stdio: 'ignore' });
  sleepers.push(p);
  await new Promise((r) => p.once('spawn', r));
  return p.pid!;
}

async function runFolder(name: string, files: Record<string, unknown> = {}): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, 'dataset'), { recursive: true });
  for (const [file, value] of Object.entries(files)) await writeFile(join(dir, file), `${JSON.stringify(value)}\n`);
  return dir;
}

async function deadPid(): Promise<number> {
  const p = spawn(python, ['-c', 'pass'], { stdio: 'ignore' });
  await new Promise((r) => p.once('exit', r));
  return p.pid!;
}

test('processStart reads the same start time twice for one process, none for a gone one', async () => {
  const pid = await sleeper();
  const start = processStart(pid);
  assert.ok(start, 'a start time for a live process');
  assert.equal(processStart(pid), start);
  assert.equal(processStart(await deadPid()), undefined);
});

test('an engine.pid whose process is gone, or whose pid now belongs to another process, is removed', async () => {
  const gone = await runFolder('gone', { [RUN_FILES.pid]: { pid: await deadPid(), host: hostname(), command: python, args: [], startedAt: '' } });
  assert.equal(await liveEngine(gone), undefined);
  assert.ok(!existsSync(join(gone, RUN_FILES.pid)));

  // A live pid with another start time: the system gave the engine's pid to a new process.
  const reused = await runFolder('reused', { [RUN_FILES.pid]: { pid: await sleeper(), host: hostname(), command: python, args: [], startedAt: '', start: 'linux:an-earlier-boot:42' } });
  assert.equal(await liveEngine(reused), undefined);
  assert.ok(!existsSync(join(reused, RUN_FILES.pid)));
  // The same pid with its real start time is the engine.
  const pid = await sleeper();
  const live = await runFolder('live', { [RUN_FILES.pid]: { pid, host: hostname(), command: python, args: [], startedAt: '', start: processStart(pid) } });
  assert.equal((await liveEngine(live))?.pid, pid);
});

test('starting a run whose engine still holds its lock is refused with what to do; a stale lock is not', async () => {
  const pid = await sleeper();
  const run = await runFolder('locked', { [RUN_FILES.lock]: { pid, start: processStart(pid), host: hostname(), command: 'train', acquired_at: '2026-12-04T00:00:00Z' } });
  const otherRoot = join(work, 'no-runs-here'); // the run lies outside the runs folder: `train --resume <any folder>`
  await assert.rejects(startTraining(run, { python, runsRoot: otherRoot, resume: true }), (e: unknown) => {
    assert.ok(e instanceof TrainingBusyError);
    assert.match(e.message, new RegExp(`still training \\(engine pid ${pid}\\)`));
    assert.match(e.message, new RegExp(`kill -TERM ${pid}`));
    assert.match(e.message, /voice-draft train --resume /);
    return true;
  });
  assert.equal((await liveEngine(run))?.pid, pid, 'an engine another client started counts as live');

  const stale = await runFolder('stale-lock', { [RUN_FILES.lock]: { pid: await deadPid(), start: 'linux:x:1', host: hostname(), command: 'train', acquired_at: '' } });
  assert.equal(await lockHolder(stale), undefined);
  assert.equal(await liveEngine(stale), undefined);
});

test('voice-draft train --resume of a run that is training says so and starts nothing', async () => {
  const pid = await sleeper();
  const run = await runFolder('cli-live', { [RUN_FILES.pid]: { pid, host: hostname(), command: python, args: [], startedAt: '', start: processStart(pid) } });
  const saved = process.env.VOICE_DRAFT_PYTHON;
  process.env.VOICE_DRAFT_PYTHON = python;
  try {
    const { code, stderr } = await captureOutput(() => trainCommand(['--resume', run, '--runs', join(work, 'runs')]));
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`still training \\(engine pid ${pid}\\)`));
    assert.match(stderr, /Follow it in the dashboard/);
  } finally {
    if (saved === undefined) delete process.env.VOICE_DRAFT_PYTHON;
    else process.env.VOICE_DRAFT_PYTHON = saved;
  }
  assert.ok(!existsSync(join(run, RUN_FILES.log)), 'no second engine was started');
});

test('following an engine to its end removes its engine.pid', async () => {
  const run = await runFolder('ends');
  const engine = await startDetached({ command: python, args: ['-c', `import json,os; open(os.path.join(${JSON.stringify(run)}, "events.jsonl"), "a").write(json.dumps({"event": "train.cancelled", "step": 0}) + "\\n")`] }, run);
  assert.ok(existsSync(join(run, RUN_FILES.pid)));
  const result = await followTraining(run, engine.pid, () => undefined);
  assert.equal(result.terminal?.event, 'train.cancelled');
  assert.ok(!existsSync(join(run, RUN_FILES.pid)), 'a pid the system hands out again must not make the run look busy');
});
