// The remote-host transport against a real sshd on 127.0.0.1 and a real
// (stand-in) engine process: push, detached start, live events, pulls, cancel,
// resume, a killed ssh client and a re-attach, nasty paths, both transports.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { choosePython } from '../../../src/engine/locate';
import type { EngineEvent } from '../../../src/core/runs/protocol';
import { agentCall } from '../../../src/engine/remote/exec';
import { cancelRemote, connect, deleteRemoteCopy, engineChecks, ensureRemoteEngine, followRemote, pullResults, pushRun, remoteStatus, startRemoteTraining } from '../../../src/engine/remote/remoteRun';
import { readRemoteState, writeRemoteState } from '../../../src/engine/remote/remoteState';
import type { RemoteTarget } from '../../../src/engine/remote/sshTarget';
import { cleanUpRemoteCopy, exportRemoteVoice, followRemoteTraining, startRemote } from '../../../src/engine/remoteTraining';
import { writeFakeEngine, writeRunFolder } from './fakeEngine';
import { killEngineGroup, startSshd, type TestSshd } from './sshd';

/**
 * An absolute interpreter for the stand-in engine and the helper (stdlib only):
 * the system's when there is one (it starts in a tenth of the time a pyenv shim
 * does, and every ssh call starts one), else the engine's.
 */
function pythonPath(): string {
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  const env = process.env.VOICE_DRAFT_PYTHON;
  const chosen = env && existsSync(env) ? env : choosePython(undefined).python;
  return execFileSync(chosen, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
}

let sshd: TestSshd;
let work: string;
let enginePkg: string;
const python = pythonPath();
const remoteDirs: string[] = [];

before(async () => {
  sshd = await startSshd();
  work = await mkdtemp(join(tmpdir(), 'vd-remote-'));
  enginePkg = await writeFakeEngine();
});

after(async () => {
  for (const dir of remoteDirs) killEngineGroup(join(dir, 'engine.pid'));
  await sshd?.stop();
  await rm(work, { recursive: true, force: true });
  await rm(enginePkg, { recursive: true, force: true });
});

/** A target whose "home" on the host is a temp folder (the name is hostile on purpose where asked). */
async function target(baseName = 'remote home'): Promise<RemoteTarget> {
  const base = join(await mkdtemp(join(work, 'host-')), baseName);
  return { ...sshd.target, baseDir: base, python, helperPython: python, env: { VOICE_DRAFT_CACHE: join(base, 'cache') } };
}

async function startFake(t: RemoteTarget, runDir: string, opts: { resume?: boolean; rsync?: boolean } = {}) {
  const host = await connect(t, undefined, await engineChecks(enginePkg));
  if (opts.rsync === false) host.rsync = false; // a host without rsync: the tar fallback
  const engine = await ensureRemoteEngine(host, { packageDir: enginePkg });
  const state = await pushRun(host, runDir, { resume: opts.resume });
  remoteDirs.push(state.remoteDir);
  const pid = await startRemoteTraining(t, runDir, engine, { resume: opts.resume });
  return { host, engine, state, pid };
}

/** Entries under `dir` (and `dir` itself) that someone other than their owner may read, write or enter. */
async function notPrivate(dir: string): Promise<string[]> {
  const loose: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const s = await lstat(path);
    if (s.isSymbolicLink()) return;
    if (s.mode & 0o077) loose.push(`${path} ${(s.mode & 0o777).toString(8)}`);
    if (s.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(dir);
  return loose;
}

/** What a writer's umask (022) leaves: the run folder readable by all, as before issue #25. */
async function makeWorldReadable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const name of await readdir(dir, { recursive: true })) {
    const path = join(dir, name);
    await chmod(path, (await lstat(path)).isDirectory() ? 0o755 : 0o644);
  }
}

function lines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Every progress step exactly once, in order, from 1 to n. */
function assertStepsOnce(events: Array<Record<string, unknown>>, n: number): void {
  const steps = events.filter((e) => e.event === 'train.progress').map((e) => e.step);
  assert.deepEqual(steps, Array.from({ length: n }, (_, i) => i + 1));
}

