// "Manage Voices": the runs list — open, compare, rename, delete, activate.
import * as vscode from 'vscode';
import { deleteRun, listRuns, renameRun, type RunSummary } from '../../core/runs/runFolder';
import { liveEngine } from '../../engine/detached';
import type { ActiveVoiceStore } from '../activeVoice';
import { Commands } from '../commandIds';
import type { VoiceStatusBar } from '../statusBar';

interface RunItem extends vscode.QuickPickItem { run: RunSummary }

const ACTIONS = {
  activate: '$(check) Write with this voice',
  dashboard: '$(graph-line) Open in dashboard',
  compare: '$(diff) Compare with another run',
  rename: '$(edit) Rename',
  folder: '$(folder-opened) Open run folder',
  delete: '$(trash) Delete',
} as const;

export async function pickRun(runsRoot: string, placeHolder: string, filter: (r: RunSummary) => boolean = () => true, active?: string): Promise<RunSummary | undefined> {
  const runs = (await listRuns(runsRoot)).filter(filter);
  if (!runs.length) {
    void vscode.window.showInformationMessage(`Voice Draft: no training runs in ${runsRoot} yet. Run "Train Voice Adapter" first.`);
    return undefined;
  }
  const items: RunItem[] = runs.map((run) => ({
    run,
    label: `${run.dir === active ? '$(check) ' : ''}${run.name}`,
    description: [run.state, run.baseModel].filter(Boolean).join(' · '),
    detail: [run.name !== run.id ? run.id : '', typeof run.bestValLoss === 'number' ? `best val loss ${run.bestValLoss.toFixed(3)}` : '', run.hasVoice ? 'ready to write' : ''].filter(Boolean).join(' · ') || undefined,
  }));
  return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true }))?.run;
}

export async function manageRuns(runsRoot: string, voice: ActiveVoiceStore, status: VoiceStatusBar): Promise<void> {
  const run = await pickRun(runsRoot, 'Pick a voice (training run)', undefined, voice.current());
  if (!run) return;
  const actions = Object.values(ACTIONS).filter((a) => a !== ACTIONS.activate || run.hasVoice);
  const action = await vscode.window.showQuickPick(actions, { placeHolder: run.name });
  switch (action) {
    case ACTIONS.activate:
      await voice.set(run.dir);
      status.show({ kind: 'active', voice: run.name });
      return;
    case ACTIONS.dashboard:
      await vscode.commands.executeCommand(Commands.showDashboard, run.dir);
      return;
    case ACTIONS.compare: {
      const other = await pickRun(runsRoot, `Compare "${run.name}" with…`, (r) => r.dir !== run.dir);
      if (other) await vscode.commands.executeCommand(Commands.showDashboard, run.dir, other.dir);
      return;
    }
    case ACTIONS.rename: {
      const name = await vscode.window.showInputBox({ prompt: 'A name for this voice', value: run.name, validateInput: (v) => (v.trim() ? undefined : 'The name cannot be empty') });
      if (name) {
        await renameRun(run.dir, name);
        if (voice.current() === run.dir) status.show({ kind: 'active', voice: name.trim() });
      }
      return;
    }
    case ACTIONS.folder:
      await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(run.dir));
      return;
    case ACTIONS.delete: {
      if (await liveEngine(run.dir)) {
        void vscode.window.showWarningMessage('Voice Draft: this run is still training. Cancel it before deleting it.');
        return;
      }
      const ok = await vscode.window.showWarningMessage(`Delete the run "${run.name}" and everything in its folder (checkpoints, adapter, exported voice)?`, { modal: true }, 'Delete');
      if (ok !== 'Delete') return;
      if (voice.current() === run.dir) {
        await voice.set(undefined);
        status.show({ kind: 'idle' });
      }
      await deleteRun(run.dir);
      return;
    }
  }
}
