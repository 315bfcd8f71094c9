// Drives one training from the writer's point of view, on this machine or on a remote
// GPU host alike (trainingBackend.ts): consent before essays leave the machine, the
// progress notification with cancel, status bar and log while it trains, then the
// export that makes it the active voice. Used by "Train Voice Adapter", by "Resume",
// by the dashboard, and after a window reload to re-attach to a run still training.
import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import { lowDiskSpace } from '../../core/runs/diskSpace';
import { listRuns } from '../../core/runs/runFolder';
import type { EngineErrorEvent } from '../../core/runs/protocol';
import { engineSettings } from '../../config';
import { EngineReportedError, EngineStartError } from '../../engine/client';
import { readRemoteState } from '../../engine/remoteTraining';
import { FollowedElsewhereError } from '../../engine/remote/followLock';
import { RemoteTargetError } from '../../engine/remote/sshTarget';
import { chooseCheckpoint, engineLogPath, TrainingBusyError } from '../../engine/training';
import { backendToStart, localBackend, ownerOf, type BackendChoice, type FollowOutcome, type TrainingBackend } from '../../engine/trainingBackend';
import { abortOnCancel } from '../cancellation';
import { Commands } from '../commandIds';
import { consentToSend, deleteRemoteCopyOf, remoteWhy } from './remoteCopies';
import { activateVoice, exportFeedback, logEvent, trainingProgress, type TrainingDeps } from './trainingFeedback';

export type StartOutcome = 'started' | 'not started' | 'remote failed';

export class TrainingController {
  /** The run this window follows; reset in finally. */
  private following: string | undefined;

  constructor(private readonly deps: TrainingDeps) {}

  get busy(): boolean {
    return this.following !== undefined;
  }