test('push, start detached, live events, pull results (rsync)', { timeout: 120_000 }, async () => {
  const t = await target();
  const run = await writeRunFolder(work, '20260101-000000-live', { fake_steps: 40, fake_step_s: 0.15, fake_checkpoint_every: 10 });
  await makeWorldReadable(run);
  const { state } = await startFake(t, run);
  assert.ok(state.rsync, 'both sides have rsync here');
  // The copy of the essays on the host is private (issue #25): rsync does not carry the 0644/0755 here.
  assert.deepEqual(await notPrivate(state.remoteDir), []);
  assert.equal((await lstat(join(state.remoteDir, '..'))).mode & 0o777, 0o700, 'remote-runs/ on the host');
  const seen: EngineEvent[] = [];
  const arrived = new Map<string, number>();
  const result = await followRemoteTraining(run, t, (e) => {
    seen.push(e);
    arrived.set(e.event === 'train.progress' ? `step ${e.step}` : e.event, Date.now());
  }, { reconnects: 0 });
  assert.equal(result.terminal?.event, 'train.done');
  assert.equal(result.dropped, false);
  // Live, not replayed at the end: events kept arriving over seconds, in many batches.
  assert.ok(arrived.get('train.done')! - arrived.get('train.started')! > 1500, JSON.stringify([...arrived]));
  assert.ok(new Set(arrived.values()).size > 5, JSON.stringify([...arrived]));
  assert.equal(seen[0]?.event, 'train.started');

  const local = await readFile(join(run, 'events.jsonl'), 'utf8');
  const remote = await readFile(join(state.remoteDir, 'events.jsonl'), 'utf8');
  assert.equal(local, remote, 'the local events.jsonl mirrors the host byte for byte');
  assertStepsOnce(lines(local), 40);
  assert.equal((await readRemoteState(run))?.offset, Buffer.byteLength(local));

  assert.deepEqual(await readdir(join(run, 'checkpoints')), ['step-000010', 'step-000020', 'step-000030', 'step-000040']);
  assert.deepEqual(await readFile(join(run, 'adapter', 'adapter_model.safetensors')), await readFile(join(state.remoteDir, 'adapter', 'adapter_model.safetensors')));
  assert.ok(existsSync(join(run, 'canaries.json')));
  assert.equal((JSON.parse(await readFile(join(run, 'config.json'), 'utf8')) as { resolved?: boolean }).resolved, true, 'the resolved config comes back');
  assert.match(await readFile(join(run, 'engine.log'), 'utf8'), /fake engine pid/);
  assert.ok(!existsSync(join(run, '.remote-pull')), 'no staging folder left behind');
  assert.equal((await remoteStatus(t, run)).alive, false);
  // What the engine wrote there and what came back here: private too.
  assert.deepEqual(await notPrivate(state.remoteDir), []);
  assert.deepEqual((await notPrivate(run)).filter((p) => !p.startsWith(join(run, 'dataset')) && !p.startsWith(`${run} `)), []);
});

test('cancel across the link: train.cancelled, its checkpoint pulled, then resume to the end', { timeout: 150_000 }, async () => {
  const t = await target();
  const run = await writeRunFolder(work, '20260101-000000-cancel', { fake_steps: 200, fake_step_s: 0.1, fake_checkpoint_every: 1000 });
  await startFake(t, run);
  let cancelling: Promise<boolean> | undefined;
  const result = await followRemoteTraining(run, t, (e) => {
    if (e.event === 'train.progress' && e.step === 4 && !cancelling) cancelling = cancelRemote(t, run);
  }, { reconnects: 0 });
  assert.equal(await cancelling, true);
  assert.equal(result.terminal?.event, 'train.cancelled');
  const cancelled = result.terminal as Extract<EngineEvent, { event: 'train.cancelled' }>;
  assert.ok(cancelled.checkpoint, 'the engine named its checkpoint');
  assert.ok(existsSync(join(run, cancelled.checkpoint!, 'state.json')), 'the cancel checkpoint came back');
  assert.ok((cancelled.step ?? 0) < 200);

  // Resume from the checkpoint on the host, shorter this time.
  const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(run, 'config.json'), JSON.stringify({ ...config, fake_steps: (cancelled.step ?? 0) + 5, fake_step_s: 0.05 }));
  await startRemote(run, t, { resume: true, packageDir: enginePkg });
  const resumed = await followRemoteTraining(run, t, () => undefined, { reconnects: 0 });
  assert.equal(resumed.terminal?.event, 'train.done');
  const all = lines(await readFile(join(run, 'events.jsonl'), 'utf8'));
  assert.deepEqual(all.filter((e) => e.event === 'train.started').map((e) => e.resumed_from), [0, cancelled.step]);
  assertStepsOnce(all, (cancelled.step ?? 0) + 5);
  assert.ok(existsSync(join(run, 'adapter', 'adapter_config.json')));
});

