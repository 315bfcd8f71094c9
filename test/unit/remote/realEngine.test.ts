// The real trainer (`python -m voice_draft_engine train`, tiny random Llama)
// over the loopback sshd: the extension's own engine package is copied to the
// "host", trains there detached, the ssh client is killed mid-run, we re-attach,
// and the finished run comes back whole. Skipped, with the reason, only where the
// engine's environment or the offline default model's tokenizer is not set up.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cacheRoot, choosePython, enginePackageDir, localEngine } from '../../../src/engine/locate';
import type { EngineEvent } from '../../../src/core/runs/protocol';
import { followRemote, remoteStatus } from '../../../src/engine/remote/remoteRun';
import { readRemoteState } from '../../../src/engine/remote/remoteState';
import type { RemoteTarget } from '../../../src/engine/remote/sshTarget';
import { followRemoteTraining, startRemote } from '../../../src/engine/remoteTraining';
import { killEngineGroup, startSshd } from './sshd';

const DEFAULT_MODEL = 'smollm2-135m-instruct';

/** Why the real engine cannot run here, or undefined when it can. */
function missing(python: string): string | undefined {
  if (!existsSync(python)) return `no engine interpreter at ${python} (run scripts/setup.sh)`;
  const inv = localEngine(python, ['train', '--help']);
  try {
    execFileSync(inv.command, inv.args, { env: inv.env, stdio: 'ignore', timeout: 60_000 });
  } catch {
    return 'the engine has no working `train` command here';
  }
  if (!existsSync(join(cacheRoot(), 'models', DEFAULT_MODEL))) return 'the offline default model (the tiny model borrows its tokenizer) is not built (run scripts/setup.sh)';
  return undefined;
}

const envPython = process.env.VOICE_DRAFT_PYTHON;
const python = envPython && existsSync(envPython) ? envPython : choosePython(undefined).python;
const skip = missing(python);

/** A small dataset in the contracts.md format: raw segments and T2 pairs, one document held out. */
async function writeRun(root: string): Promise<string> {
  const run = join(root, '20260101-000000-real tiny');
  await mkdir(join(run, 'dataset'), { recursive: true });
  const train: string[] = [];
  const val: string[] = [];
  for (let i = 0; i < 8; i++) {
    const text = Array.from({ length: 12 }, (_, j) => `Essay ${i}, sentence ${j}: I walk in the rain and write it down plainly.`).join(' ');
    const doc = `essays/e${i}.md`;
    const into = i === 7 ? val : train;
    into.push(JSON.stringify({ id: `${doc}#raw-0`, doc, tier: 'raw', text }));
    into.push(JSON.stringify({ id: `${doc}#T2-0`, doc, tier: 'T2', messages: [{ role: 'user', content: `Write an essay titled "Rain ${i}".` }, { role: 'assistant', content: text }] }));
  }
  await writeFile(join(run, 'dataset', 'train.jsonl'), `${train.join('\n')}\n`);
  await writeFile(join(run, 'dataset', 'val.jsonl'), `${val.join('\n')}\n`);
  await writeFile(join(run, 'config.json'), JSON.stringify({
    base_model: 'tiny:llama', max_steps: 6, eval_every: 2, micro_batch_size: 1, gradient_accumulation_steps: 1,
    max_seq_len: 128, canary_samples: 1, canary_max_new_tokens: 8, packing: false,
  }));
  return run;
}

test('the real engine trains on the host over ssh; a killed ssh client is re-attached and the run comes back whole', { skip, timeout: 600_000 }, async () => {
  const sshd = await startSshd();
  const work = await mkdtemp(join(tmpdir(), 'vd-real-remote-'));
  let remoteDir: string | undefined;
  try {
    // The "host" keeps its files in a temp folder; its cache borrows the built models (read-only use).
    const base = join(work, 'host home');
    const cache = join(base, 'cache');
    await mkdir(join(cache, 'models'), { recursive: true });
    for (const name of [DEFAULT_MODEL, 'tiny-llama']) {
      const built = join(cacheRoot(), 'models', name);
      if (existsSync(built)) await symlink(built, join(cache, 'models', name), 'dir');
    }
    const t: RemoteTarget = { ...sshd.target, baseDir: base, python, env: { VOICE_DRAFT_CACHE: cache, HF_HUB_OFFLINE: '1' } };
    const run = await writeRun(work);

    const started = await startRemote(run, t, { packageDir: enginePackageDir() });
    remoteDir = started.remoteDir;
    assert.ok(existsSync(join(base, 'engine')), 'the engine package was copied to the host');

    let sshPid: number | undefined;
    let dropped = false;
    const first = await followRemote(t, run, (e) => {
      if (e.event === 'train.progress' && sshPid && !dropped) {
        dropped = true;
        process.kill(sshPid, 'SIGKILL');
      }
    }, { reconnects: 0, onConnect: (pid) => { sshPid = pid; } });
    assert.equal(first.dropped, true);
    assert.equal((await remoteStatus(t, run)).alive, true, 'training went on without us');

    const events: EngineEvent[] = [];
    const result = await followRemoteTraining(run, t, (e) => events.push(e), { reconnects: 0 });
    assert.equal(result.terminal?.event, 'train.done', JSON.stringify(result.terminal));

    const local = await readFile(join(run, 'events.jsonl'), 'utf8');
    assert.equal(local, await readFile(join(remoteDir, 'events.jsonl'), 'utf8'), 'every event exactly once, in order');
    assert.equal((await readRemoteState(run))?.offset, Buffer.byteLength(local));
    const steps = local.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; step?: number })
      .filter((e) => e.event === 'train.progress').map((e) => e.step);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);

    for (const f of ['adapter_config.json', 'adapter_model.safetensors']) {
      assert.deepEqual(await readFile(join(run, 'adapter', f)), await readFile(join(remoteDir, 'adapter', f)), f);
    }
    assert.deepEqual(await readdir(join(run, 'checkpoints')), await readdir(join(remoteDir, 'checkpoints')));
    assert.ok(existsSync(join(run, 'canaries.json')));
    assert.equal((JSON.parse(await readFile(join(run, 'config.json'), 'utf8')) as { lora_r?: number }).lora_r, 64, 'the resolved config (the default rank written out) came back');
  } finally {
    if (remoteDir) killEngineGroup(join(remoteDir, 'engine.pid'));
    await sshd.stop();
    await rm(work, { recursive: true, force: true });
  }
});
