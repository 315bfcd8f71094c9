// The writer's side of training on a remote GPU host (voiceDraft.engine.remoteHost):
// consent before anything is sent, progress while the data and engine go over,
// live progress while it trains there, cancel across the link, re-attach after a
// dropped link or a reload, export on the host. TrainingController hands remote
// runs to this class and keeps everything local to itself.
import * as vscode from 'vscode';
import { engineSettings } from '../../config';
import { EngineReportedError } from '../../engine/client';
import type { EngineEvent } from '../../core/runs/protocol';
import { RemoteError } from '../../engine/remote/exec';
import { RemoteTargetError, validateHost } from '../../engine/remote/sshTarget';
import {
  cancelRemoteTraining, cleanUpRemoteCopy, deleteRemoteCopy, describeSend, exportRemoteVoice, followRemoteTraining, isRemoteRun, readRemoteState,
  sendSummary, startRemote, type RemoteTarget,
} from '../../engine/remoteTraining';
import { exportVoice } from '../../engine/training';
import { abortOnCancel } from '../cancellation';
import { activateVoice, exportFeedback, trainingProgress, type TrainingDeps } from './trainingFeedback';

export class RemoteTrainingUi {
  /** The remote run this window follows; reset in finally. */
  private following: string | undefined;

  constructor(private readonly deps: TrainingDeps) {}

  get busy(): boolean {
    return this.following !== undefined;
  }

  /** A run that was sent to a host: its events, cancel and export go through that host. */
  owns(runDir: string): Promise<boolean> {
    return isRemoteRun(runDir);
  }

  /**
   * Where a start goes: a resume goes back to the host the run trained on; a new
   * training goes to the configured host. Undefined: train on this machine.
   */
  async hostFor(runDir: string, resume: boolean): Promise<string | undefined> {
    if (resume) {
      const state = await readRemoteState(runDir);
      if (state) return state.host;
    }
    return engineSettings().remoteHost || undefined;
  }

