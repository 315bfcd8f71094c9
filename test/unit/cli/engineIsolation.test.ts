// The engine starts isolated from the folder it is started in and from the user's
// site-packages (issue #25, finding 3): a `json.py` or a `voice_draft_engine/` in the
// current folder (the CLI's, or the login folder on a remote host) never runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runEngineToCompletion } from '../../../src/engine/client';
import { choosePython, enginePackageDir, localEngine } from '../../../src/engine/locate';
import { agentCall } from '../../../src/engine/remote/exec';
import { remoteEngineInvocation } from '../../../src/engine/remote/remoteRun';
import { hostileHost } from '../remote/hostileHost';

const python = choosePython(process.env.VOICE_DRAFT_PYTHON).python;
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vd-isolation-'));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A folder whose modules would leave `marker` behind if Python ever imported them. */
async function plantTraps(dir: string, marker: string): Promise<void> {
  const trap = (name: string) => `import pathlib\npathlib.Path(${JSON.stringify(marker)}).write_text(${JSON.stringify(name)})\n`;
  await mkdir(join(dir, 'voice_draft_engine'), { recursive: true });
  await writeFile(join(dir, 'voice_draft_engine', '__init__.py'), trap('voice_draft_engine/__init__.py'));
  await writeFile(join(dir, 'voice_draft_engine', '__main__.py'), trap('voice_draft_engine/__main__.py'));
  for (const mod of ['json', 'runpy', 'argparse', 'logging', 'traceback', 'sitecustomize', 'usercustomize']) {
    await writeFile(join(dir, `${mod}.py`), `${trap(`${mod}.py`)}raise SystemExit(97)\n`);
  }
}

/** A user site-packages folder (PYTHONUSERBASE) with the same traps. */
async function userBase(root: string, marker: string): Promise<string> {
  const site = execFileSync(python, ['-c', 'import sys; print("lib/python%d.%d/site-packages" % sys.version_info[:2])'], { encoding: 'utf8' }).trim();
  await plantTraps(join(root, site), marker);
  return root;
}

test('a local engine started in a folder holding json.py and voice_draft_engine/ runs the real engine', { timeout: 120_000 }, async () => {
  const cwd = join(work, 'hostile cwd');
  await mkdir(cwd);
  const marker = join(work, 'local-marker');
  await plantTraps(cwd, marker);
  const base = await userBase(join(work, 'userbase'), marker);
  const inv = { ...localEngine(python, ['doctor'], { ...process.env, PYTHONUSERBASE: base }), cwd };
  const { terminal } = await runEngineToCompletion(inv, { killGraceMs: 1000 });
  assert.equal(terminal.event, 'engine.ready');
  assert.ok(!existsSync(marker), `imported from the current folder or user site-packages: ${existsSync(marker) ? execFileSync('cat', [marker], { encoding: 'utf8' }) : ''}`);
});

test('on a host, neither the engine nor the helper imports from the login folder', { timeout: 120_000 }, async () => {
  const host = await hostileHost(work, python);
  const marker = join(work, 'remote-marker');
  await plantTraps(host.home, marker); // the stand-in ssh runs every command in the host's home
  const t = { ...host.target, helperPython: python };
  const probe = await agentCall<{ base: string }>(t, ['probe', join(host.home, '.voice-draft')]);
  assert.equal(probe.base, join(host.home, '.voice-draft'));
  assert.ok(!existsSync(marker), 'the helper ran a module from the login folder');
  const { terminal } = await runEngineToCompletion(remoteEngineInvocation(t, python, enginePackageDir(), ['doctor']), { killGraceMs: 1000 });
  assert.equal(terminal.event, 'engine.ready');
  assert.ok(!existsSync(marker), `the engine ran a module from the login folder: ${existsSync(marker) ? execFileSync('cat', [marker], { encoding: 'utf8' }) : ''}`);
});
