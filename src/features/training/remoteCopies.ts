// What the writer is asked and told about their essays on a remote GPU host: consent
// before anything is sent, and "Delete Remote Copy of a Run" afterwards. The training
// itself goes through TrainingController like any other (its remote backend).
import * as vscode from 'vscode';
import { listRuns } from '../../core/runs/runFolder';
import { engineSettings } from '../../config';
import { RemoteError } from '../../engine/remote/exec';
import { deleteRemoteCopy, describeSend, readRemoteState, sendSummary } from '../../engine/remoteTraining';
import { abortOnCancel } from '../cancellation';
import { pickRun } from './runsPicker';
import type { TrainingDeps } from './trainingFeedback';

/** Asks before a run's essays go to `host`; false: nothing is sent. */
export async function consentToSend(runDir: string, host: string): Promise<boolean> {
  const sending = describeSend(await sendSummary(runDir));
  const afterwards = engineSettings().keepRemoteCopy
    ? 'Its copy stays on that machine afterwards (voiceDraft.engine.keepRemoteCopy is on); "Voice Draft: Delete Remote Copy of a Run" deletes it.'
    : 'Once they are here, the run\'s folder on that machine (your essays, checkpoints, results) is deleted.';
  const choice = await vscode.window.showWarningMessage(
    `Your essays (${sending}) will be copied to ${host} for training. Continue?`,
    {
      modal: true,
      detail: `The training data built from them and the run's settings go to ~/.voice-draft/remote-runs/ on ${host} (readable by your user there only), with the training engine's code. `
        + `Checkpoints, the adapter and the exported voice are copied back here. ${afterwards} `
        + 'Change or clear the host in the setting voiceDraft.engine.remoteHost.',
    },
    'Continue',
  );
  return choice === 'Continue';
}

/** What a failure on the host says to the writer: the message and, for a link or host problem, what to do. */
export function remoteWhy(e: unknown): string {
  return e instanceof RemoteError ? `${e.message} ${e.hint}` : e instanceof Error ? e.message : String(e);
}

/** "Delete Remote Copy of a Run": the given run, or one the writer picks; pulls what is missing here, then deletes its folder on the host. */
export async function deleteRemoteCopyOf(deps: TrainingDeps, runDir?: string): Promise<void> {
  const dir = runDir ?? await pickRemoteRun(deps);
  const state = dir ? await readRemoteState(dir) : undefined;
  if (!dir || !state) return;
  const ok = await vscode.window.showWarningMessage(
    `Delete this run's copy on ${state.host}?`,
    { modal: true, detail: `${state.remoteDir} on ${state.host} goes: the training data (your essays), checkpoints and results. Whatever is not here yet is copied back first; nothing is deleted while it trains there.` },
    'Delete',
  );
  if (ok !== 'Delete') return;
  try {
    const { remoteDir } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Voice Draft: deleting the run's copy on ${state.host}`, cancellable: true },
      (_progress, token) => deleteRemoteCopy({ host: state.host }, dir, { signal: abortOnCancel(token), onStderr: (l) => deps.log.debug(`[remote] ${l}`) }),
    );
    deps.log.info(`deleted the run's copy on ${state.host}: ${remoteDir}`);
    void vscode.window.showInformationMessage(`Voice Draft: deleted the run's copy on ${state.host}. Everything of it is in its folder here.`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Voice Draft: ${remoteWhy(e)}`);
  }
}

async function pickRemoteRun(deps: TrainingDeps): Promise<string | undefined> {
  const remote = new Set<string>();
  for (const run of await listRuns(deps.runsRoot())) {
    const state = await readRemoteState(run.dir);
    if (state && !state.deletedAt) remote.add(run.dir);
  }
  if (!remote.size) {
    void vscode.window.showInformationMessage('Voice Draft: no run has a copy on a remote host.');
    return undefined;
  }
  return (await pickRun(deps.runsRoot(), 'Delete the remote copy of which run?', (r) => remote.has(r.dir)))?.dir;
}
