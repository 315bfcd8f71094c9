// A writer trains a voice from the palette: the data summary asks before anything
// trains, the progress notification and the status bar follow the engine, and the
// run ends with the new voice active. The tiny test model keeps it to a minute or two.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../harness.mjs';
import { poll } from '../workbench.mjs';
import { userSettings } from '../writingModel.mjs';

const corpus = join(repoRoot, '..', 'shared', 'corpora', 'bierce-notes');
// Without the shared corpora (a clone on its own), the demo's sample workspace: notes from
// Debian's dict-devil, which set-up installs, written by the CLI the build made.
const dictDevil = '/usr/share/dictd/devil.index';
const cli = join(repoRoot, 'dist', 'cli.js');

function enginePython() {
  const cache = process.env.VOICE_DRAFT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '', '.cache'), 'voice-draft');
  return process.env.VOICE_DRAFT_PYTHON ?? join(cache, 'engine', 'venv', 'bin', 'python');
}

export default {
  name: 'Train Voice Adapter from the palette ends with the voice active',
  // Data, a real (tiny) training run and its ONNX export: minutes, not seconds.
  timeoutMs: 900_000,
  skip() {
    if (!existsSync(corpus) && !existsSync(dictDevil)) return `no sample corpus at ${corpus} and no ${dictDevil} (run npm run setup)`;
    if (!existsSync(enginePython())) return `no engine environment at ${enginePython()} (run npm run setup)`;
    return undefined;
  },
  async prepare({ workspace }) {
    // The essays: a copy of some Bierce notes beside the fixture's own (enough for a
    // dataset, few enough that the tiny model trains in a minute on a busy CPU).
    if (existsSync(corpus)) {
      mkdirSync(join(workspace, 'bierce-notes'), { recursive: true });
      for (const name of readdirSync(join(corpus, 'notes')).sort().slice(0, 20)) {
        cpSync(join(corpus, 'notes', name), join(workspace, 'bierce-notes', name));
      }
    } else {
      execFileSync(process.execPath, [cli, 'sample-workspace', join(workspace, 'bierce-notes'), '--notes', '20'], { stdio: 'inherit' });
    }
    // code-server reads machine-scoped settings only from <user-data>/Machine/settings.json.
    const machine = join(dirname(workspace), 'user-data', 'Machine');
    mkdirSync(machine, { recursive: true });
    writeFileSync(join(machine, 'settings.json'), JSON.stringify({ 'voiceDraft.engine.pythonPath': enginePython() }, null, 2));
    await userSettings(workspace, { 'voiceDraft.baseModel': 'tiny:llama', 'voiceDraft.training.epochs': 1 });
  },
  async run({ wb, page, workspace }) {
    const runs = join(dirname(workspace), 'home', '.voice-draft', 'runs');
    // A retry must not find the first attempt's engine still training (the command would
    // rightly refuse a second training instead of asking about the data).
    stopEnginesFrom(runs);
    try {
      await trainFromPalette({ wb, page, runs });
    } catch (e) {
      // The engine's own account of the run is what tells a slow machine from a broken run.
      if (e instanceof Error) e.message += `\n${engineTail(runs)}`;
      throw e;
    }
  },
};

async function trainFromPalette({ wb, page, runs }) {
  await wb.openFile('on-walking-to-work.md');
  await wb.waitForStatusBar(/^Voice/);

  await wb.runCommand('Voice Draft: Train Voice Adapter');
  // The data summary is a modal: nothing trains until the writer says so.
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 120_000 });
  const summary = await dialog.innerText();
  assert.match(summary, /Train a voice on \d+ essays/);
  assert.match(summary, /T3 opening → continuation/);
  await wb.screenshot('train-data-summary');
  await dialog.getByRole('button', { name: 'Train', exact: true }).click();

  // Progress: the status bar counts up while the engine trains.
  await wb.waitForStatusBar(/Voice: training \d+%/, { timeoutMs: 180_000 });
  // The settings reached the run (else this would train the 135M default for many minutes).
  const config = JSON.parse(readFileSync(join(runFolders(runs)[0], 'config.json'), 'utf8'));
  assert.equal(config.base_model, 'tiny:llama', 'the run uses the base model from the settings');
  assert.equal(config.epochs, 1, 'the run uses the epochs from the settings');
  await wb.waitForNotification(/training your voice/i, { timeoutMs: 60_000 }).catch(() => undefined);
  await wb.screenshot('train-progress');

  // Done, exported, active.
  await wb.waitForStatusBar(/Voice "[^"]+" active/, { timeoutMs: 600_000 });
  await wb.waitForNotification(/is ready and active/, { timeoutMs: 60_000 });
  await wb.screenshot('train-voice-active');

  const [run] = runFolders(runs);
  assert.ok(run, `a run folder in ${runs}`);
  const events = readFileSync(join(run, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(events.at(-1)?.event === 'train.done' || events.some((e) => e.event === 'train.done'), true, 'the engine finished');
  assert.ok(existsSync(join(run, 'adapter', 'adapter_config.json')), 'the adapter was written');
  assert.ok(existsSync(join(run, 'onnx', 'config.json')), 'the voice was exported for writing');
  await poll(async () => (await wb.notifications()).every((n) => !/failed/i.test(n)) || undefined, { what: 'no failure notification' });
}

/** Run folders of this sandbox, newest first. */
function runFolders(runs) {
  return existsSync(runs) ? readdirSync(runs).filter((n) => n.endsWith('-workspace')).sort().reverse().map((n) => join(runs, n)) : [];
}

function stopEnginesFrom(runs) {
  for (const dir of runFolders(runs)) {
    try {
      const { pid } = JSON.parse(readFileSync(join(dir, 'engine.pid'), 'utf8'));
      process.kill(pid, 'SIGKILL');
    } catch { /* no engine, or already gone */ }
  }
}

/** The last events and log lines of the newest run, for a failure message. */
function engineTail(runs) {
  const [dir] = runFolders(runs);
  if (!dir) return `no run folder in ${runs}`;
  const tail = (file, n) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').trim().split('\n').slice(-n).join('\n') : `(no ${file})`);
  return `${dir}\nevents.jsonl (last 8):\n${tail('events.jsonl', 8)}\nengine.log (last 15):\n${tail('engine.log', 15)}`;
}
