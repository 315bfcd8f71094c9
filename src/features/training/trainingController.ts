// Drives one training from the writer's point of view: progress notification
// with cancel, status bar, log channel, then the export that makes it a voice.
// Used by "Train Voice Adapter", by "Resume", and after a window reload to
// re-attach to a run that is still training.
import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import { listRuns } from '../../core/runs/runFolder';
import { cancelEngine, clearPidFile, liveEngine } from '../../engine/detached';
import { EngineReportedError } from '../../engine/client';
import { chooseCheckpoint, engineLogPath, exportVoice, followTraining, startTraining, TrainingBusyError } from '../../engine/training';
import type { EngineEvent } from '../../core/runs/protocol';
import { abortOnCancel } from '../cancellation';
import { Commands } from '../commandIds';
import { RemoteTrainingUi } from './remoteTrainingUi';
import { activateVoice, exportFeedback, logEvent, trainingProgress, type TrainingDeps } from './trainingFeedback';
import { pickRun } from './runsPicker';
import { readRemoteState } from '../../engine/remoteTraining';

export class TrainingController {
  /** Set while this window follows a training; reset in finally. */
  private following: string | undefined;

  /** Runs on a remote GPU host (voiceDraft.engine.remoteHost) go through here; see remoteTrainingUi.ts. */
  private readonly remote: RemoteTrainingUi;

  constructor(private readonly deps: TrainingDeps) {
    this.remote = new RemoteTrainingUi(deps);
  }

  get busy(): boolean {
    return this.following !== undefined || this.remote.busy;
  }

  /** Starts the engine on a prepared run folder and follows it to an active voice. */
  async start(runDir: string, resume = false): Promise<void> {
    const remoteHost = await this.remote.hostFor(runDir, resume); // remote: asks consent, sends, follows there
    if (remoteHost) return this.remote.start(runDir, remoteHost, resume);
    const { engine, log } = this.deps;
    let pid: number;
    try {
      const started = await startTraining(runDir, { python: engine.python(), runsRoot: this.deps.runsRoot(), resume });
      pid = started.pid;
    } catch (e) {
      if (e instanceof TrainingBusyError) {
        const c = await vscode.window.showWarningMessage(e.message, 'Show Dashboard');
        if (c) void vscode.commands.executeCommand(Commands.showDashboard, e.runDir);
        return;
      }
      throw e;
    }
    log.info(`training ${resume ? 'resumed' : 'started'}: ${runDir} (engine pid ${pid})`);
    await this.follow(runDir, pid);
  }

  /** "Delete Remote Copy of a Run": one of the runs that trained on a remote host, picked by the writer. */
  async deleteRemoteCopy(runDir?: string): Promise<void> {
    let dir = runDir;
    if (!dir) {
      const remote = new Set<string>();
      for (const run of await listRuns(this.deps.runsRoot())) {
        const state = await readRemoteState(run.dir);
        if (state && !state.deletedAt) remote.add(run.dir);
      }
      if (!remote.size) {
        void vscode.window.showInformationMessage('Voice Draft: no run has a copy on a remote host.');
        return;
      }
      dir = (await pickRun(this.deps.runsRoot(), 'Delete the remote copy of which run?', (r) => remote.has(r.dir)))?.dir;
    }
    if (dir) await this.remote.deleteCopy(dir);
  }

  /** After a reload: re-attach to a run still training, or report one that died. */
  async recover(): Promise<void> {
    for (const run of await listRuns(this.deps.runsRoot())) {
      if (run.state !== 'running') continue;
      if (await this.remote.owns(run.dir)) { void this.remote.reattach(run.dir); return; } // trains on a remote host
      const live = await liveEngine(run.dir);
      if (live) {
        this.deps.log.info(`re-attaching to ${run.dir} (engine pid ${live.pid})`);
        void this.follow(run.dir, live.pid);
      } else {
        await this.reportCrash(run.dir, undefined);
      }
      return;
    }
  }

