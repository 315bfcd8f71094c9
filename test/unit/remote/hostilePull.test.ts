// Pulls from a host that lies (issue #25, finding 1): whatever names it lists, whatever
// its tar stream or its folders hold, whatever paths its events carry, nothing is
// written outside the run folder, no link arrives in it, and the run folder itself is
// never moved. Both transports: rsync and the tar stream through the helper.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { choosePython } from '../../../src/engine/locate';
import type { EngineEvent } from '../../../src/core/runs/protocol';
import { pullResults } from '../../../src/engine/remote/remoteRun';
import { writeRemoteState } from '../../../src/engine/remote/remoteState';
import { followRemoteTraining } from '../../../src/engine/remoteTraining';
import { hostileHost, type HostileHost, type TarMember } from './hostileHost';

function pythonPath(): string {
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  const env = process.env.VOICE_DRAFT_PYTHON;
  const chosen = env && existsSync(env) ? env : choosePython(undefined).python;
  return execFileSync(chosen, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
}

const python = pythonPath();
let work: string;
let hostRoot: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vd-hostile-'));
  hostRoot = await mkdtemp(join(tmpdir(), 'vd-hostile-host-'));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(hostRoot, { recursive: true, force: true });
});

interface Setup {
  host: HostileHost;
  /** Four folders deep, each level with a `.bashrc` of its own, and a secret beside them. */
  top: string;
  run: string;
  hostRun: string;
  secret: string;
}

let counter = 0;

async function setup(rsync: boolean): Promise<Setup> {
  const top = join(work, `case-${++counter}`);
  let dir = top;
  for (const level of ['L4', 'L3', 'L2', 'L1']) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '.bashrc'), `the writer's own ${level} .bashrc\n`);
    dir = join(dir, level);
  }
  await mkdir(dir, { recursive: true });
  const secret = join(top, 'secret.txt');
  await writeFile(secret, 'private, never to be linked into a run\n');
  const run = join(dir, '20260101-000000-essays');
  await mkdir(join(run, 'dataset'), { recursive: true });
  await writeFile(join(run, 'dataset', 'train.jsonl'), '{"text":"my essay"}\n');
  await writeFile(join(run, 'config.json'), '{"base_model":"tiny:llama"}');

  const host = await hostileHost(hostRoot, python);
  const hostRun = join(host.home, '.voice-draft', 'remote-runs', '20260101-000000-essays');
  await mkdir(join(hostRun, 'adapter'), { recursive: true });
  await mkdir(join(hostRun, 'checkpoints', 'step-000002'), { recursive: true });
  await writeFile(join(hostRun, 'adapter', 'adapter_model.safetensors'), 'weights');
  await writeFile(join(hostRun, 'checkpoints', 'step-000002', 'state.json'), '{"step":2}');
  await writeFile(join(hostRun, 'canaries.json'), '{"format":1}');
  await writeRemoteState(run, { format: 1, host: host.target.host, remoteDir: hostRun, offset: 0, rsync });
  return { host, top, run, hostRun, secret };
}

/** Every file and link under `top` except the run folder, with its content or target. */
async function outside(s: Setup): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (p === s.run) continue;
      if (e.isDirectory()) await walk(p);
      else if (e.isSymbolicLink()) found.set(relative(s.top, p), 'link');
      else found.set(relative(s.top, p), await readFile(p, 'utf8'));
    }
  };
  await walk(s.top);
  return found;
}

/** Links anywhere in the run folder (none may arrive from the host). */
async function linksIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isSymbolicLink()) out.push(join(e.parentPath, e.name));
  }
  return out;
}

async function assertRunIntact(s: Setup): Promise<void> {
  assert.equal(await readFile(join(s.run, 'dataset', 'train.jsonl'), 'utf8'), '{"text":"my essay"}\n', 'the run folder is where it was, its dataset untouched');
  assert.ok(existsSync(join(s.run, 'remote.json')));
  assert.deepEqual(await linksIn(s.run), []);
  const leftovers = (await readdir(join(s.run, '..'))).filter((n) => n.includes('.old-'));
  assert.deepEqual(leftovers, [], 'the run folder was never moved aside');
}

