// What the writer sees of a training, wherever it runs: the progress line and the
// status bar while it trains, the log, the export's progress, and the voice made
// active at the end, for TrainingController, whichever backend the run trains on.
import * as vscode from 'vscode';
import { readRunSummary } from '../../core/runs/runFolder';
import type { EngineEvent } from '../../core/runs/protocol';
import type { RunOptions } from '../../engine/client';
import { formatEta, progressFrom, type TrainProgressView } from '../../engine/training';
import type { ActiveVoiceStore } from '../activeVoice';
import { abortOnCancel } from '../cancellation';
import { Commands } from '../commandIds';
import type { EngineService } from '../engineSetup';
import type { VoiceStatusBar } from '../statusBar';

export interface TrainingDeps {
  engine: EngineService;
  status: VoiceStatusBar;
  voice: ActiveVoiceStore;
  log: vscode.LogOutputChannel;
  runsRoot: () => string;
}

type Progress = vscode.Progress<{ message?: string; increment?: number }>;

export function logEvent(log: vscode.LogOutputChannel, e: EngineEvent): void {
  if (e.event === 'error') log.error(`[engine] ${e.code}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
  else log.info(`[engine] ${JSON.stringify(e)}`);
}

/** Each training event into the log, and its progress into the notification and the status bar. */
export function trainingProgress(deps: TrainingDeps, progress: Progress): (e: EngineEvent) => void {
  let view: TrainProgressView = { percent: 0 };
  deps.status.show({ kind: 'training', percent: 0 });
  return (e) => {
    logEvent(deps.log, e);
    const next = progressFrom(e, view);
    if (next === view) return;
    progress.report({ increment: next.percent - view.percent, message: describeProgress(next) });
    deps.status.show({ kind: 'training', percent: next.percent });
    view = next;
  };
}

/** What an export (here or on a host) is run with: cancel from the notification, its events logged and shown. */
export function exportFeedback(deps: TrainingDeps, progress: Progress, token: vscode.CancellationToken): RunOptions {
  return {
    signal: abortOnCancel(token),
    onStderr: (l) => deps.log.debug(`[export] ${l}`),
    onEvent: (e) => { logEvent(deps.log, e); if (e.event === 'export.progress') progress.report({ message: e.message }); },
  };
}

/** The exported voice becomes the one the editor writes with, and the writer is told. */
export async function activateVoice(deps: TrainingDeps, runDir: string): Promise<void> {
  await deps.voice.set(runDir);
  const run = await readRunSummary(runDir);
  deps.status.show({ kind: 'active', voice: run.name });
  const c = await vscode.window.showInformationMessage(`Voice Draft: the voice "${run.name}" is ready and active. Type in a markdown file to write with it.`, 'Show Dashboard');
  if (c) void vscode.commands.executeCommand(Commands.showDashboard, runDir);
}

function describeProgress(v: TrainProgressView): string {
  const parts = [`${Math.round(v.percent)}%`];
  if (v.step !== undefined) parts.push(`step ${v.step}${v.totalSteps ? `/${v.totalSteps}` : ''}`);
  if (typeof v.loss === 'number') parts.push(`loss ${v.loss.toFixed(3)}`);
  const eta = formatEta(v.etaSeconds);
  if (eta) parts.push(eta);
  return parts.join(' · ');
}