  private async follow(runDir: string, pid: number): Promise<void> {
    const { log } = this.deps;
    this.following = runDir;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Voice Draft: training your voice', cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => {
            log.info(`cancel requested: SIGTERM to engine ${pid}`);
            cancelEngine(pid);
          });
          return followTraining(runDir, pid, trainingProgress(this.deps, progress));
        },
      );
      await clearPidFile(runDir);
      await this.finish(runDir, result.terminal);
    } finally {
      this.following = undefined;
    }
  }

  private async finish(runDir: string, terminal: EngineEvent | undefined): Promise<void> {
    const { status } = this.deps;
    if (!terminal) return this.reportCrash(runDir, undefined);
    if (terminal.event === 'error') return this.reportCrash(runDir, terminal);
    if (terminal.event === 'train.cancelled') {
      status.show({ kind: 'idle' });
      const c = await vscode.window.showInformationMessage('Voice Draft: training cancelled. Its last checkpoint is kept; resume to continue where it stopped.', 'Resume');
      if (c === 'Resume') await this.start(runDir, true);
      return;
    }
    if (terminal.event === 'train.done') await this.exportAndActivate(runDir);
  }

  /**
   * The writer heard another kept checkpoint as more their own (canaries, blind test):
   * make it the run's voice, then export and activate it as after training.
   */
  async chooseAndExport(runDir: string, step: number): Promise<void> {
    const { log, engine } = this.deps;
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Voice Draft: making step ${step} your voice`, cancellable: true },
        (_progress, token) => chooseCheckpoint(runDir, step, engine.python(), {
          signal: abortOnCancel(token),
          onStderr: (l) => log.debug(`[choose] ${l}`),
          onEvent: (e) => logEvent(log, e),
        }),
      );
    } catch (e) {
      const why = e instanceof EngineReportedError ? e.message : (e as Error).message;
      log.error(`choosing step ${step} failed for ${runDir}: ${why}`);
      // The run's voice is unchanged: choose writes the new adapter in a side folder first.
      throw new Error(`Step ${step} could not be made the voice (the current voice is unchanged): ${why}`, { cause: e });
    }
    await this.exportAndActivate(runDir);
  }

  /** Export runs after every training; a failed export leaves the adapter and says why. */
  async exportAndActivate(runDir: string): Promise<void> {
    if (await this.remote.owns(runDir)) return this.remote.exportAndActivate(runDir); // export on the host, pull onnx/
    const { status, log, engine } = this.deps;
    status.show({ kind: 'exporting' });
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Voice Draft: preparing your voice for writing', cancellable: true },
        (progress, token) => exportVoice(runDir, engine.python(), exportFeedback(this.deps, progress, token)),
      );
    } catch (e) {
      status.show({ kind: 'error', message: 'The voice was trained but could not be exported.' });
      const why = e instanceof EngineReportedError ? e.message : (e as Error).message;
      log.error(`export failed for ${runDir}: ${why}`);
      const c = await vscode.window.showErrorMessage(`Voice Draft: your voice was trained (the adapter is safe in its run folder) but exporting it for writing failed: ${why}`, 'Retry Export', 'Show Log');
      if (c === 'Retry Export') return this.exportAndActivate(runDir);
      if (c === 'Show Log') log.show();
      return;
    }
    await activateVoice(this.deps, runDir);
  }

  private async reportCrash(runDir: string, error: Extract<EngineEvent, { event: 'error' }> | undefined): Promise<void> {
    const { status, log } = this.deps;
    await clearPidFile(runDir);
    const tail = error ? '' : await lastLines(engineLogPath(runDir), 3);
    const message = error
      ? `${error.message}${error.hint ? ` — ${error.hint}` : ''}`
      : `The training engine stopped unexpectedly.${tail ? ` Last log lines: ${tail}` : ''}`;
    log.error(`training failed in ${runDir}: ${message}`);
    status.show({ kind: 'error', message: `Training failed: ${message}` });
    const c = await vscode.window.showErrorMessage(`Voice Draft: training failed. ${message}`, 'Resume', 'Show Log');
    if (c === 'Resume') await this.start(runDir, true);
    if (c === 'Show Log') log.show();
  }

  /** Cancels the training this window follows (dashboard action). */
  async cancel(runDir: string): Promise<boolean> {
    if (await this.remote.owns(runDir)) return this.remote.cancel(runDir); // SIGTERM over ssh
    const live = await liveEngine(runDir);
    if (!live) return false;
    cancelEngine(live.pid);
    return true;
  }
}

async function lastLines(path: string, n: number): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-n).join(' | ');
}