test('resume on a fresh machine: the checkpoints and events copied back here are sent, and the mirror holds', { timeout: 150_000 }, async () => {
  const first = await target();
  const run = await writeRunFolder(work, '20260101-000000-move', { fake_steps: 200, fake_step_s: 0.1, fake_checkpoint_every: 1000 });
  await startFake(first, run);
  const firstRun = (await readRemoteState(run))!.remoteDir;
  let cancelling: Promise<boolean> | undefined;
  const cancelled = await followRemoteTraining(run, first, (e) => {
    if (e.event === 'train.progress' && e.step === 3 && !cancelling) cancelling = cancelRemote(first, run);
  }, { reconnects: 0 });
  assert.equal(cancelled.terminal?.event, 'train.cancelled');
  await cancelling;
  const step = (cancelled.terminal as { step?: number }).step ?? 0;
  const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(run, 'config.json'), JSON.stringify({ ...config, fake_steps: step + 3, fake_step_s: 0.05 }));

  // Another machine (same alias, empty base folder): nothing of this run is there.
  const second = await target();
  await startRemote(run, second, { resume: true, packageDir: enginePkg });
  const secondRun = (await readRemoteState(run))!.remoteDir;
  remoteDirs.push(secondRun);
  assert.notEqual(secondRun, firstRun);
  const done = await followRemoteTraining(run, second, () => undefined, { reconnects: 0 });
  assert.equal(done.terminal?.event, 'train.done');
  const local = await readFile(join(run, 'events.jsonl'), 'utf8');
  assert.equal(local, await readFile(join(secondRun, 'events.jsonl'), 'utf8'));
  assertStepsOnce(lines(local), step + 3);
  assert.deepEqual(lines(local).filter((e) => e.event === 'train.started').map((e) => e.resumed_from), [0, step]);
});

test('a killed ssh client leaves the engine running; re-attach gets every event exactly once', { timeout: 150_000 }, async () => {
  const t = await target();
  const run = await writeRunFolder(work, '20260101-000000-drop', { fake_steps: 40, fake_step_s: 0.15, fake_checkpoint_every: 10 });
  const { state } = await startFake(t, run);
  let sshPid: number | undefined;
  let killedAt: number | undefined;
  const first = await followRemote(t, run, (e) => {
    if (e.event === 'train.progress' && e.step === 6 && sshPid && killedAt === undefined) {
      killedAt = e.step;
      process.kill(sshPid, 'SIGKILL'); // the link drops: our side of it dies mid-stream
    }
  }, { reconnects: 0, onConnect: (pid) => { sshPid = pid; } });
  assert.equal(first.dropped, true);
  assert.equal(first.terminal, undefined);

  const status = await remoteStatus(t, run);
  assert.equal(status.alive, true, 'the engine on the host outlived the connection');
  assert.equal(status.terminal, null);
  await new Promise((r) => setTimeout(r, 1000)); // it keeps writing while nobody listens

  const second = await followRemoteTraining(run, t, () => undefined, { reconnects: 0 });
  assert.equal(second.terminal?.event, 'train.done');
  const local = await readFile(join(run, 'events.jsonl'), 'utf8');
  assert.equal(local, await readFile(join(state.remoteDir, 'events.jsonl'), 'utf8'));
  assertStepsOnce(lines(local), 40);
  assert.equal(lines(local).filter((e) => e.event === 'train.started').length, 1);
  assert.deepEqual(await readdir(join(run, 'checkpoints')), ['step-000010', 'step-000020', 'step-000030', 'step-000040']);
});

