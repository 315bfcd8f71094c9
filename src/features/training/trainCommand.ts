// "Train Voice Adapter": the workspace's essays → a data summary the writer
// confirms → a run folder → the engine (here, or on the remote host) → an active voice.
import * as vscode from 'vscode';
import { rm } from 'node:fs/promises';
import { dataSettings, engineSettings, trainingSettings } from '../../config';
import { DatasetError } from '../../core/dataset/build';
import { formatDatasetSummary } from '../../core/dataset/summary';
import { buildRunDataset, createRun, launchOverrides, type DatasetBuild } from '../../core/dataset/prepareRun';
import { activeTraining } from '../../engine/training';
import { runFolderWriteProblem } from './runFolderWriteProblem';
import { abortOnCancel } from '../cancellation';
import { Commands } from '../commandIds';
import type { EngineService } from '../engineSetup';
import type { VoiceStatusBar } from '../statusBar';
import type { TrainingController } from './trainingController';

export interface TrainCommandDeps {
  engine: EngineService;
  training: TrainingController;
  status: VoiceStatusBar;
  log: vscode.LogOutputChannel;
  runsRoot: () => string;
}

export async function trainVoice(deps: TrainCommandDeps): Promise<void> {
  const { training, status, log, engine } = deps;
  // Two trainings at once would fight over the GPU and the writer's attention.
  const busy = training.busy ? { runDir: '' } : await activeTraining(deps.runsRoot());
  if (busy) {
    const c = await vscode.window.showWarningMessage('Voice Draft: a voice is already training. Wait for it to finish, or cancel it from the dashboard.', 'Show Dashboard');
    if (c) void vscode.commands.executeCommand(Commands.showDashboard, busy.runDir || undefined);
    return;
  }
  const folder = await pickFolder();
  if (!folder) return;

  status.show({ kind: 'preparing', detail: 'Reading your essays' });
  let build: DatasetBuild | undefined;
  try {
    build = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Voice Draft: reading your essays', cancellable: true },
      (progress, token) => buildRunDataset({
        folder: folder.fsPath,
        ...dataSettings(),
        signal: abortOnCancel(token),
        onProgress: (p) => progress.report({ message: p.message }),
      }),
    );
  } catch (e) {
    status.show({ kind: 'idle' });
    if (e instanceof DatasetError) {
      void vscode.window.showErrorMessage(`Voice Draft: ${e.message}`);
      return;
    }
    if ((e as Error).name === 'AbortError' || /abort/i.test((e as Error).message)) return;
    throw e;
  }
  const summary = formatDatasetSummary(build.manifest);
  log.info(`dataset summary:\n${summary}`);

  // The writer reads what goes in, and can stop before any GPU time is spent.
  const host = engineSettings().remoteHost;
  // The remote host's own consent dialog follows (remoteCopies.ts) before anything is sent.
  const where = host ? `on ${host}` : 'on this machine';
  const m = build.manifest;
  const warnings = m.warnings.length ? `\n\nWarnings:\n${m.warnings.map((w) => `• ${w}`).join('\n')}` : '';
  const choice = await vscode.window.showInformationMessage(
    `Train a voice on ${m.documents.total} essays (${m.pairs.train} training pairs, ${m.words.toLocaleString('en')} words) ${where}?`,
    { modal: true, detail: `${summary}${warnings}` },
    'Train', 'Show Details',
  );
  if (choice === 'Show Details') {
    log.show(true);
    const again = await vscode.window.showInformationMessage('Voice Draft: the data summary is in the Voice Draft log. Train on it?', 'Train');
    if (again !== 'Train') return status.show({ kind: 'idle' });
  } else if (choice !== 'Train') {
    return status.show({ kind: 'idle' });
  }

  // A remote host sets up its own engine; only local training needs PyTorch here.
  if (!host && !(await engine.ensure())) return status.show({ kind: 'idle' });
  const t = trainingSettings();
  let runDir: string;
  try {
    runDir = await createRun(deps.runsRoot(), folder.fsPath, build, {
      base_model: t.baseModel,
      lora_r: t.loraRank,
      lora_alpha: t.loraAlpha,
      learning_rate: t.learningRate,
      epochs: t.epochs,
      synthetic_drafts: t.syntheticDrafts,
      synthetic_drafts_max: t.syntheticDraftsMax,
      ...launchOverrides(t.launcher, t.processes),
    });
  } catch (e) {
    status.show({ kind: 'idle' });
    const problem = runFolderWriteProblem(e, deps.runsRoot());
    log.error(`creating the run folder failed: ${String(e)}`);
    void vscode.window.showErrorMessage(`Voice Draft: ${problem}`);
    return;
  }
  log.info(`run folder: ${runDir}`);
  if ((await training.start(runDir)) === 'not started') {
    // The engine never ran on it (declined, no engine, refused): a run that cannot be resumed
    // would only sit in the dashboard. The essays are untouched; the dataset is rebuilt next time.
    if (!training.busy) status.show({ kind: 'idle' });
    await rm(runDir, { recursive: true, force: true }).catch((e: unknown) => log.warn(`could not remove ${runDir}: ${String(e)}`));
    log.info(`run folder removed, training did not start: ${runDir}`);
  }
}

async function pickFolder(): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return folders[0]!.uri;
  if (folders.length > 1) {
    const picked = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which folder holds the essays to learn from?' });
    return picked?.uri;
  }
  const opened = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Learn from these essays' });
  return opened?.[0];
}
