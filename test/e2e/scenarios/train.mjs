// A writer trains a voice from the palette: the data summary asks before anything
// trains, the progress notification and the status bar follow the engine, and the
// run ends with the new voice active. The tiny test model keeps it to a minute or two.
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../harness.mjs';
import { poll } from '../workbench.mjs';
import { userSettings } from '../writingModel.mjs';

const corpus = join(repoRoot, '..', 'shared', 'corpora', 'bierce-notes');

function enginePython() {
  const cache = process.env.VOICE_DRAFT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '', '.cache'), 'voice-draft');
  return process.env.VOICE_DRAFT_PYTHON ?? join(cache, 'engine', 'venv', 'bin', 'python');
}

export default {
  name: 'Train Voice Adapter from the palette ends with the voice active',
  // Data, a real (tiny) training run and its ONNX export: minutes, not seconds.
  timeoutMs: 900_000,
  skip() {
    if (!existsSync(corpus)) return `no sample corpus at ${corpus}`;
    if (!existsSync(enginePython())) return `no engine environment at ${enginePython()} (run npm run setup)`;
    return undefined;
  },
  async run({ wb, page, workspace }) {
    // The essays: a copy of some Bierce notes beside the fixture's own (enough for a
    // dataset, few enough that the tiny model trains in a minute on a busy CPU).
    mkdirSync(join(workspace, 'bierce-notes'), { recursive: true });
    for (const name of readdirSync(join(corpus, 'notes')).sort().slice(0, 20)) {
      cpSync(join(corpus, 'notes', name), join(workspace, 'bierce-notes', name));
    }
    // code-server reads machine-scoped settings only from <user-data>/Machine/settings.json.
    const machine = join(dirname(workspace), 'user-data', 'Machine');
    mkdirSync(machine, { recursive: true });
    writeFileSync(join(machine, 'settings.json'), JSON.stringify({ 'voiceDraft.engine.pythonPath': enginePython() }, null, 2));
    await userSettings(workspace, { 'voiceDraft.baseModel': 'tiny:llama', 'voiceDraft.training.epochs': 1 });
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
    await wb.waitForNotification(/training your voice/i, { timeoutMs: 60_000 }).catch(() => undefined);
    await wb.screenshot('train-progress');

    // Done, exported, active.
    await wb.waitForStatusBar(/Voice "[^"]+" active/, { timeoutMs: 600_000 });
    await wb.waitForNotification(/is ready and active/, { timeoutMs: 60_000 });
    await wb.screenshot('train-voice-active');

    const runs = join(dirname(workspace), 'home', '.voice-draft', 'runs');
    const [run] = readdirSync(runs).filter((n) => n.endsWith('-workspace')).sort().reverse();
    assert.ok(run, `a run folder in ${runs}`);
    const events = readFileSync(join(runs, run, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(events.at(-1)?.event === 'train.done' || events.some((e) => e.event === 'train.done'), true, 'the engine finished');
    assert.ok(existsSync(join(runs, run, 'adapter', 'adapter_config.json')), 'the adapter was written');
    assert.ok(existsSync(join(runs, run, 'onnx', 'config.json')), 'the voice was exported for writing');
    await poll(async () => (await wb.notifications()).every((n) => !/failed/i.test(n)) || undefined, { what: 'no failure notification' });
  },
};