test('a follow cut between appending and recording the offset repeats nothing', { timeout: 90_000 }, async () => {
  const t = await target();
  const run = await writeRunFolder(work, '20260101-000000-torn', { fake_steps: 6, fake_step_s: 0.05, fake_checkpoint_every: 100 });
  await startFake(t, run);
  await followRemote(t, run, () => undefined, { reconnects: 0 });
  const full = await readFile(join(run, 'events.jsonl'), 'utf8');
  // As if we died after appending a line but before remote.json said so: the offset lags the file.
  const state = (await readRemoteState(run))!;
  const firstLine = full.indexOf('\n') + 1;
  await writeFile(join(run, 'remote.json'), JSON.stringify({ ...state, offset: firstLine }));
  const again: EngineEvent[] = [];
  await followRemote(t, run, (e) => again.push(e), { reconnects: 0 });
  assert.equal(await readFile(join(run, 'events.jsonl'), 'utf8'), full);
  assert.equal(again[0]?.event, 'train.progress', 'only the events after the recorded offset are delivered again');
});

test('paths with spaces, quotes and $(...) on both sides, through the tar fallback too', { timeout: 150_000 }, async () => {
  const hostile = `it's a "dir" $(touch PWNED) \`touch PWNED2\` ; & | *`;
  for (const rsync of [true, false]) {
    const t = await target(hostile);
    const localRoot = join(await mkdtemp(join(work, 'local-')), `my essays's $(touch PWNED3) runs`);
    const run = await writeRunFolder(localRoot, `20260101-000000-nasty-${rsync ? 'rsync' : 'tar'}`, { fake_steps: 6, fake_step_s: 0.05, fake_checkpoint_every: 3 });
    await makeWorldReadable(run);
    const { state } = await startFake(t, run, { rsync });
    assert.deepEqual(await notPrivate(state.remoteDir), [], `the copy on the host (${rsync ? 'rsync' : 'tar'})`);
    assert.equal(state.rsync, rsync);
    assert.ok(state.remoteDir.includes(hostile), state.remoteDir);
    const result = await followRemoteTraining(run, t, () => undefined, { reconnects: 0 });
    assert.equal(result.terminal?.event, 'train.done');
    assert.deepEqual(await readdir(join(run, 'checkpoints')), ['step-000003', 'step-000006']);
    assert.ok(existsSync(join(run, 'adapter', 'adapter_config.json')));
    assert.equal(await readFile(join(run, 'events.jsonl'), 'utf8'), await readFile(join(state.remoteDir, 'events.jsonl'), 'utf8'));
    for (const pulled of ['checkpoints', 'adapter', 'canaries.json', 'engine.log']) {
      assert.deepEqual(await notPrivate(join(run, pulled)), [], `${pulled} pulled with ${rsync ? 'rsync' : 'tar'}`);
    }
    // Nothing in a path was ever run as a command, on either side.
    const homeDir = join(state.remoteDir, '..', '..', '..');
    for (const where of [homeDir, run, localRoot, process.cwd()]) {
      for (const f of ['PWNED', 'PWNED2', 'PWNED3']) assert.ok(!existsSync(join(where, f)), `${f} in ${where}`);
    }
  }
});

test('a crashed engine ends the follow without a terminal event, and its log comes back', { timeout: 90_000 }, async () => {
  const t = await target();
  const run = await writeRunFolder(work, '20260101-000000-crash', { fake_steps: 50, fake_step_s: 0.05, fake_crash_at: 4 });
  await startFake(t, run);
  const result = await followRemoteTraining(run, t, () => undefined, { reconnects: 0 });
  assert.equal(result.terminal, undefined);
  assert.equal(result.dropped, false);
  assert.match(await readFile(join(run, 'engine.log'), 'utf8'), /fake crash at step 4/);
});