  /**
   * Starts the engine on a prepared run folder (a remote host asks first and is sent the run) and
   * follows it to an active voice. 'not started': the engine never ran on the run (a bad host,
   * consent declined, no engine here, another training running); 'remote failed': starting on the
   * host failed part way, so a copy there may exist.
   */
  async start(runDir: string, resume = false): Promise<StartOutcome> {
    const { log, status } = this.deps;
    let backend: TrainingBackend;
    try {
      backend = await backendToStart(runDir, resume, this.choice());
    } catch (e) {
      if (!(e instanceof RemoteTargetError)) throw e;
      void vscode.window.showErrorMessage(`Voice Draft: ${e.message}`);
      return 'not started';
    }
    const host = backend.host;
    if (host && !(await consentToSend(runDir, host))) {
      log.info(`remote training on ${host} declined: nothing was sent`);
      return 'not started';
    }
    // Here, the interpreter must still work (a resume, or pythonPath changed since the last check).
    if (!host && !(await this.deps.engine.ensure())) return 'not started';
    let pid: number;
    try {
      pid = host
        ? await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Voice Draft: sending your training data to ${host}`, cancellable: true },
          (progress, token) => backend.start(runDir, {
            resume,
            signal: abortOnCancel(token),
            onStage: (message) => { progress.report({ message }); log.info(`[remote] ${message}`); },
            onStderr: (l) => log.debug(`[remote] ${l}`),
            onEvent: (e) => { if (e.event === 'setup.progress') progress.report({ message: `setting up the engine on ${host}: ${e.message}` }); },
          }))
        : await backend.start(runDir, { resume });
    } catch (e) {
      if (e instanceof TrainingBusyError) {
        const c = await vscode.window.showWarningMessage(e.message, 'Show Dashboard');
        if (c) void vscode.commands.executeCommand(Commands.showDashboard, e.runDir);
        return 'not started';
      }
      if (!host) {
        const why = e instanceof EngineStartError ? `${e.message} ${e.hint}`
          : (e as NodeJS.ErrnoException).code === 'ENOSPC' ? `The disk holding ${runDir} is full: free some space, then try again.`
          : (e as Error).message;
        log.error(`starting the engine failed for ${runDir}: ${String(e)}`);
        const c = await vscode.window.showErrorMessage(`Voice Draft: training could not start. ${why}`,
          ...(e instanceof EngineStartError ? ['Set Up Engine'] : []), 'Show Log');
        if (c === 'Set Up Engine') void vscode.commands.executeCommand(Commands.setupEngine);
        if (c === 'Show Log') log.show();
        return 'not started';
      }
      log.error(`remote start on ${host} failed for ${runDir}: ${remoteWhy(e)}${(e as { stderr?: string }).stderr ? `\n${(e as { stderr?: string }).stderr}` : ''}`);
      status.show({ kind: 'error', message: `Could not train on ${host}` });
      const c = await vscode.window.showErrorMessage(`Voice Draft: could not train on ${host}. ${remoteWhy(e)}`, 'Show Log', ...(resume ? ['Re-attach'] : []));
      if (c === 'Show Log') log.show();
      if (c === 'Re-attach') await this.reattach(runDir);
      return 'remote failed';
    }
    log.info(`training ${resume ? 'resumed' : 'started'}${on(backend)}: ${runDir} (engine pid ${pid})`);
    await this.follow(runDir, backend);
    return 'started';
  }

  /** "Delete Remote Copy of a Run": one of the runs that trained on a remote host, picked by the writer. */
  deleteRemoteCopy(runDir?: string): Promise<void> {
    return deleteRemoteCopyOf(this.deps, runDir);
  }

  /** After a reload: re-attach to a run still training (here or on its host), or report one that died. */
  async recover(): Promise<void> {
    const running = (await listRuns(this.deps.runsRoot())).find((r) => r.state === 'running');
    if (running) await this.reattach(running.dir);
  }

  /** Follows a run again (a reload, a dropped link), from where the copy here ends. */
  async reattach(runDir: string): Promise<void> {
    if (this.following === runDir) return;
    const state = await readRemoteState(runDir);
    if (state?.deletedAt) {
      this.deps.log.info(`not re-attaching to ${runDir}: its copy on ${state.host} was deleted after it ended (${state.deletedAt}); resume to train it there again`);
      return;
    }
    const backend = await ownerOf(runDir, this.choice());
    this.deps.log.info(`re-attaching to ${runDir}${on(backend)}`);
    await this.follow(runDir, backend);
  }

  private async follow(runDir: string, backend: TrainingBackend): Promise<void> {
    const { status, log } = this.deps;
    this.following = runDir;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Voice Draft: training your voice${on(backend)}`, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => { void this.cancel(runDir); });
          return backend.follow(runDir, trainingProgress(this.deps, progress), {
            onStderr: (l) => log.debug(`[remote] ${l}`),
            onPullError: (e) => log.warn(`[remote] copying results back failed (the next copy tries again): ${String(e)}`),
          });
        },
      );
      if (result.dropped) {
        status.show({ kind: 'error', message: `Lost the connection to ${backend.host}` });
        const c = await vscode.window.showWarningMessage(
          `Voice Draft: lost the connection to ${backend.host}. The training goes on there, and everything copied back so far is kept here.`, 'Re-attach');
        if (c === 'Re-attach') { this.following = undefined; await this.reattach(runDir); }
        return;
      }
      await this.finish(runDir, backend, result);
    } catch (e) {
      if (e instanceof FollowedElsewhereError) {
        log.info(`not following ${runDir}${on(backend)}: ${e.message}`);
        void vscode.window.showInformationMessage(`Voice Draft: ${e.message}`);
        return;
      }
      log.error(`following ${runDir}${on(backend)} failed: ${String(e)}`);
      void vscode.window.showErrorMessage(`Voice Draft: ${remoteWhy(e)}`);
    } finally {
      if (this.following === runDir) this.following = undefined;
    }
  }

  private async finish(runDir: string, backend: TrainingBackend, result: FollowOutcome): Promise<void> {
    const { status } = this.deps;
    const terminal = result.terminal;
    if (terminal?.event === 'train.done') return this.exportAndActivate(runDir);
    // Cancelled or failed: all of it is here, so what it holds elsewhere goes; a resume sends it again.
    if (result.complete) await this.release(runDir, backend);
    if (terminal?.event === 'train.cancelled') {
      status.show({ kind: 'idle' });
      const kept = backend.host ? `is copied here` : 'is kept';
      const c = await vscode.window.showInformationMessage(`Voice Draft: training${on(backend)} cancelled. Its last checkpoint ${kept}; resume to continue where it stopped.`, 'Resume');
      if (c === 'Resume') await this.start(runDir, true);
      return;
    }
    await this.reportFailure(runDir, backend, terminal?.event === 'error' ? terminal : undefined);
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

  /**
   * Export runs after every training, where the run trained (a host's GPU merges, onnx/ comes
   * back), or on this machine when asked (`via`); then what the run holds elsewhere goes and
   * the voice becomes the active one. A failed export leaves the adapter and says why.
   */
  async exportAndActivate(runDir: string, via?: TrainingBackend): Promise<void> {
    const { status, log, engine } = this.deps;
    const owner = await ownerOf(runDir, this.choice());
    const exporter = via ?? owner;
    if (exporter !== owner && !(await engine.ensure())) return; // this machine needs its engine set up first
    status.show({ kind: 'exporting' });
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Voice Draft: preparing your voice for writing${on(exporter)}`, cancellable: true },
        (progress, token) => exporter.exportVoice(runDir, exportFeedback(this.deps, progress, token)),
      );
    } catch (e) {
      status.show({ kind: 'error', message: 'The voice was trained but could not be exported.' });
      const why = e instanceof EngineReportedError ? e.message : remoteWhy(e);
      log.error(`export failed for ${runDir}${on(exporter)}: ${why}`);
      if (exporter !== owner) {
        void vscode.window.showErrorMessage(`Voice Draft: exporting on this machine failed too: ${why}`);
        return;
      }
      const safe = owner.host ? 'the adapter is copied here' : 'the adapter is safe in its run folder';
      const c = await vscode.window.showErrorMessage(`Voice Draft: your voice was trained (${safe}) but exporting it${on(owner)} failed: ${why}`,
        'Retry Export', ...(owner.host ? ['Export on This Machine'] : []), 'Show Log');
      if (c === 'Retry Export') return this.exportAndActivate(runDir);
      if (c === 'Export on This Machine') return this.exportAndActivate(runDir, localBackend(this.choice().local));
      if (c === 'Show Log') log.show();
      return;
    }
    await this.release(runDir, owner); // onnx/ and everything else are here now
    await activateVoice(this.deps, runDir);
  }

  /**
   * The results are here: a remote copy goes, unless the writer keeps it
   * (voiceDraft.engine.keepRemoteCopy). A failure is logged and said; the copy here is whole either way.
   */
  private async release(runDir: string, backend: TrainingBackend): Promise<void> {
    const { log } = this.deps;
    if (!backend.host) return;
    try {
      const deleted = await backend.release(runDir, { onStderr: (l) => log.debug(`[remote] ${l}`) });
      log.info(deleted ? `deleted the run's copy on ${backend.host}: ${deleted}` : `kept the run's copy on ${backend.host} (voiceDraft.engine.keepRemoteCopy)`);
    } catch (e) {
      log.warn(`deleting the run's copy on ${backend.host} failed: ${remoteWhy(e)}`);
      void vscode.window.showWarningMessage(`Voice Draft: the run's copy on ${backend.host} could not be deleted: ${remoteWhy(e)} Try "Voice Draft: Delete Remote Copy of a Run" later.`);
    }
  }

  private async reportFailure(runDir: string, backend: TrainingBackend, error: EngineErrorEvent | undefined): Promise<void> {
    const { status, log } = this.deps;
    const tail = error ? '' : await lastLines(engineLogPath(runDir), 3);
    // An engine on a full disk may die before it can write its error to events.jsonl.
    const lowDisk = error || backend.host ? undefined : await lowDiskSpace(runDir);
    const message = error
      ? `${error.message}${error.hint ? ` — ${error.hint}` : ''}`
      : lowDisk
        ? `The training engine stopped without a word, and ${lowDisk}: the disk is probably full. Free some space, then resume; it continues from its last checkpoint.`
        : `The training engine${on(backend)} stopped unexpectedly.${tail ? ` Last log lines: ${tail}` : ''}`;
    log.error(`training failed in ${runDir}: ${message}`);
    status.show({ kind: 'error', message: `Training failed: ${message}` });
    const c = await vscode.window.showErrorMessage(`Voice Draft: training failed. ${message}`, 'Resume', 'Show Log');
    if (c === 'Resume') await this.start(runDir, true);
    if (c === 'Show Log') log.show();
  }

  /** Cancels a training (the notification's cancel, the dashboard): SIGTERM to its engine, here or over ssh. */
  async cancel(runDir: string): Promise<boolean> {
    const backend = await ownerOf(runDir, this.choice());
    this.deps.log.info(`cancel requested: SIGTERM to the engine${on(backend)}`);
    try {
      return await backend.cancel(runDir);
    } catch (e) {
      void vscode.window.showErrorMessage(`Voice Draft: could not cancel the training${on(backend)}. ${remoteWhy(e)}`);
      return false;
    }
  }

  private choice(): BackendChoice {
    const { engine, runsRoot } = this.deps;
    const settings = engineSettings();
    return {
      local: { python: () => engine.python(), runsRoot },
      remote: { keepCopy: () => engineSettings().keepRemoteCopy },
      remoteHost: settings.remoteHost,
    };
  }
}

/** " on <host>" for a remote run, "" here. */
function on(backend: TrainingBackend): string {
  return backend.host ? ` on ${backend.host}` : '';
}

async function lastLines(path: string, n: number): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-n).join(' | ');
}