  /** Asks first, then sends the run to the host, starts the engine there and follows it. */
  async start(runDir: string, host: string, resume: boolean): Promise<void> {
    const { log } = this.deps;
    let target: RemoteTarget;
    try {
      target = { host: validateHost(host) };
    } catch (e) {
      if (!(e instanceof RemoteTargetError)) throw e;
      void vscode.window.showErrorMessage(`Voice Draft: ${e.message}`);
      return;
    }
    if (!(await this.consent(runDir, host))) {
      log.info(`remote training on ${host} declined: nothing was sent`);
      return;
    }
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Voice Draft: sending your training data to ${host}`, cancellable: true },
        (progress, token) => startRemote(runDir, target, {
          resume,
          signal: abortOnCancel(token),
          onStage: (message) => { progress.report({ message }); log.info(`[remote] ${message}`); },
          onStderr: (l) => log.debug(`[remote] ${l}`),
          onEvent: (e) => { if (e.event === 'setup.progress') progress.report({ message: `setting up the engine on ${host}: ${e.message}` }); },
        }),
      );
    } catch (e) {
      return this.reportStartFailure(runDir, host, resume, e);
    }
    log.info(`training ${resume ? 'resumed' : 'started'} on ${host}: ${runDir}`);
    await this.follow(runDir, target);
  }

  private async consent(runDir: string, host: string): Promise<boolean> {
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

  /**
   * The results are here: the copy on the host goes, unless the writer keeps it
   * (voiceDraft.engine.keepRemoteCopy). A failure is logged and said; the copy here is whole either way.
   */
  private async cleanUp(runDir: string, host: string): Promise<void> {
    const { log } = this.deps;
    const keep = engineSettings().keepRemoteCopy;
    try {
      const deleted = await cleanUpRemoteCopy(runDir, { host }, keep, { onStderr: (l) => log.debug(`[remote] ${l}`) });
      log.info(deleted ? `deleted the run's copy on ${host}: ${deleted}` : `kept the run's copy on ${host} (voiceDraft.engine.keepRemoteCopy)`);
    } catch (e) {
      const why = e instanceof RemoteError ? `${e.message} ${e.hint}` : String(e);
      log.warn(`deleting the run's copy on ${host} failed: ${why}`);
      void vscode.window.showWarningMessage(`Voice Draft: the run's copy on ${host} could not be deleted: ${why} Try "Voice Draft: Delete Remote Copy of a Run" later.`);
    }
  }

  /** "Delete Remote Copy of a Run": pulls what is missing here, then deletes the run's folder on its host. */
  async deleteCopy(runDir: string): Promise<void> {
    const state = await readRemoteState(runDir);
    if (!state) return;
    const ok = await vscode.window.showWarningMessage(
      `Delete this run's copy on ${state.host}?`,
      { modal: true, detail: `${state.remoteDir} on ${state.host} goes: the training data (your essays), checkpoints and results. Whatever is not here yet is copied back first; nothing is deleted while it trains there.` },
      'Delete',
    );
    if (ok !== 'Delete') return;
    try {
      const { remoteDir } = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Voice Draft: deleting the run's copy on ${state.host}`, cancellable: true },
        (_progress, token) => deleteRemoteCopy({ host: state.host }, runDir, { signal: abortOnCancel(token), onStderr: (l) => this.deps.log.debug(`[remote] ${l}`) }),
      );
      this.deps.log.info(`deleted the run's copy on ${state.host}: ${remoteDir}`);
      void vscode.window.showInformationMessage(`Voice Draft: deleted the run's copy on ${state.host}. Everything of it is in its folder here.`);
    } catch (e) {
      void vscode.window.showErrorMessage(`Voice Draft: ${e instanceof RemoteError ? `${e.message} ${e.hint}` : String(e)}`);
    }
  }

  private async reportStartFailure(runDir: string, host: string, resume: boolean, e: unknown): Promise<void> {
    const { log, status } = this.deps;
    const message = e instanceof RemoteError ? `${e.message} ${e.hint}` : e instanceof Error ? e.message : String(e);
    log.error(`remote start on ${host} failed for ${runDir}: ${message}${e instanceof RemoteError && e.stderr ? `\n${e.stderr}` : ''}`);
    status.show({ kind: 'error', message: `Could not train on ${host}` });
    const buttons = ['Show Log', ...(resume ? ['Re-attach'] : [])];
    const c = await vscode.window.showErrorMessage(`Voice Draft: could not train on ${host}. ${message}`, ...buttons);
    if (c === 'Show Log') log.show();
    if (c === 'Re-attach') await this.reattach(runDir);
  }

  /** After a reload or a dropped link: follow a run on its host again, from where the copy here ends. */
  async reattach(runDir: string): Promise<void> {
    const state = await readRemoteState(runDir);
    if (!state || this.following === runDir) return;
    if (state.deletedAt) {
      this.deps.log.info(`not re-attaching to ${runDir}: its copy on ${state.host} was deleted after it ended (${state.deletedAt}); resume to train it there again`);
      return;
    }
    this.deps.log.info(`re-attaching to ${runDir} on ${state.host}`);
    await this.follow(runDir, { host: state.host });
  }

  private async follow(runDir: string, target: RemoteTarget): Promise<void> {
    const { status, log } = this.deps;
    this.following = runDir;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Voice Draft: training your voice on ${target.host}`, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => { void this.cancel(runDir); });
          return followRemoteTraining(runDir, target, trainingProgress(this.deps, progress), {
            onStderr: (l) => log.debug(`[remote] ${l}`),
            onPullError: (e) => log.warn(`[remote] copying results back failed (the next copy tries again): ${String(e)}`),
          });
        },
      );
      if (result.dropped) {
        status.show({ kind: 'error', message: `Lost the connection to ${target.host}` });
        const c = await vscode.window.showWarningMessage(
          `Voice Draft: lost the connection to ${target.host}. The training goes on there, and everything copied back so far is kept here.`, 'Re-attach');
        if (c === 'Re-attach') { this.following = undefined; await this.reattach(runDir); }
        return;
      }
      await this.finish(runDir, target, result.terminal, result.pulled);
    } catch (e) {
      log.error(`following ${runDir} on ${target.host} failed: ${String(e)}`);
      void vscode.window.showErrorMessage(`Voice Draft: ${e instanceof RemoteError ? `${e.message} ${e.hint}` : String(e)}`);
    } finally {
      if (this.following === runDir) this.following = undefined;
    }
  }

  private async finish(runDir: string, target: RemoteTarget, terminal: EngineEvent | undefined, pulled: boolean): Promise<void> {
    const { status, log } = this.deps;
    if (terminal?.event === 'train.done') return this.exportAndActivate(runDir);
    // Cancelled or failed: what the host had is here (pulled), so its copy goes; a resume sends it again.
    if (pulled) await this.cleanUp(runDir, target.host);
    if (terminal?.event === 'train.cancelled') {
      status.show({ kind: 'idle' });
      const c = await vscode.window.showInformationMessage(`Voice Draft: training on ${target.host} cancelled. Its last checkpoint is copied here; resume to continue where it stopped.`, 'Resume');
      if (c === 'Resume') await this.start(runDir, target.host, true);
      return;
    }
    const message = terminal?.event === 'error'
      ? `${terminal.message}${terminal.hint ? ` — ${terminal.hint}` : ''}`
      : `The training engine on ${target.host} stopped unexpectedly; its log (engine.log) is copied into the run folder.`;
    log.error(`remote training failed in ${runDir}: ${message}`);
    status.show({ kind: 'error', message: `Training failed: ${message}` });
    const c = await vscode.window.showErrorMessage(`Voice Draft: training failed. ${message}`, 'Resume', 'Show Log');
    if (c === 'Resume') await this.start(runDir, target.host, true);
    if (c === 'Show Log') log.show();
  }

  /** SIGTERM to the engine's process group on the host; the follow reports train.cancelled. */
  async cancel(runDir: string): Promise<boolean> {
    const state = await readRemoteState(runDir);
    if (!state) return false;
    this.deps.log.info(`cancel requested: SIGTERM to the engine on ${state.host}`);
    try {
      return await cancelRemoteTraining(runDir, { host: state.host });
    } catch (e) {
      void vscode.window.showErrorMessage(`Voice Draft: could not cancel the training on ${state.host}. ${e instanceof RemoteError ? `${e.message} ${e.hint}` : String(e)}`);
      return false;
    }
  }

  /** Export on the host (its GPU and engine), pull onnx/ back, make it the active voice; on a dead link, offer this machine. */
  async exportAndActivate(runDir: string): Promise<void> {
    const { status, log } = this.deps;
    const state = await readRemoteState(runDir);
    if (!state) return;
    status.show({ kind: 'exporting' });
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Voice Draft: preparing your voice for writing on ${state.host}`, cancellable: true },
        (progress, token) => exportRemoteVoice(runDir, { host: state.host }, exportFeedback(this.deps, progress, token)),
      );
    } catch (e) {
      status.show({ kind: 'error', message: 'The voice was trained but could not be exported.' });
      const why = e instanceof RemoteError ? `${e.message} ${e.hint}` : e instanceof EngineReportedError ? e.message : String(e);
      log.error(`remote export failed for ${runDir}: ${why}`);
      const c = await vscode.window.showErrorMessage(`Voice Draft: your voice was trained (the adapter is copied here) but exporting it on ${state.host} failed: ${why}`, 'Retry Export', 'Export on This Machine', 'Show Log');
      if (c === 'Retry Export') return this.exportAndActivate(runDir);
      if (c === 'Export on This Machine') return this.exportHere(runDir);
      if (c === 'Show Log') log.show();
      return;
    }
    await this.cleanUp(runDir, state.host); // onnx/ and everything else are here now
    await activateVoice(this.deps, runDir);
  }

  private async exportHere(runDir: string): Promise<void> {
    const { engine, status } = this.deps;
    if (!(await engine.ensure())) return;
    status.show({ kind: 'exporting' });
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Voice Draft: preparing your voice for writing', cancellable: true },
        (progress, token) => exportVoice(runDir, engine.python(), exportFeedback(this.deps, progress, token)),
      );
    } catch (e) {
      status.show({ kind: 'error', message: 'The voice was trained but could not be exported.' });
      void vscode.window.showErrorMessage(`Voice Draft: exporting on this machine failed too: ${(e as Error).message}`);
      return;
    }
    const state = await readRemoteState(runDir);
    if (state) await this.cleanUp(runDir, state.host);
    await activateVoice(this.deps, runDir);
  }
}