test('starting a run that is still training on the host is refused', { timeout: 90_000 }, async () => {
  const t = await target();
  const run = await writeRunFolder(work, '20260101-000000-twice', { fake_steps: 100, fake_step_s: 0.1 });
  const { engine } = await startFake(t, run);
  await assert.rejects(startRemoteTraining(t, run, engine), /already training/);
  await assert.rejects(startRemote(run, t, { resume: true, packageDir: enginePkg }), /still training/);
  assert.equal(await cancelRemote(t, run), true);
  const result = await followRemote(t, run, () => undefined, { reconnects: 0 });
  assert.equal(result.terminal?.event, 'train.cancelled');
});

test('no usable Python on the host: the engine venv is set up there, then used', { timeout: 120_000 }, async () => {
  const base = await target();
  // No explicit engine interpreter, and the stand-in's doctor fails outside a venv (like a Python without torch).
  const t: RemoteTarget = { ...base, python: undefined, env: { ...base.env, FAKE_REQUIRE_VENV: '1' } };
  const host = await connect(t);
  const events: EngineEvent[] = [];
  const engine = await ensureRemoteEngine(host, { packageDir: enginePkg, onEvent: (e) => events.push(e) });
  assert.equal(engine.python, `${host.base}/engine/venv/bin/python`);
  assert.ok(events.some((e) => e.event === 'setup.done'));
  // Second time: the venv is found, no set-up.
  const again: EngineEvent[] = [];
  const engine2 = await ensureRemoteEngine(host, { packageDir: enginePkg, onEvent: (e) => again.push(e) });
  assert.equal(engine2.python, engine.python);
  assert.ok(!again.some((e) => e.event === 'setup.done'));
});

test('the offline default model goes to a host that has neither it nor the wheel to build it, once', { timeout: 120_000 }, async () => {
  const t = await target();
  const models = await mkdtemp(join(work, 'models-'));
  const local = join(models, 'smollm2-135m-instruct');
  await mkdir(local);
  await writeFile(join(local, 'model.safetensors'), Buffer.alloc(64 * 1024, 7));
  await writeFile(join(local, 'voice-draft-source.json'), '{"format":1}');
  const run = await writeRunFolder(work, '20260101-000000-default-model', { base_model: 'offline:smollm2-135m-instruct', fake_steps: 2, fake_step_s: 0.05 });
  const stages: string[] = [];
  const started = await startRemote(run, t, { packageDir: enginePkg, localModelsDir: models, onStage: (m) => stages.push(m) });
  remoteDirs.push(started.remoteDir);
  const onHost = join(t.env!.VOICE_DRAFT_CACHE!, 'models', 'smollm2-135m-instruct');
  assert.deepEqual(await readFile(join(onHost, 'model.safetensors')), await readFile(join(local, 'model.safetensors')));
  assert.ok(existsSync(join(onHost, 'voice-draft-source.json')));
  assert.ok(stages.some((s) => /base model/.test(s)), stages.join(' | '));
  assert.equal((await followRemoteTraining(run, t, () => undefined, { reconnects: 0 })).terminal?.event, 'train.done');

  // A second run finds it there: nothing is copied again.
  const run2 = await writeRunFolder(work, '20260101-000000-default-model-2', { base_model: 'offline:smollm2-135m-instruct', fake_steps: 2, fake_step_s: 0.05 });
  const stages2: string[] = [];
  const again = await startRemote(run2, t, { packageDir: enginePkg, localModelsDir: models, onStage: (m) => stages2.push(m) });
  remoteDirs.push(again.remoteDir);
  assert.ok(!stages2.some((s) => /base model/.test(s)), stages2.join(' | '));
  await followRemoteTraining(run2, t, () => undefined, { reconnects: 0 });
});

test('pullResults after an export brings onnx/ back and replaces an older copy whole', { timeout: 90_000 }, async () => {
  const t = await target();
  const run = await writeRunFolder(work, '20260101-000000-export', { fake_steps: 3, fake_step_s: 0.05 });
  const { state } = await startFake(t, run);
  await followRemoteTraining(run, t, () => undefined, { reconnects: 0 });
  const done = await exportRemoteVoice(run, t);
  assert.equal(done.event, 'export.done');
  assert.deepEqual(await readFile(join(run, 'onnx', 'onnx', 'model.onnx')), await readFile(join(state.remoteDir, 'onnx', 'onnx', 'model.onnx')));
  // The adapter on the host changes (a resumed run): the local folder is replaced, never merged.
  await writeFile(join(state.remoteDir, 'adapter', 'adapter_model.safetensors'), 'new weights');
  await rm(join(state.remoteDir, 'adapter', 'adapter_config.json'));
  await pullResults(t, run);
  assert.equal(await readFile(join(run, 'adapter', 'adapter_model.safetensors'), 'utf8'), 'new weights');
  assert.ok(!existsSync(join(run, 'adapter', 'adapter_config.json')));
});