for (const rsync of [false, true]) {
  const via = rsync ? 'rsync' : 'tar';

  test(`a hostile listing cannot name anything outside the run folder (${via})`, { timeout: 60_000 }, async () => {
    const s = await setup(rsync);
    const before = await outside(s);
    await s.host.scenario({
      list: {
        entries: [
          { name: 'z/../../../../.bashrc' }, { name: '../../../.bashrc' }, { name: '..' }, { name: s.secret },
          { name: 'adapter', dir: true }, { name: 'canaries.json' }, { name: 'dataset', dir: true }, { name: 'remote.json' },
        ],
        checkpoints: ['..', '../../..', 'step-000002/../../..', 'step-000002'],
      },
      // What a tar stream brings for the names that are not ours (the honest helper packs the rest).
      packUnsafe: [{ name: 'canaries.json', data: 'from the host' }],
    });
    const notes: string[] = [];
    const got = await pullResults(s.host.target, s.run, { onStderr: (l) => notes.push(l) });
    assert.deepEqual(got.sort(), ['adapter', 'canaries.json', 'checkpoints/step-000002']);
    assert.deepEqual(await outside(s), before, 'nothing outside the run folder changed');
    await assertRunIntact(s);
    assert.equal(await readFile(join(s.run, 'adapter', 'adapter_model.safetensors'), 'utf8'), 'weights');
    assert.ok(notes.some((l) => l.includes('z/../../../../.bashrc')), notes.join('\n'));
  });

  test(`a checkpoint event with a path that is not checkpoints/step-NNNNNN is never pulled (${via})`, { timeout: 60_000 }, async () => {
    const s = await setup(rsync);
    const before = await outside(s);
    const events = [
      { event: 'train.started', config: {}, dataset: { train_pairs: 1, val_pairs: 0 } },
      { event: 'train.checkpoint', step: 1, path: 'checkpoints/..' },
      { event: 'train.checkpoint', step: 1, path: 'checkpoints/../..' },
      { event: 'train.checkpoint', step: 1, path: s.top },
      { event: 'train.checkpoint', step: 2, path: 'checkpoints/step-000002' },
      { event: 'train.done', adapter: 'adapter', best_step: 2, best_val_loss: 1 },
    ];
    await writeFile(join(s.hostRun, 'events.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    await s.host.scenario({ packUnsafe: [{ name: 'canaries.json', data: 'from the host' }] });
    const seen: EngineEvent[] = [];
    const pullErrors: unknown[] = [];
    const notes: string[] = [];
    const result = await followRemoteTraining(s.run, s.host.target, (e) => seen.push(e), {
      reconnects: 0, onPullError: (e) => pullErrors.push(e), onStderr: (l) => notes.push(l),
    });
    assert.equal(result.terminal?.event, 'train.done');
    assert.equal(seen.length, events.length, 'every event is still delivered (and mirrored)');
    assert.deepEqual(pullErrors, []);
    assert.deepEqual(await outside(s), before, 'nothing outside the run folder changed');
    await assertRunIntact(s);
    assert.deepEqual(await readdir(join(s.run, 'checkpoints')), ['step-000002']);
    assert.ok(existsSync(join(s.run, 'adapter', 'adapter_model.safetensors')));
    assert.ok(notes.some((l) => l.includes('"checkpoints/.."')), notes.join('\n'));
    // Asked directly, the same paths are refused.
    await assert.rejects(pullResults(s.host.target, s.run, { only: ['checkpoints/..', '../x'] }), /Refused what hostile-host sent back: "checkpoints\/\.\."/);
    await assertRunIntact(s);
  });
}

test('links in the host\'s folders never arrive here (rsync)', { timeout: 60_000 }, async () => {
  const s = await setup(true);
  const before = await outside(s);
  // The host's adapter holds links: to an absolute path here, and up out of the run folder.
  await symlink(s.secret, join(s.hostRun, 'adapter', 'tokenizer.json'));
  await symlink('../../../../../../..', join(s.hostRun, 'adapter', 'up'));
  await symlink(join(s.top, 'L4'), join(s.hostRun, 'onnx'));
  const got = await pullResults(s.host.target, s.run);
  assert.ok(got.includes('adapter'), got.join(', '));
  assert.deepEqual(await readdir(join(s.run, 'adapter')), ['adapter_model.safetensors']);
  assert.ok(!existsSync(join(s.run, 'onnx')), 'a folder that is a link on the host is not taken');
  assert.deepEqual(await outside(s), before);
  await assertRunIntact(s);
});

test('a hostile tar stream: links, devices, absolute names and ".." are refused, nothing of it is used', { timeout: 120_000 }, async () => {
  const s = await setup(false);
  const before = await outside(s);
  const bad: TarMember[] = [
    { name: 'adapter/tokenizer.json', type: 'symlink', target: s.secret },
    { name: 'adapter/up', type: 'symlink', target: '../../../../..' },
    { name: 'adapter/hard', type: 'hardlink', target: s.secret },
    { name: 'adapter/hard2', type: 'hardlink', target: 'adapter/adapter_model.safetensors' },
    { name: 'adapter/dev', type: 'chardev' },
    { name: 'adapter/pipe', type: 'fifo' },
    { name: join(s.top, 'L4', '.bashrc'), data: 'pwned' },
    { name: 'adapter/../../../.bashrc', data: 'pwned' },
    { name: '../../.bashrc', data: 'pwned' },
    { name: 'eval.json', data: 'not asked for' },
  ];
  for (const member of bad) {
    await s.host.scenario({
      pack: [{ name: 'adapter', type: 'dir' }, { name: 'adapter/adapter_model.safetensors', data: 'weights' }, member],
    });
    await assert.rejects(pullResults(s.host.target, s.run, { only: ['adapter'] }), (e: Error) => {
      assert.match(e.message, /Refused what hostile-host sent back/);
      assert.ok(e.message.includes(JSON.stringify(member.name)), `${e.message} names ${member.name}`);
      return true;
    });
    assert.ok(!existsSync(join(s.run, 'adapter')), `nothing of the refused copy is used (${member.name})`);
    assert.ok(!existsSync(join(s.run, '.remote-pull')), 'the staging folder is gone');
    assert.deepEqual(await outside(s), before, member.name);
    await assertRunIntact(s);
  }
  // The same stream without the bad member is taken (a long name in a pax header too), files private to the writer.
  const long = `sub/${'x'.repeat(150)}.json`;
  await s.host.scenario({ pack: [{ name: 'adapter', type: 'dir' }, { name: 'adapter/adapter_model.safetensors', data: 'weights' }, { name: `adapter/${long}`, data: 'long' }] });
  assert.deepEqual(await pullResults(s.host.target, s.run, { only: ['adapter'] }), ['adapter']);
  assert.equal(await readFile(join(s.run, 'adapter', 'adapter_model.safetensors'), 'utf8'), 'weights');
  assert.equal(await readFile(join(s.run, 'adapter', ...long.split('/')), 'utf8'), 'long');
  assert.equal((await lstat(join(s.run, 'adapter', 'adapter_model.safetensors'))).mode & 0o077, 0);
});