test('the copy on the host is deleted once everything is here (kept when asked), never while it trains; a resume sends it again', { timeout: 150_000 }, async () => {
  // The default a writer gets: nothing of theirs stays on the host (package.json, machine-scoped).
  const settings = (JSON.parse(await readFile(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default: unknown; scope?: string }> } };
  }).contributes.configuration.properties['voiceDraft.engine.keepRemoteCopy'];
  assert.deepEqual([settings?.default, settings?.scope], [false, 'machine']);

  const t = await target();
  const run = await writeRunFolder(work, '20260101-000000-forget', { fake_steps: 200, fake_step_s: 0.1, fake_checkpoint_every: 1000 });
  const { state } = await startFake(t, run);
  await assert.rejects(deleteRemoteCopy(t, run), /still training/);
  assert.ok(existsSync(join(state.remoteDir, 'dataset', 'train.jsonl')), 'nothing deleted while it trains');
  let cancelling: Promise<boolean> | undefined;
  const cancelled = await followRemoteTraining(run, t, (e) => {
    if (e.event === 'train.progress' && e.step === 3 && !cancelling) cancelling = cancelRemote(t, run);
  }, { reconnects: 0 });
  await cancelling;
  assert.equal(cancelled.terminal?.event, 'train.cancelled');
  assert.equal(cancelled.pulled, true, 'the last pull brought everything back');

  assert.equal(await cleanUpRemoteCopy(run, t, true), undefined, 'kept when the writer asks');
  assert.ok(existsSync(state.remoteDir));
  assert.equal(await cleanUpRemoteCopy(run, t, false), state.remoteDir);
  assert.ok(!existsSync(state.remoteDir), 'the essays, checkpoints and results are gone from the host');
  const step = (cancelled.terminal as { step?: number }).step ?? 0;
  assert.ok(existsSync(join(run, 'checkpoints', `step-${String(step).padStart(6, '0')}`, 'state.json')), 'the checkpoint is here');
  assert.ok((await readRemoteState(run))?.deletedAt);
  assert.deepEqual((await deleteRemoteCopy(t, run)).pulled, [], 'deleting again is harmless');

  // Resume on the same host: what it needs is sent again, and the run ends where it would have.
  const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(run, 'config.json'), JSON.stringify({ ...config, fake_steps: step + 3, fake_step_s: 0.05 }));
  await startRemote(run, t, { resume: true, packageDir: enginePkg });
  assert.equal((await readRemoteState(run))?.deletedAt, undefined);
  const done = await followRemoteTraining(run, t, () => undefined, { reconnects: 0 });
  assert.equal(done.terminal?.event, 'train.done');
  assertStepsOnce(lines(await readFile(join(run, 'events.jsonl'), 'utf8')), step + 3);
});

test('a hostile or edited remote.json cannot make the delete remove anything but a run copy', { timeout: 90_000 }, async () => {
  const t = await target();
  const run = await writeRunFolder(work, '20260101-000000-not-a-run', { fake_steps: 2, fake_step_s: 0.05 });
  const { state } = await startFake(t, run);
  await followRemoteTraining(run, t, () => undefined, { reconnects: 0 });
  const precious = join(state.remoteDir, '..', '..', 'engine');
  assert.ok(existsSync(precious));
  await writeRemoteState(run, { ...state, remoteDir: precious });
  await assert.rejects(deleteRemoteCopy(t, run), /Refused to delete/);
  assert.ok(existsSync(precious));
  assert.deepEqual(await agentCall(t, ['remove', join(work, 'anything')]), { ok: false, reason: 'not a remote run folder' });
});
